#include "loyalty/domain/redemption.h"

namespace aftercare::loyalty::domain {

namespace v1 = aftercare::v1;

SettleDecision decide_settle(v1::RedemptionStatus status, absl::Time expires_at, absl::Time now,
                             Settle action) {
  switch (status) {
    case v1::REDEMPTION_STATUS_HELD:
      if (action == Settle::kConfirm && now >= expires_at)
        return {SettleDecision::kRefused, "the hold expired; its points go back to the balance"};
      return {SettleDecision::kApply, ""};
    case v1::REDEMPTION_STATUS_CONFIRMED:
      if (action == Settle::kConfirm) return {SettleDecision::kAlreadyDone, ""};
      return {SettleDecision::kRefused, "the redemption is already confirmed (points spent)"};
    case v1::REDEMPTION_STATUS_RELEASED:
      if (action == Settle::kRelease) return {SettleDecision::kAlreadyDone, ""};
      return {SettleDecision::kRefused, "the hold was already released"};
    default:
      return {SettleDecision::kRefused, "unknown redemption status"};
  }
}

absl::Time hold_expires_at(absl::Time held_at, const LoyaltyPolicy& policy) {
  return held_at + absl::Minutes(policy.hold_minutes);
}

}  // namespace aftercare::loyalty::domain
