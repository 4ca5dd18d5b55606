// The numbers of DOMAIN §4 as one value: earning amounts per reason, expiry, hold time and tier
// thresholds are platform defaults that a project may override (intake's PolicyUpdated carries
// Policy.loyalty; LoyaltyService.SetProjectRules sets the rest). Domain functions take the policy
// as a parameter so no rule hides a number.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "aftercare/v1/common.pb.h"
#include "aftercare/v1/loyalty.pb.h"

namespace aftercare::loyalty::domain {

struct EarningRule {
  int64_t points = 0;      // awarded automatically (survey events); 0 = reason disabled
  int64_t max_points = 0;  // largest award staff may enter; 0 = staff may not award it
};

struct LoyaltyPolicy {
  // Defaults (the issue and DOMAIN give no amounts; chosen so one survey is a small reward and
  // a referral or repeat purchase a large one, with staff-entered awards capped per reason).
  std::map<aftercare::v1::EarnReason, EarningRule> earning_rules = {
      {aftercare::v1::EARN_REASON_SURVEY, {50, 50}},
      {aftercare::v1::EARN_REASON_FEEDBACK, {100, 500}},
      {aftercare::v1::EARN_REASON_REFERRAL, {2000, 10000}},
      {aftercare::v1::EARN_REASON_REPURCHASE, {5000, 20000}},
      {aftercare::v1::EARN_REASON_ACTIVITY, {200, 1000}},
  };
  // Earned points expire this many calendar months after they were earned (DOMAIN §4: 24).
  int expiry_months = 24;
  // A hold a merchant has not confirmed is released after this (points back to the balance).
  int hold_minutes = 24 * 60;
  // Tiers count the points earned in this rolling window of months; 0 = all time.
  int tier_window_months = 12;
  // Points earned in the window from which each tier starts (below silver: standard).
  int64_t silver_at_points = 1000;
  int64_t gold_at_points = 5000;
  int64_t platinum_at_points = 20000;
  // The project's time zone: month arithmetic and statement dates are local.
  std::string timezone = "Asia/Shanghai";

  static LoyaltyPolicy defaults() { return LoyaltyPolicy{}; }

  // Takes every field set in intake's policy (Policy.loyalty: expiry, survey points, tier
  // thresholds) and keeps the others. Returns "" or an error naming the first bad field; on
  // error *this is unchanged.
  std::string apply(const aftercare::v1::LoyaltyPolicy& policy);
  // The same for SetProjectRules.
  std::string apply(const aftercare::v1::SetProjectRulesRequest& request);
  // Range checks of every number; "" when valid.
  std::string validate() const;

  EarningRule rule_of(aftercare::v1::EarnReason reason) const;
  void to_proto(aftercare::v1::ProjectRules* out) const;
};

// Upper bound of any single amount of points (a typo guard, not a business rule).
inline constexpr int64_t kMaxPointsPerOperation = 1'000'000'000;

// "survey", "feedback"... (the public JSON names); "" for unspecified/unknown.
std::string reason_name(aftercare::v1::EarnReason reason);

}  // namespace aftercare::loyalty::domain
