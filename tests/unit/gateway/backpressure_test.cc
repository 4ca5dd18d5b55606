// The ticket path's gate (issue 21): sheds new reports only while the consumer lag is above the
// limit, only for OpenTicket, never on an unknown lag, with a Retry-After from the drain rate.
#include "gateway/backpressure.h"

#include <gtest/gtest.h>

namespace aftercare::gateway {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
constexpr const char* kOpen = TicketPathGate::kGuardedRpc;

kit::GroupLag reading(int64_t lag, int64_t committed) {
  return {lag, committed};
}

TEST(TicketPathGate, AdmitsUpToTheLimitAndShedsAboveIt) {
  TicketPathGate gate(100);
  Clock::time_point t0;
  gate.observe(reading(100, 0), t0);
  EXPECT_FALSE(gate.admit(kOpen));
  gate.observe(reading(101, 0), t0 + seconds(1));
  auto shed = gate.admit(kOpen);
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->status, 503);
  EXPECT_NE(shed->body.find("\"unavailable\""), std::string::npos) << shed->body;
  EXPECT_NE(shed->body.find("101 events behind"), std::string::npos) << shed->body;
}

TEST(TicketPathGate, OnlyNewReportsAreShed) {
  TicketPathGate gate(10);
  gate.observe(reading(5000, 0), Clock::time_point{});
  EXPECT_TRUE(gate.admit(kOpen));
  EXPECT_FALSE(gate.admit("aftercare.v1.IntakeService.GetTicket"));
  EXPECT_FALSE(gate.admit("aftercare.v1.DispatchService.SignOff"));
}

TEST(TicketPathGate, AnUnknownLagAdmits) {
  TicketPathGate gate(10);
  Clock::time_point t0;
  gate.observe(reading(5000, 0), t0);
  ASSERT_TRUE(gate.admit(kOpen));
  gate.observe(std::nullopt, t0 + seconds(1));  // the brokers stopped answering
  EXPECT_FALSE(gate.admit(kOpen));
  EXPECT_FALSE(gate.lag());
}

TEST(TicketPathGate, ALimitOfZeroNeverSheds) {
  TicketPathGate gate(0);
  gate.observe(reading(1000000, 0), Clock::time_point{});
  EXPECT_FALSE(gate.admit(kOpen));
}

TEST(TicketPathGate, RetryAfterIsTheTimeToDrainBelowTheLimit) {
  TicketPathGate gate(100);
  Clock::time_point t0;
  gate.observe(reading(400, 1000), t0);
  EXPECT_EQ(gate.retry_after_s(), 5);  // no rate known yet
  // 200 events consumed in 2 s: 100/s; 700 - 100 over the limit drain in 6 s.
  gate.observe(reading(700, 1200), t0 + seconds(2));
  EXPECT_EQ(gate.retry_after_s(), 6);
  auto shed = gate.admit(kOpen);
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->header("Retry-After"), "6");
  // Nothing consumed: no useful estimate, the default again; bounded to 30 s.
  gate.observe(reading(700, 1200), t0 + seconds(3));
  EXPECT_EQ(gate.retry_after_s(), 5);
  gate.observe(reading(100000, 1201), t0 + seconds(4));
  EXPECT_EQ(gate.retry_after_s(), 30);
}

}  // namespace
}  // namespace aftercare::gateway
