// Member tiers (DOMAIN §4) by the points earned in a rolling window (default 12 months; 0 =
// all time), with thresholds from the project's policy. Spending or expiry never lowers the
// points earned; only the window moving past old earnings does.
#pragma once

#include <cstdint>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "loyalty/domain/policy.h"

namespace aftercare::loyalty::domain {

aftercare::v1::MemberTier tier_for(int64_t earned_in_window, const LoyaltyPolicy& policy);

// Earnings at or after this instant count for the tier at `as_of` (InfinitePast for a window
// of 0 months = all time).
absl::Time tier_window_start(absl::Time as_of, const LoyaltyPolicy& policy, absl::TimeZone tz);

// Lower-case name ("standard", "silver", ...), the public JSON value.
std::string tier_name(aftercare::v1::MemberTier tier);

}  // namespace aftercare::loyalty::domain
