// Two-phase redemption: a hold settles exactly once; repeats are no-ops, contradictions refused.
#include <gtest/gtest.h>

#include "loyalty/domain/redemption.h"

namespace aftercare::loyalty::domain {
namespace {

namespace v1 = aftercare::v1;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TEST(Settle, HeldCanBeConfirmedOrReleased) {
  EXPECT_EQ(
      decide_settle(v1::REDEMPTION_STATUS_HELD, kNow + absl::Minutes(1), kNow, Settle::kConfirm)
          .outcome,
      SettleDecision::kApply);
  EXPECT_EQ(
      decide_settle(v1::REDEMPTION_STATUS_HELD, kNow + absl::Minutes(1), kNow, Settle::kRelease)
          .outcome,
      SettleDecision::kApply);
}

TEST(Settle, ExpiredHoldCannotBeConfirmedButCanBeReleased) {
  EXPECT_EQ(decide_settle(v1::REDEMPTION_STATUS_HELD, kNow, kNow, Settle::kConfirm).outcome,
            SettleDecision::kRefused);
  EXPECT_EQ(decide_settle(v1::REDEMPTION_STATUS_HELD, kNow, kNow, Settle::kRelease).outcome,
            SettleDecision::kApply);
}

TEST(Settle, RepeatsAreNoOpsAndContradictionsRefused) {
  EXPECT_EQ(decide_settle(v1::REDEMPTION_STATUS_CONFIRMED, kNow, kNow, Settle::kConfirm).outcome,
            SettleDecision::kAlreadyDone);
  EXPECT_EQ(decide_settle(v1::REDEMPTION_STATUS_RELEASED, kNow, kNow, Settle::kRelease).outcome,
            SettleDecision::kAlreadyDone);
  EXPECT_EQ(decide_settle(v1::REDEMPTION_STATUS_CONFIRMED, kNow, kNow, Settle::kRelease).outcome,
            SettleDecision::kRefused);
  EXPECT_EQ(decide_settle(v1::REDEMPTION_STATUS_RELEASED, kNow, kNow, Settle::kConfirm).outcome,
            SettleDecision::kRefused);
  EXPECT_EQ(decide_settle(v1::REDEMPTION_STATUS_UNSPECIFIED, kNow, kNow, Settle::kConfirm).outcome,
            SettleDecision::kRefused);
}

TEST(Settle, HoldExpiresAfterThePolicysMinutes) {
  LoyaltyPolicy p;
  EXPECT_EQ(hold_expires_at(kNow, p), kNow + absl::Hours(24));
  p.hold_minutes = 15;
  EXPECT_EQ(hold_expires_at(kNow, p), kNow + absl::Minutes(15));
}

}  // namespace
}  // namespace aftercare::loyalty::domain
