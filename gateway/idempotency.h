// Stage 4: idempotent creates. A create with an Idempotency-Key is claimed for the caller and
// route before it is forwarded; a repeat gets the first answer again (Idempotent-Replayed:
// true), a different request under the same key 409, a repeat while the first still runs 409.
// The key also travels in the request (its idempotency_key field) and as gRPC metadata, so the
// services' own dedup holds when the replay store (Redis) is down.
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>

#include "common/call.h"
#include "gateway/guard.h"
#include "gateway/http_message.h"
#include "gateway/route.h"

namespace aftercare::gateway {

class IdempotencyStage {
 public:
  explicit IdempotencyStage(ReplayStore& store) : store_(store) {}

  // What one request claimed; finish() needs it back.
  struct Claim {
    std::string header_key;  // the Idempotency-Key header as sent ("" = none)
    std::string store_key;   // caller + route + key
    std::string request_hash;
    bool claimed = false;
  };
  // nullopt: go on (and forward `claim->header_key`); else the answer to send (replay or 409/400).
  std::optional<HttpResponse> begin(const Route& route, const HttpRequest& req,
                                    const kit::Caller& caller, google::protobuf::Message* request,
                                    Claim* claim);
  // Keeps a successful answer for replay; a failed create frees the key for a retry.
  void finish(const Claim& claim, const HttpResponse& answer);

 private:
  ReplayStore& store_;
};

}  // namespace aftercare::gateway
