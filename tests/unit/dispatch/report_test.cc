// Repair report periods and KPIs, pure.
#include "dispatch/domain/report.h"

#include <gtest/gtest.h>

namespace aftercare::dispatch::domain {
namespace {

using aftercare::v1::WorkOrder;
using enum aftercare::v1::ReportGranularity;

aftercare::v1::ReportPeriod period(aftercare::v1::ReportGranularity g, int year, int index) {
  aftercare::v1::ReportPeriod p;
  p.set_granularity(g);
  p.set_year(year);
  p.set_index(index);
  return p;
}

absl::TimeZone shanghai() {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &z));
  return z;
}

absl::Time local(int y, int m, int d, int h = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, 0, 0), shanghai());
}

google::protobuf::Timestamp ts(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

TEST(ReportPeriod, BoundsAreLocalMidnights) {
  PeriodBounds feb = period_bounds(period(REPORT_GRANULARITY_MONTH, 2026, 2), shanghai());
  EXPECT_EQ(feb.start, local(2026, 2, 1));
  EXPECT_EQ(feb.end, local(2026, 3, 1));
  EXPECT_EQ(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", feb.start, absl::UTCTimeZone()),
            "2026-01-31T16:00:00Z");
  PeriodBounds q4 = period_bounds(period(REPORT_GRANULARITY_QUARTER, 2026, 4), shanghai());
  EXPECT_EQ(q4.start, local(2026, 10, 1));
  EXPECT_EQ(q4.end, local(2027, 1, 1));
  // ISO week 1 of 2026 starts on Monday 29 December 2025.
  PeriodBounds w1 = period_bounds(period(REPORT_GRANULARITY_WEEK, 2026, 1), shanghai());
  EXPECT_EQ(w1.start, local(2025, 12, 29));
  EXPECT_EQ(w1.end, local(2026, 1, 5));
}

TEST(ReportPeriod, Checks) {
  EXPECT_EQ(check_period(period(REPORT_GRANULARITY_MONTH, 2026, 12)), "");
  EXPECT_EQ(check_period(period(REPORT_GRANULARITY_MONTH, 2026, 13)),
            "period.index must be a month 1-12");
  EXPECT_EQ(check_period(period(REPORT_GRANULARITY_QUARTER, 2026, 5)),
            "period.index must be a quarter 1-4");
  EXPECT_EQ(check_period(period(REPORT_GRANULARITY_WEEK, 2026, 53)), "");  // 2026 has 53
  EXPECT_EQ(check_period(period(REPORT_GRANULARITY_WEEK, 2025, 53)),
            "period.index must be an ISO week 1-52 of 2025");
  EXPECT_EQ(check_period(period(REPORT_GRANULARITY_UNSPECIFIED, 2026, 1)),
            "period.granularity must be one of week, month, quarter, year");
  EXPECT_EQ(check_period(period(REPORT_GRANULARITY_MONTH, 1999, 1)),
            "period.year must be between 2000 and 9999");
}

TEST(ReportPeriod, RatiosRoundHalfUp) {
  EXPECT_EQ(ratio(1, 3).basis_points(), 3333);
  EXPECT_EQ(ratio(2, 3).basis_points(), 6667);
  EXPECT_EQ(ratio(1, 8).basis_points(), 1250);
  EXPECT_EQ(ratio(0, 0).basis_points(), 0);
  EXPECT_EQ(ratio(5, 5).basis_points(), 10000);
}

WorkOrder order(const std::string& id, aftercare::v1::PartyKind kind, const std::string& party,
                absl::Time created) {
  WorkOrder o;
  o.set_work_order_id(id);
  o.set_assignee_kind(kind);
  o.set_party_id(party);
  o.set_status(aftercare::v1::WORK_ORDER_STATUS_CREATED);
  *o.mutable_created_at() = ts(created);
  *o.mutable_deadline() = ts(created + absl::Hours(24));
  o.set_origin(aftercare::v1::WORK_ORDER_ORIGIN_INITIAL);
  return o;
}

void sign_off(WorkOrder& o, absl::Time at, int64_t cost) {
  o.set_status(aftercare::v1::WORK_ORDER_STATUS_SIGNED_OFF);
  *o.mutable_signed_off_at() = ts(at);
  o.set_cost_fen(cost);
}

TEST(RepairReport, CountsTheMonthsWork) {
  using enum aftercare::v1::PartyKind;
  PeriodBounds march = period_bounds(period(REPORT_GRANULARITY_MONTH, 2026, 3), shanghai());
  absl::Time as_of = local(2026, 4, 2);
  std::vector<WorkOrder> orders;

  // A builder on site in time, signed off in March.
  WorkOrder a = order("A", PARTY_KIND_BUILDER, "B1", local(2026, 3, 2, 9));
  *a.mutable_started_at() = ts(local(2026, 3, 2, 20));
  sign_off(a, local(2026, 3, 5), 0);
  a.set_in_warranty(true);
  a.set_builder_party_id("B1");
  // A late builder rerouted to the crew, who fixed it for 120 yuan.
  WorkOrder b = order("B", PARTY_KIND_BUILDER, "B1", local(2026, 3, 10));
  b.set_status(aftercare::v1::WORK_ORDER_STATUS_REROUTED);
  b.set_rerouted_to("C");
  WorkOrder c = order("C", PARTY_KIND_CREW, "K1", local(2026, 3, 11, 1));
  c.set_origin(aftercare::v1::WORK_ORDER_ORIGIN_REROUTE);
  c.set_in_warranty(true);
  c.set_builder_party_id("B1");
  sign_off(c, local(2026, 3, 20), 12'000);
  // A rework of A, created in March.
  WorkOrder r = order("R", PARTY_KIND_BUILDER, "B1", local(2026, 3, 25));
  r.set_origin(aftercare::v1::WORK_ORDER_ORIGIN_REWORK);
  r.set_rework_of("A");
  r.mutable_deadline()->set_seconds(absl::ToUnixSeconds(local(2026, 4, 5)));  // not decided yet
  // A paid repair confirmed in March; one signed off in April does not count.
  WorkOrder p = order("P", PARTY_KIND_CREW, "K1", local(2026, 2, 27));
  p.set_paid(true);
  p.mutable_quote()->set_status(aftercare::v1::QUOTE_STATUS_CONFIRMED);
  p.mutable_quote()->set_amount_fen(30'000);
  *p.mutable_quote()->mutable_decided_at() = ts(local(2026, 3, 1, 8));
  sign_off(p, local(2026, 4, 1, 10), 30'000);
  orders = {a, b, c, r, p};

  auto report = repair_report(orders, march, as_of);
  EXPECT_EQ(report.work_orders_created(), 4);     // A B C R (P was created in February)
  EXPECT_EQ(report.work_orders_signed_off(), 2);  // A C
  EXPECT_EQ(report.reworks(), 1);
  EXPECT_EQ(report.rework_rate().basis_points(), 5000);
  EXPECT_EQ(report.reroutes(), 1);
  // A on time, B late (deadline passed, never started), R undecided.
  EXPECT_EQ(report.builder_onsite_on_time().numerator(), 1);
  EXPECT_EQ(report.builder_onsite_on_time().denominator(), 2);
  EXPECT_EQ(report.paid_repair_fen(), 30'000);
  EXPECT_EQ(report.warranty_cost_fen(), 12'000);
  ASSERT_EQ(report.by_party_size(), 2);
  const auto& builder = report.by_party(0);
  EXPECT_EQ(builder.party_id(), "B1");
  EXPECT_EQ(builder.assigned(), 3);
  EXPECT_EQ(builder.signed_off(), 1);
  EXPECT_EQ(builder.rerouted_away(), 1);
  EXPECT_EQ(builder.reworks(), 1);
  EXPECT_EQ(builder.chargeable_fen(), 12'000);
  const auto& crew = report.by_party(1);
  EXPECT_EQ(crew.party_id(), "K1");
  EXPECT_EQ(crew.assigned(), 1);
  EXPECT_EQ(crew.cost_fen(), 12'000);
}

}  // namespace
}  // namespace aftercare::dispatch::domain
