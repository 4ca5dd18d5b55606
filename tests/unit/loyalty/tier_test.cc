// Tiers by points earned in a rolling window, thresholds from the policy.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "loyalty/domain/statement.h"
#include "loyalty/domain/tier.h"

namespace aftercare::loyalty::domain {
namespace {

namespace v1 = aftercare::v1;

TEST(Tier, DefaultThresholds) {
  const LoyaltyPolicy p = LoyaltyPolicy::defaults();
  EXPECT_EQ(tier_for(0, p), v1::MEMBER_TIER_STANDARD);
  EXPECT_EQ(tier_for(999, p), v1::MEMBER_TIER_STANDARD);
  EXPECT_EQ(tier_for(1000, p), v1::MEMBER_TIER_SILVER);
  EXPECT_EQ(tier_for(4999, p), v1::MEMBER_TIER_SILVER);
  EXPECT_EQ(tier_for(5000, p), v1::MEMBER_TIER_GOLD);
  EXPECT_EQ(tier_for(19999, p), v1::MEMBER_TIER_GOLD);
  EXPECT_EQ(tier_for(20000, p), v1::MEMBER_TIER_PLATINUM);
}

TEST(Tier, ProjectThresholds) {
  LoyaltyPolicy p;
  p.silver_at_points = 10;
  p.gold_at_points = 20;
  p.platinum_at_points = 30;
  EXPECT_EQ(tier_for(9, p), v1::MEMBER_TIER_STANDARD);
  EXPECT_EQ(tier_for(10, p), v1::MEMBER_TIER_SILVER);
  EXPECT_EQ(tier_for(25, p), v1::MEMBER_TIER_GOLD);
  EXPECT_EQ(tier_for(30, p), v1::MEMBER_TIER_PLATINUM);
}

TEST(Tier, WindowStartIsCalendarMonthsBackOrAllTime) {
  const absl::TimeZone tz = load_zone("Asia/Shanghai");
  const absl::Time as_of = absl::FromCivil(absl::CivilSecond(2025, 3, 31, 10, 0, 0), tz);
  LoyaltyPolicy p;  // 12 months
  EXPECT_EQ(tier_window_start(as_of, p, tz),
            absl::FromCivil(absl::CivilSecond(2024, 3, 31, 10, 0, 0), tz));
  p.tier_window_months = 1;
  EXPECT_EQ(tier_window_start(as_of, p, tz),
            absl::FromCivil(absl::CivilSecond(2025, 2, 28, 10, 0, 0), tz));
  p.tier_window_months = 0;
  EXPECT_EQ(tier_window_start(as_of, p, tz), absl::InfinitePast());
}

TEST(Tier, Names) {
  EXPECT_EQ(tier_name(v1::MEMBER_TIER_GOLD), "gold");
  EXPECT_EQ(tier_name(v1::MEMBER_TIER_UNSPECIFIED), "");
}

}  // namespace
}  // namespace aftercare::loyalty::domain
