// KPI targets, callback quotas and period closing (issue 20).
#include <gtest/gtest.h>

#include "callback/domain/stats.h"
#include "callback/domain/targets.h"
#include "common/policy_defaults.h"

namespace aftercare::callback::domain {
namespace {

namespace v1 = aftercare::v1;

TEST(Targets, DefaultsAreTheSeeds) {
  Targets t = Targets::defaults();
  EXPECT_EQ(t.satisfaction_bp, 8500);
  EXPECT_EQ(t.fee_collection_bp, 8000);
  EXPECT_EQ(t.complaint_rate_max_bp, 100);
  EXPECT_EQ(t.callback_handling_bp, 10000);
  EXPECT_EQ(t.manager_quota_bp, 1000);
  EXPECT_EQ(t.supervisor_quota_bp, 3000);
  EXPECT_EQ(t.repair_lead_quota_bp, 6000);
  EXPECT_TRUE(t.managers.empty());
}

TEST(Targets, OverridesOverDefaults) {
  v1::Policy p;
  p.mutable_targets()->set_satisfaction_bp(9000);
  p.mutable_targets()->add_managers("mgr-1");
  Targets t = Targets::of(p);
  EXPECT_EQ(t.satisfaction_bp, 9000);
  EXPECT_EQ(t.fee_collection_bp, 8000);
  ASSERT_EQ(t.managers.size(), 1u);
  EXPECT_EQ(t.managers[0], "mgr-1");
}

TEST(Targets, CheckNamesTheField) {
  v1::TargetPolicy t;
  EXPECT_EQ(kit::check_targets(t), "");
  t.set_complaint_rate_max_bp(10001);
  EXPECT_EQ(kit::check_targets(t), "targets.complaint_rate_max_bp must be between 0 and 10000");
  t.set_complaint_rate_max_bp(0);
  t.add_repair_leads("");
  EXPECT_EQ(kit::check_targets(t), "targets.repair_leads must hold ids of 1-128 characters");
}

TEST(Evaluate, FloorIsExactNotRounded) {
  // 16999 / 20000 = 84.995 % rounds to 8500 basis points but misses 85 %.
  v1::KpiResult r = evaluate("satisfaction", ratio(16999, 20000), 8500, false);
  EXPECT_EQ(r.actual().basis_points(), 8500);
  EXPECT_TRUE(r.measured());
  EXPECT_FALSE(r.met());
  EXPECT_EQ(r.gap_bp(), 1);
  EXPECT_TRUE(evaluate("satisfaction", ratio(17, 20), 8500, false).met());
  v1::KpiResult low = evaluate("satisfaction", ratio(8, 10), 8500, false);
  EXPECT_FALSE(low.met());
  EXPECT_EQ(low.gap_bp(), 500);
}

TEST(Evaluate, CeilingIsStrictlyBelow) {
  EXPECT_TRUE(evaluate("complaint_rate", ratio(0, 50), 100, true).met());
  EXPECT_FALSE(evaluate("complaint_rate", ratio(1, 100), 100, true).met());  // 1 % is not below 1 %
  v1::KpiResult r = evaluate("complaint_rate", ratio(3, 100), 100, true);
  EXPECT_FALSE(r.met());
  EXPECT_EQ(r.gap_bp(), 200);
}

TEST(Evaluate, NothingMeasuredIsMet) {
  v1::KpiResult r = evaluate("fee_collection", ratio(0, 0), 8000, false);
  EXPECT_FALSE(r.measured());
  EXPECT_TRUE(r.met());
  EXPECT_EQ(r.gap_bp(), 0);
}

TEST(Evaluate, CatalogOrderAndMissingSources) {
  Figures f;
  f.satisfaction = ratio(80, 100);  // below 85 %
  f.complaint_rate = ratio(0, 100);
  f.callback_handling = ratio(100, 100);
  // billing and intake did not answer: their KPIs are left out
  auto kpis = evaluate(f, Targets::defaults());
  ASSERT_EQ(kpis.size(), 3u);
  EXPECT_EQ(kpis[0].kpi(), "satisfaction");
  EXPECT_EQ(kpis[1].kpi(), "complaint_rate");
  EXPECT_EQ(kpis[2].kpi(), "callback_handling");
  auto m = missed(kpis);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kpi(), "satisfaction");
  f.fee_collection = ratio(90, 100);
  f.response_on_time = ratio(1, 2);
  f.resolve_on_time = ratio(0, 0);
  kpis = evaluate(f, Targets::defaults());
  ASSERT_EQ(kpis.size(), 6u);
  EXPECT_EQ(kpis[1].kpi(), "fee_collection");
  EXPECT_EQ(kpis[4].kpi(), "response_on_time");
  EXPECT_EQ(missed(kpis).size(), 2u);
}

TEST(Quotas, SharesByTitle) {
  Targets t = Targets::defaults();
  t.managers = {"m1"};
  t.supervisors = {"s1", "s2"};
  t.repair_leads = {"r1"};
  std::vector<RecorderCount> by = {{"m1", 1}, {"s1", 2}, {"s2", 1}, {"r1", 5}, {"agent", 1}};
  auto q = quotas(10, by, t);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].title(), "manager");
  EXPECT_EQ(q[0].share().numerator(), 1);
  EXPECT_EQ(q[0].share().denominator(), 10);
  EXPECT_TRUE(q[0].met());  // 10 % >= 10 %
  EXPECT_EQ(q[1].title(), "supervisor");
  EXPECT_EQ(q[1].share().numerator(), 3);
  EXPECT_TRUE(q[1].met());
  EXPECT_EQ(q[2].title(), "repair_lead");
  EXPECT_EQ(q[2].share().basis_points(), 5000);
  EXPECT_FALSE(q[2].met());  // 50 % < 60 %
  EXPECT_EQ(q[2].quota_bp(), 6000);
  for (const auto& none : quotas(0, {}, t)) EXPECT_TRUE(none.met());
}

TEST(Periods, LabelsRoundTrip) {
  for (const char* text : {"2026-11", "2026-W07", "2026-Q2", "2026"}) {
    v1::ReportPeriod p;
    ASSERT_TRUE(parse_period_label(text, &p)) << text;
    EXPECT_EQ(period_label(p), text);
  }
  v1::ReportPeriod p;
  EXPECT_TRUE(parse_period_label("2026", &p));
  EXPECT_EQ(p.granularity(), v1::REPORT_GRANULARITY_YEAR);
  EXPECT_EQ(p.index(), 0);
  for (const char* bad : {"", "202", "20266", "2026-1", "2026-Qx", "2026/11", "latest", "2026-W7"})
    EXPECT_FALSE(parse_period_label(bad, &p)) << bad;
}

TEST(Periods, YearDays) {
  v1::ReportPeriod p;
  p.set_granularity(v1::REPORT_GRANULARITY_YEAR);
  p.set_year(2026);
  PeriodDays d;
  EXPECT_EQ(period_days(p, &d), "");
  EXPECT_EQ(d.first, absl::CivilDay(2026, 1, 1));
  EXPECT_EQ(d.end, absl::CivilDay(2027, 1, 1));
  p.set_index(1);
  EXPECT_NE(period_days(p, &d), "");
}

TEST(Periods, LastClosed) {
  auto ps = last_closed_periods(absl::CivilDay(2026, 1, 1));
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(period_label(ps[0]), "2025-12");
  EXPECT_EQ(period_label(ps[1]), "2025-Q4");
  EXPECT_EQ(period_label(ps[2]), "2025");
  // Thursday 1 January 2026: the last whole week is 22-28 December, ISO week 52 of 2025
  EXPECT_EQ(period_label(ps[3]), "2025-W52");
  ps = last_closed_periods(absl::CivilDay(2026, 5, 31));
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(period_label(ps[0]), "2026-04");
  EXPECT_EQ(period_label(ps[1]), "2026-Q1");
  EXPECT_EQ(period_label(ps[2]), "2025");
  // Sunday 31 May: its own week is not over; 18-24 May is ISO week 21
  EXPECT_EQ(period_label(ps[3]), "2026-W21");
}

TEST(Periods, LastClosedWeekAcrossIsoYears) {
  auto week = [](absl::CivilDay today) { return period_label(last_closed_periods(today)[3]); };
  EXPECT_EQ(week(absl::CivilDay(2026, 6, 1)), "2026-W22");  // a Monday: 25-31 May just ended
  EXPECT_EQ(week(absl::CivilDay(2021, 1, 4)), "2020-W53");  // 2020 has 53 ISO weeks
  EXPECT_EQ(week(absl::CivilDay(2025, 1, 6)), "2025-W01");  // 30 Dec 2024 - 5 Jan 2025
  EXPECT_EQ(week(absl::CivilDay(2027, 1, 4)), "2026-W53");
}

TEST(Alerts, OneIdPerProjectAndPeriod) {
  v1::ReportPeriod a, b;
  ASSERT_TRUE(parse_period_label("2026-11", &a));
  ASSERT_TRUE(parse_period_label("2026-Q4", &b));
  EXPECT_EQ(kpi_alert_id("p1", a), kpi_alert_id("p1", a));
  EXPECT_NE(kpi_alert_id("p1", a), kpi_alert_id("p2", a));
  EXPECT_NE(kpi_alert_id("p1", a), kpi_alert_id("p1", b));
  EXPECT_EQ(kpi_alert_id("p1", a).size(), 36u);
}

v1::ProjectKpis row(const std::string& id, std::vector<v1::KpiResult> kpis) {
  v1::ProjectKpis p;
  p.set_project_id(id);
  for (auto& k : kpis) *p.add_kpis() = k;
  return p;
}

TEST(Group, RankedByTargetsMetThenGapThenId) {
  std::vector<v1::ProjectKpis> rows = {
      row("b", {evaluate("satisfaction", ratio(80, 100), 8500, false)}),  // missed by 500
      row("a", {evaluate("satisfaction", ratio(84, 100), 8500, false)}),  // missed by 100
      row("c", {evaluate("satisfaction", ratio(90, 100), 8500, false)}),
      row("d", {evaluate("satisfaction", ratio(0, 0), 8500, false)}),  // nothing measured: met
  };
  rank_projects(&rows);
  std::vector<std::string> order;
  for (const auto& r : rows) order.push_back(r.project_id());
  EXPECT_EQ(order, (std::vector<std::string>{"c", "d", "a", "b"}));
  EXPECT_EQ(rows[0].rank(), 1);
  EXPECT_EQ(rows[3].rank(), 4);
  EXPECT_EQ(rows[3].gap_bp(), 500);
  EXPECT_EQ(rows[0].targets_met(), 1);
}

TEST(Group, TotalsSumNumeratorsAndDenominators) {
  std::vector<v1::ProjectKpis> rows = {
      row("a", {evaluate("satisfaction", ratio(8, 10), 9000, false),
                evaluate("complaint_rate", ratio(0, 10), 100, true)}),
      row("b", {evaluate("satisfaction", ratio(90, 90), 8500, false)}),
  };
  auto t = totals(rows, Targets::defaults());
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].kpi(), "satisfaction");
  EXPECT_EQ(t[0].actual().numerator(), 98);
  EXPECT_EQ(t[0].actual().denominator(), 100);
  EXPECT_EQ(t[0].target_bp(), 8500);  // the platform's, not a project's
  EXPECT_TRUE(t[0].met());
  EXPECT_EQ(t[1].kpi(), "complaint_rate");
  EXPECT_TRUE(t[1].ceiling());
}

// The repair report rows of one project: (party, kind, signed off, reworks, on time, decided).
struct Row {
  const char* party;
  v1::PartyKind kind;
  int64_t signed_off, reworks, on_time, decided;
};
v1::RepairReportResponse report(const std::string& project, std::vector<Row> rows) {
  v1::RepairReportResponse r;
  r.set_project_id(project);
  for (const Row& row : rows) {
    auto* p = r.add_by_party();
    p->set_party_id(row.party);
    p->set_kind(row.kind);
    p->set_signed_off(row.signed_off);
    p->set_reworks(row.reworks);
    *p->mutable_onsite_on_time() = ratio(row.on_time, row.decided);
  }
  return r;
}

TEST(Worst, SummedAcrossProjectsHighestReworkThenLowestOnTime) {
  using enum v1::PartyKind;
  std::vector<v1::RepairReportResponse> reports = {
      report("P1", {{"B-a", PARTY_KIND_BUILDER, 10, 1, 9, 10},
                    {"B-b", PARTY_KIND_BUILDER, 4, 1, 4, 4},
                    {"crew", PARTY_KIND_CREW, 5, 5, 0, 5},
                    {"K-x", PARTY_KIND_CONTRACTOR, 2, 0, 1, 2}}),
      report("P2", {{"B-a", PARTY_KIND_BUILDER, 10, 4, 5, 10},  // B-a: 5/20 = 25 %
                    {"B-c", PARTY_KIND_BUILDER, 8, 2, 2, 8},    // B-c: 25 %, on time 25 %
                    {"B-d", PARTY_KIND_BUILDER, 0, 0, 0, 0},    // nothing measured
                    {"K-y", PARTY_KIND_CONTRACTOR, 3, 0, 3, 3}}),
  };
  WorstParties w = worst_parties(reports, 10);
  ASSERT_EQ(w.builders.size(), 4u);
  // B-a (5/20), B-b (1/4) and B-c (2/8) all rework 25 %: the lowest on-time rate first, B-c
  // (2/8) before B-a (14/20) before B-b (4/4); B-d measured nothing (0 % rework) comes last.
  EXPECT_EQ(w.builders[0].party_id(), "B-c");
  EXPECT_EQ(w.builders[1].party_id(), "B-a");
  EXPECT_EQ(w.builders[2].party_id(), "B-b");
  EXPECT_EQ(w.builders[3].party_id(), "B-d");
  EXPECT_EQ(w.builders[1].projects(), 2);
  EXPECT_EQ(w.builders[1].signed_off(), 20);
  EXPECT_EQ(w.builders[1].rework_rate().numerator(), 5);
  EXPECT_EQ(w.builders[1].rework_rate().denominator(), 20);
  EXPECT_EQ(w.builders[1].rework_rate().basis_points(), 2500);
  EXPECT_EQ(w.builders[1].on_time_rate().numerator(), 14);
  EXPECT_EQ(w.builders[1].on_time_rate().denominator(), 20);
  EXPECT_EQ(w.builders[3].rework_rate().denominator(), 0);
  // contractors apart, crews (the company's own) never listed
  ASSERT_EQ(w.contractors.size(), 2u);
  EXPECT_EQ(w.contractors[0].party_id(), "K-x");  // 0 % rework both; on time 50 % < 100 %
  EXPECT_EQ(w.contractors[1].party_id(), "K-y");
  EXPECT_EQ(w.contractors[0].kind(), v1::PARTY_KIND_CONTRACTOR);
  // the limit
  WorstParties two = worst_parties(reports, 2);
  ASSERT_EQ(two.builders.size(), 2u);
  EXPECT_EQ(two.builders[0].party_id(), "B-c");
  EXPECT_EQ(two.contractors.size(), 2u);
}

TEST(Worst, ExactFractionsNotRoundedBasisPoints) {
  using enum v1::PartyKind;
  // 1/3 and 3333/10000 both round to 3333 basis points; 1/3 is the higher rework rate
  std::vector<v1::RepairReportResponse> reports = {
      report("P1", {{"B-third", PARTY_KIND_BUILDER, 3, 1, 0, 0},
                    {"B-near", PARTY_KIND_BUILDER, 10000, 3333, 0, 0}})};
  WorstParties w = worst_parties(reports, 10);
  ASSERT_EQ(w.builders.size(), 2u);
  EXPECT_EQ(w.builders[0].rework_rate().basis_points(), w.builders[1].rework_rate().basis_points());
  EXPECT_EQ(w.builders[0].party_id(), "B-third");
}

}  // namespace
}  // namespace aftercare::callback::domain
