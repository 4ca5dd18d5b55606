// Two-phase redemption (DOMAIN §4): a hold reserves points (balance -> held) until the merchant
// confirms (held points are spent) or the hold is cancelled or expires (held points go back).
// A hold settles exactly once; repeating the same settlement is a no-op, the other one is refused.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "aftercare/v1/loyalty.pb.h"
#include "loyalty/domain/policy.h"

namespace aftercare::loyalty::domain {

enum class Settle { kConfirm, kRelease };

struct SettleDecision {
  enum Outcome { kApply, kAlreadyDone, kRefused } outcome;
  std::string why;  // for kRefused
};

// What settling a redemption in `status` (expiring at `expires_at`) at `now` does. A held
// redemption past its expiry can no longer be confirmed (the sweeper releases it).
SettleDecision decide_settle(aftercare::v1::RedemptionStatus status, absl::Time expires_at,
                             absl::Time now, Settle action);

absl::Time hold_expires_at(absl::Time held_at, const LoyaltyPolicy& policy);

}  // namespace aftercare::loyalty::domain
