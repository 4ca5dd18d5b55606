// Statement totals over a range and report period bounds in the project's time zone.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "loyalty/domain/statement.h"

namespace aftercare::loyalty::domain {
namespace {

namespace v1 = aftercare::v1;

const absl::TimeZone kTz = load_zone("Asia/Shanghai");
absl::Time day(int y, int m, int d, int h = 12) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, 0, 0), kTz);
}

v1::Date date(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

TEST(Summarize, OpeningMovementsAndClosingKeepTheIdentity) {
  std::vector<Movement> moves = {
      {day(2024, 1, 5), v1::LEDGER_ENTRY_KIND_EARN, 500, 500},
      {day(2024, 1, 20), v1::LEDGER_ENTRY_KIND_HOLD, -100, 100},  // before the range: still held
      {day(2024, 2, 1), v1::LEDGER_ENTRY_KIND_EARN, 300, 300},
      {day(2024, 2, 2), v1::LEDGER_ENTRY_KIND_REDEEM, 0, 100},  // the January hold confirmed
      {day(2024, 2, 3), v1::LEDGER_ENTRY_KIND_HOLD, -50, 50},
      {day(2024, 2, 4), v1::LEDGER_ENTRY_KIND_RELEASE, 50, 50},  // cancelled
      {day(2024, 2, 5), v1::LEDGER_ENTRY_KIND_HOLD, -70, 70},    // still held at the end
      {day(2024, 2, 6), v1::LEDGER_ENTRY_KIND_EXPIRE, -30, 30},
      {day(2024, 3, 1), v1::LEDGER_ENTRY_KIND_EARN, 999, 999},  // after the range
  };
  const StatementTotals t = summarize(moves, day(2024, 2, 1, 0), day(2024, 3, 1, 0));
  EXPECT_EQ(t.opening_balance, 400);
  EXPECT_EQ(t.opening_held, 100);
  EXPECT_EQ(t.earned, 300);
  EXPECT_EQ(t.redeemed, 100);
  EXPECT_EQ(t.held, 120);
  EXPECT_EQ(t.released, 50);
  EXPECT_EQ(t.expired, 30);
  EXPECT_EQ(t.closing_balance, 400 + 300 - 50 + 50 - 70 - 30);
  EXPECT_EQ(t.closing_held, 70);
  EXPECT_EQ(t.opening_balance + t.opening_held + t.earned - t.redeemed - t.expired,
            t.closing_balance + t.closing_held);
  // The balance after the movements equals the sum of signed points.
  int64_t signed_sum = 0;
  for (const auto& m : moves)
    if (m.at < day(2024, 3, 1, 0)) signed_sum += m.points;
  EXPECT_EQ(t.closing_balance, signed_sum);
}

TEST(Summarize, EmptyRangeAfterMovementsOpensAtTheLastBalance) {
  std::vector<Movement> moves = {{day(2024, 1, 5), v1::LEDGER_ENTRY_KIND_EARN, 500, 500}};
  const StatementTotals t = summarize(moves, day(2024, 6, 1), day(2024, 7, 1));
  EXPECT_EQ(t.opening_balance, 500);
  EXPECT_EQ(t.closing_balance, 500);
  EXPECT_EQ(t.earned, 0);
}

TEST(DateRange, LocalDaysInclusive) {
  absl::Time start, end;
  ASSERT_EQ(date_range(date(2024, 2, 1), date(2024, 2, 29), kTz, &start, &end), "");
  EXPECT_EQ(start, day(2024, 2, 1, 0));
  EXPECT_EQ(end, day(2024, 3, 1, 0));
  EXPECT_NE(date_range(date(2023, 2, 29), date(2023, 3, 1), kTz, &start, &end), "");
  EXPECT_NE(date_range(date(2024, 3, 2), date(2024, 3, 1), kTz, &start, &end), "");
  EXPECT_EQ(date_range(date(2024, 3, 1), date(2024, 3, 1), kTz, &start, &end), "");
  EXPECT_EQ(end - start, absl::Hours(24));
}

TEST(PeriodRange, MonthQuarterIsoWeek) {
  absl::Time start, end;
  v1::ReportPeriod p;
  p.set_granularity(v1::REPORT_GRANULARITY_MONTH);
  p.set_year(2024);
  p.set_index(2);
  ASSERT_EQ(period_range(p, kTz, &start, &end), "");
  EXPECT_EQ(start, day(2024, 2, 1, 0));
  EXPECT_EQ(end, day(2024, 3, 1, 0));
  p.set_granularity(v1::REPORT_GRANULARITY_QUARTER);
  p.set_index(4);
  ASSERT_EQ(period_range(p, kTz, &start, &end), "");
  EXPECT_EQ(start, day(2024, 10, 1, 0));
  EXPECT_EQ(end, day(2025, 1, 1, 0));
  // ISO 2021-W01 starts Monday 4 Jan 2021; 2020 has 53 weeks, 2021 has 52.
  p.set_granularity(v1::REPORT_GRANULARITY_WEEK);
  p.set_year(2021);
  p.set_index(1);
  ASSERT_EQ(period_range(p, kTz, &start, &end), "");
  EXPECT_EQ(start, day(2021, 1, 4, 0));
  EXPECT_EQ(end, day(2021, 1, 11, 0));
  p.set_index(53);
  EXPECT_NE(period_range(p, kTz, &start, &end), "");
  p.set_year(2020);
  ASSERT_EQ(period_range(p, kTz, &start, &end), "");
  EXPECT_EQ(start, day(2020, 12, 28, 0));
  p.set_granularity(v1::REPORT_GRANULARITY_MONTH);
  p.set_index(13);
  EXPECT_NE(period_range(p, kTz, &start, &end), "");
}

}  // namespace
}  // namespace aftercare::loyalty::domain
