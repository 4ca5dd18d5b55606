#include "loyalty/domain/tier.h"

#include <cctype>

#include "loyalty/domain/lots.h"

namespace aftercare::loyalty::domain {

namespace v1 = aftercare::v1;

v1::MemberTier tier_for(int64_t earned_in_window, const LoyaltyPolicy& policy) {
  if (earned_in_window >= policy.platinum_at_points) return v1::MEMBER_TIER_PLATINUM;
  if (earned_in_window >= policy.gold_at_points) return v1::MEMBER_TIER_GOLD;
  if (earned_in_window >= policy.silver_at_points) return v1::MEMBER_TIER_SILVER;
  return v1::MEMBER_TIER_STANDARD;
}

absl::Time tier_window_start(absl::Time as_of, const LoyaltyPolicy& policy, absl::TimeZone tz) {
  if (policy.tier_window_months <= 0) return absl::InfinitePast();
  return add_months(as_of, -policy.tier_window_months, tz);
}

std::string tier_name(v1::MemberTier tier) {
  if (tier == v1::MEMBER_TIER_UNSPECIFIED || !v1::MemberTier_IsValid(tier)) return "";
  std::string name = v1::MemberTier_Name(tier).substr(std::string("MEMBER_TIER_").size());
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace aftercare::loyalty::domain
