// How many partner streams (SSE and waiting long-polls) may be open: at most N per token
// subject (one partner's script cannot take every slot) and a cap on all of them (memory and
// descriptors). A slot is a lease: dropping it frees the slot, whatever ended the stream.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/http_message.h"

namespace aftercare::gateway {

class StreamSlots : public std::enable_shared_from_this<StreamSlots> {
 public:
  static std::shared_ptr<StreamSlots> create(int per_subject, int total);

  using Lease = std::shared_ptr<void>;
  // A lease for `subject`, or the refusal: 429 with Retry-After when the subject has its N
  // open, 503 with Retry-After when the gateway holds its total.
  std::optional<HttpResponse> acquire(const std::string& subject, Lease* lease);
  int open() const;
  int open_for(const std::string& subject) const;

 private:
  StreamSlots(int per_subject, int total) : per_subject_(per_subject), total_(total) {}
  void release(const std::string& subject);

  const int per_subject_, total_;
  mutable std::mutex mu_;
  std::map<std::string, int> by_subject_;
  int open_ = 0;
};

}  // namespace aftercare::gateway
