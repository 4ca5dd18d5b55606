// Arrears aging buckets and their boundaries (30/31, 90/91, 365/366 days).
#include <gtest/gtest.h>

#include "billing/domain/aging.h"

namespace aftercare::billing::domain {
namespace {

using absl::CivilDay;
const BillingPolicy kDefaults = BillingPolicy::defaults();

TEST(Aging, DaysOverdueCountFromTheDayAfterTheDueDate) {
  CivilDay due(2026, 3, 15);
  EXPECT_EQ(days_overdue(due, CivilDay(2026, 3, 1)), 0);
  EXPECT_EQ(days_overdue(due, CivilDay(2026, 3, 15)), 0);  // due today: not overdue
  EXPECT_EQ(days_overdue(due, CivilDay(2026, 3, 16)), 1);
  EXPECT_EQ(days_overdue(due, CivilDay(2026, 4, 14)), 30);
  EXPECT_EQ(days_overdue(due, CivilDay(2027, 3, 15)), 365);
}

TEST(Aging, BucketBoundaries) {
  EXPECT_EQ(aging_band_index(0, kDefaults), -1);
  EXPECT_EQ(aging_band_index(-5, kDefaults), -1);
  EXPECT_EQ(aging_band_index(1, kDefaults), 0);
  EXPECT_EQ(aging_band_index(30, kDefaults), 0);
  EXPECT_EQ(aging_band_index(31, kDefaults), 1);
  EXPECT_EQ(aging_band_index(90, kDefaults), 1);
  EXPECT_EQ(aging_band_index(91, kDefaults), 2);
  EXPECT_EQ(aging_band_index(365, kDefaults), 2);
  EXPECT_EQ(aging_band_index(366, kDefaults), 3);
  EXPECT_EQ(aging_band_index(100000, kDefaults), 3);
}

TEST(Aging, BoundariesThroughRealDates) {
  CivilDay due(2025, 1, 31);
  EXPECT_EQ(aging_band_index(days_overdue(due, due + 30), kDefaults), 0);
  EXPECT_EQ(aging_band_index(days_overdue(due, due + 31), kDefaults), 1);
  EXPECT_EQ(aging_band_index(days_overdue(due, due + 90), kDefaults), 1);
  EXPECT_EQ(aging_band_index(days_overdue(due, due + 91), kDefaults), 2);
  EXPECT_EQ(aging_band_index(days_overdue(due, due + 365), kDefaults), 2);
  EXPECT_EQ(aging_band_index(days_overdue(due, due + 366), kDefaults), 3);
}

TEST(Aging, BandsDescribeThePolicy) {
  auto bands = aging_bands(kDefaults);
  ASSERT_EQ(bands.size(), 4u);
  EXPECT_EQ(bands[0].min_days, 1);
  EXPECT_EQ(bands[0].max_days, 30);
  EXPECT_EQ(bands[1].min_days, 31);
  EXPECT_EQ(bands[1].max_days, 90);
  EXPECT_EQ(bands[2].min_days, 91);
  EXPECT_EQ(bands[2].max_days, 365);
  EXPECT_EQ(bands[3].min_days, 366);
  EXPECT_EQ(bands[3].max_days, 0);
}

TEST(Aging, ProjectOverrideMovesTheBoundaries) {
  BillingPolicy policy = kDefaults;
  policy.aging_bound_1 = 15;
  EXPECT_EQ(aging_band_index(15, policy), 0);
  EXPECT_EQ(aging_band_index(16, policy), 1);
  EXPECT_EQ(aging_bands(policy)[1].min_days, 16);
}

}  // namespace
}  // namespace aftercare::billing::domain
