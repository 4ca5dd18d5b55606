// Billing periods and due dates.
#include <gtest/gtest.h>

#include "billing/domain/period.h"

namespace aftercare::billing::domain {
namespace {

using absl::CivilDay;

TEST(Period, ParsesOnlyRealMonths) {
  EXPECT_EQ(parse_period("2026-03"), (Period{2026, 3}));
  EXPECT_EQ(parse_period("2026-12"), (Period{2026, 12}));
  EXPECT_FALSE(parse_period("2026-13"));
  EXPECT_FALSE(parse_period("2026-00"));
  EXPECT_FALSE(parse_period("2026-3"));
  EXPECT_FALSE(parse_period("26-03"));
  EXPECT_FALSE(parse_period("2026/03"));
  EXPECT_FALSE(parse_period("2026-03-01"));
  EXPECT_FALSE(parse_period(""));
  aftercare::v1::YearMonth ym;
  ym.set_year(2026);
  ym.set_month(13);
  EXPECT_FALSE(period_from_proto(ym));
  ym.set_month(0);
  EXPECT_FALSE(period_from_proto(ym));
  ym.set_month(1);
  ym.set_year(99);
  EXPECT_FALSE(period_from_proto(ym));
}

TEST(Period, FormatsOrdersAndSteps) {
  EXPECT_EQ((Period{2026, 3}).to_string(), "2026-03");
  EXPECT_LT((Period{2025, 12}), (Period{2026, 1}));
  EXPECT_EQ((Period{2025, 12}).next(), (Period{2026, 1}));
  EXPECT_EQ((Period{2024, 2}).days(), 29);
  EXPECT_EQ((Period{2026, 2}).days(), 28);
  EXPECT_EQ((Period{1900, 2}).days(), 28);
  EXPECT_EQ((Period{2000, 2}).days(), 29);
  EXPECT_EQ((Period{2026, 4}).last_day(), CivilDay(2026, 4, 30));
  EXPECT_EQ(period_of(CivilDay(2026, 4, 30)), (Period{2026, 4}));
}

TEST(DueDate, IsTheDueDayClampedToTheMonthsLastDay) {
  EXPECT_EQ(due_date(Period{2026, 3}, 15), CivilDay(2026, 3, 15));
  EXPECT_EQ(due_date(Period{2026, 2}, 31), CivilDay(2026, 2, 28));
  EXPECT_EQ(due_date(Period{2024, 2}, 31), CivilDay(2024, 2, 29));
  EXPECT_EQ(due_date(Period{2024, 2}, 30), CivilDay(2024, 2, 29));
  EXPECT_EQ(due_date(Period{2026, 4}, 31), CivilDay(2026, 4, 30));
  EXPECT_EQ(due_date(Period{2026, 1}, 31), CivilDay(2026, 1, 31));
  EXPECT_EQ(due_date(Period{2026, 1}, 1), CivilDay(2026, 1, 1));
}

TEST(Days, ProtoDatesMustBeReal) {
  EXPECT_EQ(parse_day("2024-02-29"), CivilDay(2024, 2, 29));
  EXPECT_FALSE(parse_day("2026-02-29"));
  EXPECT_FALSE(parse_day("2026-02-30"));
  EXPECT_FALSE(parse_day("2026-2-3"));
  EXPECT_EQ(format_day(CivilDay(2026, 3, 5)), "2026-03-05");
}

TEST(Days, LocalDayFollowsTheProjectsZone) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 3, 31, 17, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(local_day(t, shanghai), CivilDay(2026, 4, 1));
  EXPECT_EQ(local_day(t, absl::UTCTimeZone()), CivilDay(2026, 3, 31));
  EXPECT_EQ(start_of_local_day(CivilDay(2026, 4, 1), shanghai),
            absl::FromCivil(absl::CivilSecond(2026, 3, 31, 16, 0, 0), absl::UTCTimeZone()));
}

aftercare::v1::ReportPeriod report(aftercare::v1::ReportGranularity g, int year, int index) {
  aftercare::v1::ReportPeriod p;
  p.set_granularity(g);
  p.set_year(year);
  p.set_index(index);
  return p;
}

TEST(ReportDays, MonthsQuartersAndIsoWeeks) {
  namespace v1 = aftercare::v1;
  auto month = report_days(report(v1::REPORT_GRANULARITY_MONTH, 2024, 2));
  ASSERT_TRUE(month);
  EXPECT_EQ(month->first, CivilDay(2024, 2, 1));
  EXPECT_EQ(month->last, CivilDay(2024, 2, 29));
  auto quarter = report_days(report(v1::REPORT_GRANULARITY_QUARTER, 2026, 4));
  EXPECT_EQ(quarter->first, CivilDay(2026, 10, 1));
  EXPECT_EQ(quarter->last, CivilDay(2026, 12, 31));
  // ISO week 1 of 2026 starts on Monday 29 December 2025; 2026 has 53 weeks.
  auto w1 = report_days(report(v1::REPORT_GRANULARITY_WEEK, 2026, 1));
  EXPECT_EQ(w1->first, CivilDay(2025, 12, 29));
  EXPECT_EQ(w1->last, CivilDay(2026, 1, 4));
  EXPECT_TRUE(report_days(report(v1::REPORT_GRANULARITY_WEEK, 2026, 53)));
  EXPECT_EQ(report_days(report(v1::REPORT_GRANULARITY_WEEK, 2024, 7))->first,
            CivilDay(2024, 2, 12));
  EXPECT_FALSE(report_days(report(v1::REPORT_GRANULARITY_WEEK, 2024, 53)));  // 52 weeks
  EXPECT_FALSE(report_days(report(v1::REPORT_GRANULARITY_MONTH, 2026, 13)));
  EXPECT_FALSE(report_days(report(v1::REPORT_GRANULARITY_QUARTER, 2026, 0)));
  EXPECT_FALSE(report_days(report(v1::REPORT_GRANULARITY_UNSPECIFIED, 2026, 1)));
}

}  // namespace
}  // namespace aftercare::billing::domain
