// Exact ratios and reporting periods.
#include <gtest/gtest.h>

#include "callback/domain/stats.h"

namespace aftercare::callback::domain {
namespace {

namespace v1 = aftercare::v1;
using absl::CivilDay;

TEST(Ratio, BasisPointsRoundHalfUp) {
  auto r = ratio(1, 3);
  EXPECT_EQ(r.numerator(), 1);
  EXPECT_EQ(r.denominator(), 3);
  EXPECT_EQ(r.basis_points(), 3333);
  EXPECT_EQ(ratio(2, 3).basis_points(), 6667);
  EXPECT_EQ(ratio(1, 20000).basis_points(), 1);  // 0.5 bp rounds up
  EXPECT_EQ(ratio(1, 20001).basis_points(), 0);
  EXPECT_EQ(ratio(18, 18).basis_points(), 10000);
  EXPECT_EQ(ratio(0, 0).basis_points(), 0);
  EXPECT_EQ(ratio(0, 0).denominator(), 0);
}

v1::ReportPeriod period(v1::ReportGranularity g, int year, int index) {
  v1::ReportPeriod p;
  p.set_granularity(g);
  p.set_year(year);
  p.set_index(index);
  return p;
}

TEST(Period, IsoWeeksMonthsQuarters) {
  PeriodDays d;
  ASSERT_EQ(period_days(period(v1::REPORT_GRANULARITY_WEEK, 2025, 1), &d), "");
  EXPECT_EQ(d.first, CivilDay(2024, 12, 30));
  EXPECT_EQ(d.end, CivilDay(2025, 1, 6));
  ASSERT_EQ(period_days(period(v1::REPORT_GRANULARITY_WEEK, 2024, 7), &d), "");
  EXPECT_EQ(d.first, CivilDay(2024, 2, 12));
  ASSERT_EQ(period_days(period(v1::REPORT_GRANULARITY_WEEK, 2020, 53), &d), "");
  EXPECT_EQ(d.first, CivilDay(2020, 12, 28));
  EXPECT_NE(period_days(period(v1::REPORT_GRANULARITY_WEEK, 2024, 53), &d), "");
  EXPECT_EQ(iso_weeks_in_year(2020), 53);
  EXPECT_EQ(iso_weeks_in_year(2026), 53);
  EXPECT_EQ(iso_weeks_in_year(2024), 52);

  ASSERT_EQ(period_days(period(v1::REPORT_GRANULARITY_MONTH, 2024, 2), &d), "");
  EXPECT_EQ(d.first, CivilDay(2024, 2, 1));
  EXPECT_EQ(d.end, CivilDay(2024, 3, 1));
  ASSERT_EQ(period_days(period(v1::REPORT_GRANULARITY_QUARTER, 2024, 4), &d), "");
  EXPECT_EQ(d.first, CivilDay(2024, 10, 1));
  EXPECT_EQ(d.end, CivilDay(2025, 1, 1));
  EXPECT_NE(period_days(period(v1::REPORT_GRANULARITY_MONTH, 2024, 13), &d), "");
  EXPECT_NE(period_days(period(v1::REPORT_GRANULARITY_QUARTER, 2024, 0), &d), "");
  EXPECT_NE(period_days(period(v1::REPORT_GRANULARITY_UNSPECIFIED, 2024, 1), &d), "");
}

TEST(WeeklyTarget, EighteenByDefault) {
  CallbackPolicy p = CallbackPolicy::defaults();
  EXPECT_FALSE(met_weekly_target(17, p));
  EXPECT_TRUE(met_weekly_target(18, p));
  p.agent_weekly_target = 10;
  EXPECT_TRUE(met_weekly_target(10, p));
}

}  // namespace
}  // namespace aftercare::callback::domain
