// Issue 20 against real PostgreSQL: GroupRepairReport gives every project exactly its
// RepairReport (one query for all of them, each project's period in its own time zone), and the
// per-party on-time figures the group view's worst lists are made of.
#include <gtest/gtest.h>

#include "dispatch/app/work_orders.h"
#include "dispatch/store/report_store.h"
#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using enum aftercare::v1::PartyKind;
using enum aftercare::v1::Signer;
using grpc::StatusCode;

const char* kLondon = "P2";

class GroupReportTest : public DispatchTest {
 protected:
  GroupReportTest() : DispatchTest("t_dispatch_group_report") {}

  void put_party_in(const std::string& project, const std::string& party_id,
                    aftercare::v1::PartyKind kind) {
    aftercare::v1::UpsertPartyRequest req;
    req.set_project_id(project);
    req.set_party_id(party_id);
    req.set_kind(kind);
    req.set_name("party " + party_id);
    req.add_trades(aftercare::v1::TICKET_CATEGORY_DECORATION);
    aftercare::v1::Party resp;
    ASSERT_TRUE(stub_->UpsertParty(as(admin()).get(), req, &resp).ok());
  }

  WorkOrder opened(const std::string& project, const std::string& ticket, absl::Time reported,
                   bool in_warranty = true) {
    Event e = ticket_opened(ticket, in_warranty, reported);
    e.set_project_id(project);
    deliver(e);
    return only_order(ticket);
  }

  static kit::Caller in(const std::string& project, const std::string& role,
                        const std::string& party) {
    return {party + "-user", kit::role_from_name(role), {project}, {}, party};
  }

  static aftercare::v1::ReportPeriod period_of(absl::Time t, bool year) {
    absl::TimeZone shanghai;
    absl::LoadTimeZone("Asia/Shanghai", &shanghai);
    absl::CivilSecond local = absl::ToCivilSecond(t, shanghai);
    aftercare::v1::ReportPeriod p;
    p.set_granularity(year ? aftercare::v1::REPORT_GRANULARITY_YEAR
                           : aftercare::v1::REPORT_GRANULARITY_MONTH);
    p.set_year(static_cast<int>(local.year()));
    p.set_index(year ? 0 : local.month());
    return p;
  }

  void announce_london() {
    Event london;
    london.set_event_id(kit::new_uuid());
    london.set_type("intake.ProjectUpserted");
    london.set_project_id(kLondon);
    london.mutable_project_upserted()->set_project_id(kLondon);
    london.mutable_project_upserted()->set_timezone("Europe/London");
    deliver(london);
  }

  // P1's and London's group report of the period, read by hq; each row must be byte for byte
  // the project's own RepairReport.
  aftercare::v1::GroupRepairReportResponse both_as_their_reports(
      const aftercare::v1::ReportPeriod& period, const std::string& when) {
    const kit::Caller hq{"hq-1", kit::Role::hq, {"*"}, {}, ""};
    aftercare::v1::GroupRepairReportRequest g;
    *g.mutable_period() = period;
    g.add_project_ids(kProject);
    g.add_project_ids(kLondon);
    aftercare::v1::GroupRepairReportResponse group;
    auto s = stub_->GroupRepairReport(as(hq).get(), g, &group);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(group.projects_size(), 2);
    for (const auto& row : group.projects()) {
      aftercare::v1::RepairReportRequest one;
      one.set_project_id(row.project_id());
      *one.mutable_period() = period;
      aftercare::v1::RepairReportResponse single;
      EXPECT_TRUE(stub_->RepairReport(as(hq).get(), one, &single).ok());
      EXPECT_EQ(row.SerializeAsString(), single.SerializeAsString())
          << when << ", " << period.ShortDebugString() << "\ngroup: " << row.DebugString()
          << "single: " << single.DebugString();
    }
    return group;
  }
};

TEST_F(GroupReportTest, EveryProjectGetsExactlyItsRepairReport) {
  announce_london();
  standard_parties();
  put_party_in(kLondon, "B-deco", PARTY_KIND_BUILDER);  // the same builder in both projects
  put_party_in(kLondon, "K-big", PARTY_KIND_CONTRACTOR);

  // P1: a builder order done on time and signed off, then reworked; another one never started
  // past its on-site deadline (late).
  WorkOrder done = opened(kProject, "T-1", reported_at());
  auto builder = partner("builder", "B-deco");
  ASSERT_TRUE(accept(builder, done.work_order_id()).ok());
  ASSERT_TRUE(start(builder, done.work_order_id()).ok());
  ASSERT_TRUE(complete(builder, done.work_order_id(), 0).ok());
  ASSERT_TRUE(sign(owner("U-101"), done.work_order_id(), SIGNER_OWNER).ok());
  ASSERT_TRUE(sign(dispatcher(), done.work_order_id(), SIGNER_MAINTENANCE).ok());
  Event rework;
  rework.set_event_id(kit::new_uuid());
  rework.set_type("callback.ReworkRequested");
  rework.set_project_id(kProject);
  rework.mutable_rework_requested()->set_callback_id("CB-1");
  rework.mutable_rework_requested()->set_ticket_id("T-1");
  rework.mutable_rework_requested()->set_work_order_id(done.work_order_id());
  rework.mutable_rework_requested()->set_reason("还在漏水");
  deliver(rework);
  opened(kProject, "T-2", store::truncate_to_micros(absl::Now() - absl::Hours(30)));
  // P2 (London): the builder starts its order on time.
  WorkOrder london_order = opened(kLondon, "L-1", reported_at());
  auto london_builder = in(kLondon, "builder", "B-deco");
  ASSERT_TRUE(accept(london_builder, london_order.work_order_id()).ok());
  ASSERT_TRUE(start(london_builder, london_order.work_order_id()).ok());

  const kit::Caller hq{"hq-1", kit::Role::hq, {"*"}, {}, ""};
  for (bool year : {false, true}) {
    aftercare::v1::GroupRepairReportRequest g;
    *g.mutable_period() = period_of(absl::Now(), year);
    aftercare::v1::GroupRepairReportResponse group = both_as_their_reports(g.period(), "");
    ASSERT_EQ(group.projects_size(), 2);
    const auto& p1 = group.projects(0);
    EXPECT_EQ(p1.project_id(), kProject);
    EXPECT_EQ(p1.work_orders_created(), 3);
    EXPECT_EQ(p1.reworks(), 1);
    ASSERT_GE(p1.by_party_size(), 1);
    EXPECT_EQ(p1.by_party(0).party_id(), "B-deco");
    EXPECT_EQ(p1.by_party(0).reworks(), 1);
    EXPECT_EQ(p1.by_party(0).signed_off(), 1);
    // T-1 started on time, T-2 never started past its deadline; the rework is not due yet
    EXPECT_EQ(p1.by_party(0).onsite_on_time().numerator(), 1);
    EXPECT_EQ(p1.by_party(0).onsite_on_time().denominator(), 2);
    const auto& p2 = group.projects(1);
    EXPECT_EQ(p2.project_id(), kLondon);
    ASSERT_EQ(p2.by_party_size(), 1);
    EXPECT_EQ(p2.by_party(0).onsite_on_time().numerator(), 1);
    EXPECT_EQ(p2.by_party(0).onsite_on_time().denominator(), 1);
    // none named: every project dispatch knows that the caller sees
    g.clear_project_ids();
    aftercare::v1::GroupRepairReportResponse every;
    ASSERT_TRUE(stub_->GroupRepairReport(as(hq).get(), g, &every).ok());
    ASSERT_EQ(every.projects_size(), 2);
  }
  // scope, roles and bad input
  aftercare::v1::GroupRepairReportRequest g;
  *g.mutable_period() = period_of(absl::Now(), false);
  g.add_project_ids(kLondon);
  aftercare::v1::GroupRepairReportResponse out;
  EXPECT_EQ(stub_->GroupRepairReport(as(dispatcher()).get(), g, &out).error_code(),
            StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GroupRepairReport(as(builder).get(), g, &out).error_code(),
            StatusCode::PERMISSION_DENIED);
  g.set_project_ids(0, "");
  EXPECT_EQ(stub_->GroupRepairReport(as(hq).get(), g, &out).error_code(),
            StatusCode::INVALID_ARGUMENT);
  g.set_project_ids(0, kLondon);
  g.mutable_period()->set_index(13);
  EXPECT_EQ(stub_->GroupRepairReport(as(hq).get(), g, &out).error_code(),
            StatusCode::INVALID_ARGUMENT);
}

// The group view sums the orders' report columns (migration 006); each project's row must still
// be exactly the report made from the documents, for orders whose life crosses period
// boundaries that differ between time zones (Shanghai's November starts on 31 October 16:00
// UTC, London's on 1 November 00:00 UTC), with every figure the report has: sign-offs recorded
// for the owner, the verifier's acceptance, ratings per party and technician, confirmed quotes,
// warranty cost advanced to a builder, reroutes, cancellations, unassigned orders and an order
// not yet due. Then the same after the columns are emptied, as for orders written before the
// migration: the report fills them first, and the sweeper fills them too.
TEST_F(GroupReportTest, ColumnsGiveTheDocumentsReportAcrossPeriodsAndZones) {
  announce_london();
  auto utc = [](int m, int d, int h, int min = 0) {
    return absl::FromCivil(absl::CivilSecond(2026, m, d, h, min, 0), absl::UTCTimeZone());
  };
  auto ts = [](absl::Time t) { return store::to_timestamp(t); };
  int n = 0;
  auto order = [&](const std::string& project, aftercare::v1::PartyKind kind,
                   const std::string& party, absl::Time created) {
    WorkOrder o;
    o.set_work_order_id("WO-" + project + "-" + std::to_string(++n));
    o.set_ticket_id("T-" + project + "-" + std::to_string(n));
    o.set_project_id(project);
    o.set_unit_id("U-101");
    o.set_origin(aftercare::v1::WORK_ORDER_ORIGIN_INITIAL);
    o.set_assignee_kind(kind);
    o.set_party_id(party);
    o.set_builder_party_id("B-1");
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_CREATED);
    o.set_in_warranty(true);
    *o.mutable_created_at() = ts(created);
    *o.mutable_deadline() = ts(created + absl::Hours(24));
    *o.mutable_resolve_due() = ts(created + absl::Hours(24 * 15));
    *o.mutable_updated_at() = ts(created);
    o.set_version(1);
    return o;
  };
  auto sign_off = [&](WorkOrder& o, absl::Time at, bool on_behalf, bool verifier) {
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_SIGNED_OFF);
    *o.mutable_signed_off_at() = ts(at);
    auto* owner = o.add_sign_offs();
    owner->set_signer(SIGNER_OWNER);
    *owner->mutable_signed_at() = ts(at);
    if (on_behalf) owner->mutable_on_behalf()->set_note("paper slip");
    if (verifier) {
      auto* v = o.add_sign_offs();
      v->set_signer(SIGNER_VERIFIER);
      *v->mutable_signed_at() = ts(at - absl::Hours(1));
    }
  };
  auto rate = [&](WorkOrder& o, absl::Time at, int score, const std::string& technician) {
    o.mutable_rating()->set_score(score);
    *o.mutable_rating()->mutable_rated_at() = ts(at);
    o.mutable_rating()->set_technician_id(technician);
  };
  std::vector<WorkOrder> orders;
  for (const char* project : {kProject, kLondon}) {
    // Created 31 Oct 15:00 UTC (October everywhere), started on time, signed off by the
    // verifier and for the owner on a slip on 3 Nov, rated 4 on 4 Nov for technician X-1.
    WorkOrder first = order(project, PARTY_KIND_BUILDER, "B-1", utc(10, 31, 15));
    *first.mutable_started_at() = ts(utc(10, 31, 18));
    first.set_technician_id("X-1");
    sign_off(first, utc(11, 3, 10), true, true);
    rate(first, utc(11, 4, 9), 4, "X-1");
    orders.push_back(first);
    // Its rework, created 31 Oct 16:30 UTC (November in Shanghai, October in London), a
    // contractor's, started late, warranty cost advanced for B-1, signed off 30 Nov 16:30 UTC
    // (December in Shanghai), rated 2 for technician X-2.
    WorkOrder rework = order(project, PARTY_KIND_CONTRACTOR, "K-1", utc(10, 31, 16, 30));
    rework.set_origin(aftercare::v1::WORK_ORDER_ORIGIN_REWORK);
    rework.set_rework_of(first.work_order_id());
    *rework.mutable_started_at() = ts(utc(11, 2, 9));
    rework.set_technician_id("X-2");
    rework.set_cost_fen(5000);
    sign_off(rework, utc(11, 30, 16, 30), false, false);
    rate(rework, utc(11, 30, 16, 45), 2, "X-2");
    orders.push_back(rework);
    // Never started, its on-site deadline long passed (late).
    orders.push_back(order(project, PARTY_KIND_BUILDER, "B-1", utc(11, 10, 8)));
    // Rerouted away from B-1 on 11 Nov to B-2, whose order was cancelled.
    WorkOrder away = order(project, PARTY_KIND_BUILDER, "B-1", utc(11, 11, 8));
    away.set_status(aftercare::v1::WORK_ORDER_STATUS_REROUTED);
    WorkOrder to = order(project, PARTY_KIND_BUILDER, "B-2", utc(11, 12, 8));
    away.set_rerouted_to(to.work_order_id());
    to.set_origin(aftercare::v1::WORK_ORDER_ORIGIN_REROUTE);
    to.set_status(aftercare::v1::WORK_ORDER_STATUS_CANCELLED);
    orders.push_back(away);
    orders.push_back(to);
    // A paid contractor job: the quote confirmed 15 Nov, signed off 20 Nov, rated 5 for X-2.
    WorkOrder paid = order(project, PARTY_KIND_CONTRACTOR, "K-1", utc(11, 14, 8));
    paid.set_in_warranty(false);
    paid.set_paid(true);
    paid.mutable_quote()->set_quote_id("Q-" + paid.work_order_id());
    paid.mutable_quote()->set_amount_fen(30000);
    paid.mutable_quote()->set_status(aftercare::v1::QUOTE_STATUS_CONFIRMED);
    *paid.mutable_quote()->mutable_decided_at() = ts(utc(11, 15, 8));
    *paid.mutable_started_at() = ts(utc(11, 16, 8));
    paid.set_technician_id("X-2");
    paid.set_cost_fen(30000);
    sign_off(paid, utc(11, 20, 8), false, false);
    rate(paid, utc(11, 21, 8), 5, "X-2");
    orders.push_back(paid);
    // Unassigned (a dispatcher must reassign it), and one of this week not due yet.
    orders.push_back(order(project, PARTY_KIND_CREW, "", utc(11, 20, 9)));
    orders.push_back(order(project, PARTY_KIND_BUILDER, "B-2",
                           store::truncate_to_micros(absl::Now() - absl::Hours(1))));
  }
  db_->in_transaction([&](pqxx::work& tx) {
    for (WorkOrder& o : orders) {
      absl::Time last = store::from_timestamp(o.created_at());
      for (auto* t :
           {&o.signed_off_at(), &o.rating().rated_at(), &o.quote().decided_at(), &o.started_at()}) {
        if (t->seconds() != 0) last = std::max(last, store::from_timestamp(*t));
      }
      *o.mutable_updated_at() = ts(last);
      ASSERT_TRUE(store::insert_work_order(tx, o, "test:" + o.work_order_id()));
    }
  });
  using enum aftercare::v1::ReportGranularity;
  std::vector<aftercare::v1::ReportPeriod> periods;
  auto add = [&](aftercare::v1::ReportGranularity g, int year, int index) {
    aftercare::v1::ReportPeriod p;
    p.set_granularity(g);
    p.set_year(year);
    p.set_index(index);
    periods.push_back(p);
  };
  for (int m = 10; m <= 12; ++m) add(REPORT_GRANULARITY_MONTH, 2026, m);
  for (int w = 44; w <= 53; ++w) add(REPORT_GRANULARITY_WEEK, 2026, w);  // 2026 has 53
  add(REPORT_GRANULARITY_QUARTER, 2026, 4);
  add(REPORT_GRANULARITY_YEAR, 2026, 0);
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  add(REPORT_GRANULARITY_MONTH, static_cast<int>(today.year()), today.month());
  add(REPORT_GRANULARITY_YEAR, static_cast<int>(today.year()), 0);
  auto same_as_documents = [&](const std::string& when) {
    for (const auto& period : periods) both_as_their_reports(period, when);
  };
  same_as_documents("columns written with the orders");
  // The boundaries fall where each zone puts them.
  aftercare::v1::ReportPeriod nov;
  nov.set_granularity(REPORT_GRANULARITY_MONTH);
  nov.set_year(2026);
  nov.set_index(11);
  aftercare::v1::GroupRepairReportResponse got = both_as_their_reports(nov, "November");
  ASSERT_EQ(got.projects_size(), 2);
  const auto& shanghai = got.projects(0);
  const auto& in_london = got.projects(1);
  ASSERT_EQ(shanghai.project_id(), kProject);
  EXPECT_EQ(shanghai.work_orders_created(), 6);   // the rework and five more
  EXPECT_EQ(in_london.work_orders_created(), 5);  // the rework was October's
  EXPECT_EQ(shanghai.reworks(), 1);
  EXPECT_EQ(in_london.reworks(), 0);
  EXPECT_EQ(shanghai.work_orders_signed_off(), 2);  // the rework's sign-off is December's
  EXPECT_EQ(in_london.work_orders_signed_off(), 3);
  EXPECT_EQ(in_london.warranty_cost_fen(), 5000);
  EXPECT_EQ(shanghai.warranty_cost_fen(), 0);
  EXPECT_EQ(shanghai.paid_repair_fen(), 30000);
  EXPECT_EQ(shanghai.verifier_accepted(), 1);
  EXPECT_EQ(shanghai.signed_off_on_behalf(), 1);
  EXPECT_EQ(shanghai.ratings().rated(), 2);
  EXPECT_EQ(in_london.ratings().rated(), 3);
  // Orders written before migration 006: the columns empty, as the migration leaves them.
  const char* empty_columns = R"(
    UPDATE work_orders SET started_at = NULL, rerouted = NULL, rating_at = NULL,
      rating_score = NULL, rating_technician = NULL, quote_confirmed_at = NULL, quote_fen = NULL,
      verifier_signed_at = NULL, owner_signs_on_behalf = NULL, warranty_advanced = NULL,
      rework_of_party = NULL, rework_of_kind = NULL,
      report_columns = NULL RETURNING 1)";
  ASSERT_EQ(count("WITH x AS (" + std::string(empty_columns) + ") SELECT count(*) FROM x"),
            static_cast<int64_t>(orders.size()));
  same_as_documents("columns filled by the report");
  EXPECT_EQ(count("SELECT count(*) FROM work_orders WHERE report_columns IS NULL"), 0);
  ASSERT_EQ(count("WITH x AS (" + std::string(empty_columns) + ") SELECT count(*) FROM x"),
            static_cast<int64_t>(orders.size()));
  // the sweeper's round (sweep_once), in batches of 3 here
  EXPECT_EQ(app::fill_report_columns(*db_, 3), static_cast<int>(orders.size()));
  EXPECT_EQ(count("SELECT count(*) FROM work_orders WHERE report_columns IS NULL"), 0);
  same_as_documents("columns filled by the sweeper");
}

}  // namespace
}  // namespace aftercare::dispatch::testing
