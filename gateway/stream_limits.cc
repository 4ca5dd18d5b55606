#include "gateway/stream_limits.h"

namespace aftercare::gateway {

std::shared_ptr<StreamSlots> StreamSlots::create(int per_subject, int total) {
  return std::shared_ptr<StreamSlots>(new StreamSlots(per_subject, total));
}

std::optional<HttpResponse> StreamSlots::acquire(const std::string& subject, Lease* lease) {
  {
    std::lock_guard lock(mu_);
    if (open_ >= total_) {
      auto res = error_response(503, "unavailable",
                                "the gateway holds its maximum of " + std::to_string(total_) +
                                    " partner streams, retry later");
      res.set_header("Retry-After", "30");
      return res;
    }
    int& mine = by_subject_[subject];
    if (mine >= per_subject_) {
      auto res = error_response(429, "too_many_streams",
                                "at most " + std::to_string(per_subject_) +
                                    " partner streams may be open per caller; close one first");
      res.set_header("Retry-After", "15");
      return res;
    }
    ++mine;
    ++open_;
  }
  std::weak_ptr<StreamSlots> self = shared_from_this();
  *lease = std::shared_ptr<void>(nullptr, [self, subject](void*) {
    if (auto slots = self.lock()) slots->release(subject);
  });
  return std::nullopt;
}

void StreamSlots::release(const std::string& subject) {
  std::lock_guard lock(mu_);
  --open_;
  if (auto it = by_subject_.find(subject); it != by_subject_.end() && --it->second <= 0)
    by_subject_.erase(it);
}

int StreamSlots::open() const {
  std::lock_guard lock(mu_);
  return open_;
}

int StreamSlots::open_for(const std::string& subject) const {
  std::lock_guard lock(mu_);
  auto it = by_subject_.find(subject);
  return it == by_subject_.end() ? 0 : it->second;
}

}  // namespace aftercare::gateway
