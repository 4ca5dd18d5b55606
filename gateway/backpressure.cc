#include "gateway/backpressure.h"

#include <algorithm>
#include <cmath>

namespace aftercare::gateway {

void TicketPathGate::observe(std::optional<kit::GroupLag> reading,
                             std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  if (reading && last_ && now > last_at_) {
    double seconds = std::chrono::duration<double>(now - last_at_).count();
    int64_t consumed = reading->committed - last_->committed;
    // A restarted broker starts its offsets again: no rate from across that.
    if (consumed >= 0) drain_per_s_ = static_cast<double>(consumed) / seconds;
  }
  last_ = reading;
  if (reading) last_at_ = now;
}

std::optional<int64_t> TicketPathGate::lag() const {
  std::lock_guard lock(mu_);
  if (!last_) return std::nullopt;
  return last_->lag;
}

int TicketPathGate::retry_after_s() const {
  std::lock_guard lock(mu_);
  if (!last_ || drain_per_s_ <= 0) return 5;
  double excess = static_cast<double>(std::max<int64_t>(1, last_->lag - limit_));
  return std::clamp(static_cast<int>(std::ceil(excess / drain_per_s_)), 1, 30);
}

std::optional<HttpResponse> TicketPathGate::admit(const std::string& rpc) const {
  if (limit_ <= 0 || rpc != kGuardedRpc) return std::nullopt;
  auto behind = lag();
  if (!behind || *behind <= limit_) return std::nullopt;
  int retry = retry_after_s();
  HttpResponse res =
      error_response(503, "unavailable",
                     "reports are being routed " + std::to_string(*behind) +
                         " events behind; nothing was recorded, please retry after " +
                         std::to_string(retry) + " s");
  res.set_header("Retry-After", std::to_string(retry));
  return res;
}

}  // namespace aftercare::gateway
