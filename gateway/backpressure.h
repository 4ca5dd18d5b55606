// Stage 4b: backpressure on the ticket path (issue 21). A report accepted with 201 is a promise
// that it is routed to a builder or crew in time; when dispatch's consumer falls far behind
// intake's events, accepting more only makes every later report wait longer (the backlog grows
// without bound). So, while the consumer lag of the ticket path is above a limit, new ticket
// creates are answered 503 with a Retry-After estimated from how fast the backlog drains, and
// nothing is written. Replays of creates already accepted still get their answer (this stage
// runs after the idempotency stage). An unknown lag (brokers not answering) admits: the outbox
// keeps accepted reports durable, and refusing every report because a probe failed would turn a
// monitoring problem into an outage.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "common/consumer_lag.h"
#include "gateway/http_message.h"

namespace aftercare::gateway {

class TicketPathGate {
 public:
  // limit: events of lag above which creates are shed; 0 = never shed.
  explicit TicketPathGate(int64_t limit) : limit_(limit) {}

  // A probe's reading (nullopt: the brokers did not answer) at `now`.
  void observe(std::optional<kit::GroupLag> reading, std::chrono::steady_clock::time_point now);
  // nullopt: go on; else the 503 to send for a create of `rpc`.
  std::optional<HttpResponse> admit(const std::string& rpc) const;

  std::optional<int64_t> lag() const;
  // Seconds until the lag should be back under the limit at the drain rate last seen (1-30;
  // 5 when no rate is known yet).
  int retry_after_s() const;
  // The rpc this gate guards: new reports.
  static constexpr const char* kGuardedRpc = "aftercare.v1.IntakeService.OpenTicket";

 private:
  int64_t limit_;
  mutable std::mutex mu_;
  std::optional<kit::GroupLag> last_;
  std::chrono::steady_clock::time_point last_at_{};
  double drain_per_s_ = 0;  // committed offsets per second between the last two readings
};

}  // namespace aftercare::gateway
