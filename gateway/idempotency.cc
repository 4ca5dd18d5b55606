#include "gateway/idempotency.h"

#include <google/protobuf/descriptor.h>

namespace aftercare::gateway {
namespace {

std::string fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return std::to_string(h);
}

}  // namespace

std::optional<HttpResponse> IdempotencyStage::begin(const Route& route, const HttpRequest& req,
                                                    const kit::Caller& caller,
                                                    google::protobuf::Message* request,
                                                    Claim* claim) {
  *claim = {};
  claim->header_key = req.header("Idempotency-Key");
  if (claim->header_key.size() > 200)
    return error_response(400, "invalid_argument", "Idempotency-Key is longer than 200 characters");
  if (!route.idempotent_create || claim->header_key.empty()) return std::nullopt;
  if (const auto* f = request->GetDescriptor()->FindFieldByName("idempotency_key");
      f && f->type() == google::protobuf::FieldDescriptor::TYPE_STRING)
    request->GetReflection()->SetString(request, f, claim->header_key);
  claim->store_key =
      caller.sub + ":" + route.method + " " + route.pattern + ":" + claim->header_key;
  claim->request_hash = fnv1a(req.path + "\n" + req.body);
  auto earlier = store_.claim(claim->store_key, claim->request_hash, &claim->claimed);
  if (!earlier) return std::nullopt;
  if (earlier->request_hash != claim->request_hash)
    return error_response(409, "idempotency_key_reused",
                          "Idempotency-Key was used for a different request");
  if (earlier->status == 0)
    return error_response(409, "request_in_progress",
                          "the first request with this Idempotency-Key is still running");
  HttpResponse replay;
  replay.status = earlier->status;
  replay.set_header("Idempotent-Replayed", "true");
  replay.content_type = "application/json; charset=utf-8";
  replay.body = earlier->body;
  return replay;
}

void IdempotencyStage::finish(const Claim& claim, const HttpResponse& answer) {
  if (!claim.claimed) return;
  if (answer.status >= 200 && answer.status < 300)
    store_.complete(claim.store_key, claim.request_hash, answer.status, answer.body);
  else
    store_.release(claim.store_key);  // a failed create may be retried with the key
}

}  // namespace aftercare::gateway
