// Issue 20 against real PostgreSQL, through a real channel: a project's scorecard (callback's
// KPIs with intake's and billing's figures, the callback quotas by staff title), the period-close
// sweep (a month below target raises exactly one alert and one callback.KpiTargetMissed, however
// often it runs; a period whose sources did not answer stays open), and the supervisors' list
// (scope, hq reads but cannot acknowledge, a refused call changes nothing).
#include <gtest/gtest.h>

#include <future>
#include <map>

#include "callback/app/targets.h"
#include "callback_fixture.h"
#include "common/call.h"
#include "common/time.h"

namespace aftercare::callback::testing {
namespace {

using aftercare::testing::TestServer;

const std::string kProject = "P-sat";
const std::string kOther = "P-sat-other";

kit::Caller staff(const std::string& role, const std::string& sub,
                  std::vector<std::string> projects = {kProject}) {
  return kit::Caller{sub, kit::role_from_name(role), std::move(projects), {}, ""};
}

v1::Ratio ratio(int64_t n, int64_t d) {
  v1::Ratio r;
  r.set_numerator(n);
  r.set_denominator(d);
  if (d > 0) r.set_basis_points(static_cast<int32_t>((2 * n * 10000 + d) / (2 * d)));
  return r;
}

// intake and billing as the test says: answering or not.
class FakeSources final : public app::KpiSources {
 public:
  bool intake_up = true, billing_up = true;
  int calls = 0;
  std::optional<v1::MonthlyStatsResponse> ticket_stats(const kit::Caller&, const std::string& p,
                                                       const v1::ReportPeriod&) override {
    ++calls;
    if (!intake_up) return std::nullopt;
    v1::MonthlyStatsResponse r;
    r.set_project_id(p);
    *r.mutable_response_on_time() = ratio(10, 10);
    *r.mutable_resolve_on_time() = ratio(9, 10);
    return r;
  }
  std::optional<v1::ProjectReportResponse> billing_report(const kit::Caller&, const std::string& p,
                                                          const v1::ReportPeriod&) override {
    ++calls;
    if (!billing_up) return std::nullopt;
    v1::ProjectReportResponse r;
    r.set_project_id(p);
    *r.mutable_fee_collection_rate() = ratio(90, 100);
    return r;
  }
  // The group view's sources: the same figures per project, and dispatch's repair reports.
  bool dispatch_up = true;
  std::map<std::string, v1::RepairReportResponse> repairs;
  std::future<app::GroupFigures> group_figures(const kit::Caller& caller,
                                               const std::vector<std::string>& ids,
                                               const v1::ReportPeriod& period) override {
    ++group_calls;
    app::GroupFigures f;
    if (intake_up) f.tickets.emplace();
    if (billing_up) f.billing.emplace();
    for (const auto& id : ids) {
      if (intake_up) (*f.tickets)[id] = *ticket_stats(caller, id, period);
      if (billing_up) (*f.billing)[id] = *billing_report(caller, id, period);
    }
    if (dispatch_up) f.repairs = repairs;
    std::promise<app::GroupFigures> p;
    p.set_value(std::move(f));
    return p.get_future();
  }
  int group_calls = 0;
};

class TargetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = aftercare::testing::migrated_database("t_callback_targets",
                                                  generated::callback_migrations());
    topic_ = aftercare::testing::create_topic("test.callback.targets");
    outbox_ = std::make_unique<kit::Outbox>(topic_, "callback");
    clock_.set(local(2024, 5, 14, 15, 0, 0));
    impl_ =
        std::make_unique<CallbackServiceImpl>(*pool_, *outbox_, [this] { return clock_.now(); });
    impl_->set_kpi_sources(&sources_);
    server_ = std::make_unique<TestServer>(impl_.get());
    stub_ = v1::CallbacksService::NewStub(server_->channel());
    applier_ = std::make_unique<app::EventApplier>(*outbox_, [this] { return clock_.now(); });
    for (const std::string& p : {kProject, kOther}) {
      v1::Event e;
      e.set_event_id(kit::new_uuid());
      e.set_type("intake.ProjectUpserted");
      e.set_project_id(p);
      e.set_aggregate_id(p);
      e.mutable_project_upserted()->set_project_id(p);
      e.mutable_project_upserted()->set_timezone("Asia/Shanghai");
      apply(e);
    }
    v1::Event policy;
    policy.set_event_id(kit::new_uuid());
    policy.set_type("intake.PolicyUpdated");
    policy.set_project_id(kProject);
    policy.set_aggregate_id(kProject);
    v1::Policy* p = policy.mutable_policy_updated()->mutable_policy();
    p->set_project_id(kProject);
    p->set_version(2);
    p->mutable_targets()->add_managers("mgr-1");
    p->mutable_targets()->add_supervisors("sup-1");
    p->mutable_targets()->add_repair_leads("lead-1");
    apply(policy);
    apply(unit_upserted(kProject, "U-1", "owner-U-1", absl::CivilDay(2024, 1, 10)));
    // The projection records when callback first heard of a project by the database's clock;
    // the test's projects exist since 2022.
    pool_->in_transaction([](pqxx::work& tx) {
      tx.exec("UPDATE callback_projects SET first_seen = '2022-01-01T00:00:00Z'");
    });
  }

  void apply(const v1::Event& e) {
    pool_->in_transaction([&](pqxx::work& tx) { (*applier_)(tx, e); });
  }

  // Ten repair callbacks of May, recorded: 8 satisfied and 2 unsatisfied (80 % < 85 %),
  // by the manager (1), the supervisor (3) and the repair lead (6).
  void may_of_ten_callbacks() {
    for (int i = 0; i < 10; ++i) {
      std::string wo = "WO-" + std::to_string(i);
      apply(signed_off(kProject, wo, "T-" + wo, "U-1", v1::COMPONENT_DOOR_WINDOW, clock_.now()));
      std::string id = pool_->in_transaction([&](pqxx::work& tx) {
        return std::string(tx.exec_params1("SELECT callback_id::text FROM callbacks WHERE "
                                           "work_order_id = $1",
                                           wo)[0]
                               .c_str());
      });
      v1::RecordCallbackRequest r;
      r.set_callback_id(id);
      r.set_reached(true);
      r.set_satisfaction(i < 8 ? v1::SATISFACTION_SATISFIED : v1::SATISFACTION_UNSATISFIED);
      r.set_timely(true);
      r.set_charge_ok(true);
      r.set_owner_confirmed(true);
      std::string sub = i == 0 ? "mgr-1" : i < 4 ? "sup-1" : "lead-1";
      v1::Callback out;
      grpc::Status s =
          stub_->RecordCallback(kit::client_context(staff("supervisor", sub)).get(), r, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  static v1::ReportPeriod may() {
    v1::ReportPeriod p;
    p.set_granularity(v1::REPORT_GRANULARITY_MONTH);
    p.set_year(2024);
    p.set_index(5);
    return p;
  }

  grpc::Status scorecard(const kit::Caller& c, v1::ScorecardResponse* out,
                         const std::string& project = kProject) {
    v1::ScorecardRequest r;
    r.set_project_id(project);
    *r.mutable_period() = may();
    return stub_->Scorecard(kit::client_context(c).get(), r, out);
  }

  grpc::Status list(const kit::Caller& c, v1::ListKpiAlertsResponse* out, bool open_only = false,
                    const std::string& project = kProject) {
    v1::ListKpiAlertsRequest r;
    r.set_project_id(project);
    r.set_open_only(open_only);
    return stub_->ListKpiAlerts(kit::client_context(c).get(), r, out);
  }

  std::unique_ptr<kit::PgPool> pool_;
  std::string topic_;
  std::unique_ptr<kit::Outbox> outbox_;
  TestClock clock_;
  FakeSources sources_;
  std::unique_ptr<CallbackServiceImpl> impl_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::CallbacksService::Stub> stub_;
  std::unique_ptr<app::EventApplier> applier_;
};

TEST_F(TargetsTest, ScorecardShowsEveryKpiAgainstItsTargetAndTheQuotas) {
  may_of_ten_callbacks();
  v1::ScorecardResponse card;
  grpc::Status s = scorecard(staff("supervisor", "sup-1"), &card);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(card.closed());
  EXPECT_EQ(card.incomplete_size(), 0);
  ASSERT_EQ(card.kpis_size(), 6);
  std::map<std::string, v1::KpiResult> by;
  for (const auto& k : card.kpis()) by[k.kpi()] = k;
  EXPECT_EQ(card.kpis(0).kpi(), "satisfaction");
  EXPECT_EQ(by["satisfaction"].actual().basis_points(), 8000);
  EXPECT_EQ(by["satisfaction"].target_bp(), 8500);
  EXPECT_FALSE(by["satisfaction"].met());
  EXPECT_EQ(by["satisfaction"].gap_bp(), 500);
  EXPECT_FALSE(by["complaint_rate"].met());  // 20 % is not below 1 %
  EXPECT_TRUE(by["complaint_rate"].ceiling());
  EXPECT_TRUE(by["callback_handling"].met());
  EXPECT_TRUE(by["fee_collection"].met());
  EXPECT_TRUE(by["response_on_time"].met());
  EXPECT_TRUE(by["resolve_on_time"].met());  // 90 % >= 90 %
  EXPECT_EQ(card.targets_met(), 4);
  ASSERT_EQ(card.quotas_size(), 3);
  EXPECT_EQ(card.quotas(0).title(), "manager");
  EXPECT_EQ(card.quotas(0).share().numerator(), 1);
  EXPECT_EQ(card.quotas(0).share().denominator(), 10);
  EXPECT_TRUE(card.quotas(0).met());
  EXPECT_EQ(card.quotas(1).share().numerator(), 3);
  EXPECT_TRUE(card.quotas(1).met());
  EXPECT_EQ(card.quotas(2).share().numerator(), 6);
  EXPECT_TRUE(card.quotas(2).met());

  // hq reads; an agent may not; another project's supervisor does not see the project
  EXPECT_TRUE(scorecard(staff("hq", "hq-1", {"*"}), &card).ok());
  EXPECT_EQ(scorecard(staff("agent", "a-1"), &card).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(scorecard(staff("supervisor", "s-x", {kOther}), &card).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // a source down: its KPIs are left out and named
  sources_.billing_up = false;
  ASSERT_TRUE(scorecard(staff("supervisor", "sup-1"), &card).ok());
  EXPECT_EQ(card.kpis_size(), 5);
  ASSERT_EQ(card.incomplete_size(), 1);
  EXPECT_EQ(card.incomplete(0), "billing");
}

TEST_F(TargetsTest, AMonthBelowTargetRaisesExactlyOneAlert) {
  may_of_ten_callbacks();
  // The ten callbacks' week (2024-W21, 20-26 May) is judged on 27 May, before this story: its
  // close row is there as an earlier sweep left it (weeks: AWeekBelowTargetRaisesExactlyOneAlert),
  // so the sweeps of 1 June judge the month alone.
  pool_->in_transaction([](pqxx::work& tx) {
    tx.exec(
        "INSERT INTO callback_period_closes (project_id, period_label, closed_at, missed) "
        "VALUES ('P-sat', '2024-W21', '2024-05-26T18:00:00Z', 2)");
  });
  // 1 June 00:30 in Shanghai: May ended, but within the hour of grace it stays open (April,
  // Q1 and 2023, with nothing measured here, close without alert)
  auto r = app::close_periods(*pool_, *outbox_, &sources_, local(2024, 6, 1, 0, 30));
  EXPECT_EQ(r.alerts, 0);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM callback_period_closes WHERE period_label = "
                  "'2024-05'"),
            0);
  // billing down: May stays open (deferred), nothing raised
  sources_.billing_up = false;
  r = app::close_periods(*pool_, *outbox_, &sources_, local(2024, 6, 1, 2, 0));
  EXPECT_GE(r.deferred, 1);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM callback_period_closes WHERE period_label = "
                  "'2024-05'"),
            0);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_kpi_alerts"), 0);
  EXPECT_EQ(outbox_count(*pool_, "callback.KpiTargetMissed"), 0);
  // billing back: May closes below target
  sources_.billing_up = true;
  r = app::close_periods(*pool_, *outbox_, &sources_, local(2024, 6, 1, 2, 5));
  EXPECT_EQ(r.alerts, 1);
  // a project callback heard of only after May has no May to judge
  apply([] {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.ProjectUpserted");
    e.set_project_id("P-new");
    e.set_aggregate_id("P-new");
    e.mutable_project_upserted()->set_project_id("P-new");
    e.mutable_project_upserted()->set_timezone("Asia/Shanghai");
    return e;
  }());
  for (int i = 0; i < 3; ++i)  // every later sweep, on any replica, finds May closed
    app::close_periods(*pool_, *outbox_, &sources_, local(2024, 6, 1, 3 + i, 0));
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_kpi_alerts"), 1);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_period_closes WHERE project_id = 'P-new'"),
            0);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_period_closes WHERE project_id = 'P-sat'"),
            5);  // 2024-04, 2024-Q1, 2023, 2024-W21 (before), 2024-05
  auto events = outbox_events(*pool_, "callback.KpiTargetMissed");
  ASSERT_EQ(events.size(), 1u);
  const v1::KpiTargetMissed& m = events[0].kpi_target_missed();
  EXPECT_EQ(events[0].project_id(), kProject);
  EXPECT_EQ(m.period_label(), "2024-05");
  ASSERT_EQ(m.missed_size(), 2);
  EXPECT_EQ(m.missed(0).kpi(), "satisfaction");
  EXPECT_EQ(m.missed(1).kpi(), "complaint_rate");
  EXPECT_EQ(kit::from_timestamp(m.period_end()), local(2024, 6, 1));
  EXPECT_EQ(events[0].aggregate_id(), m.alert_id());

  // the supervisors' list
  v1::ListKpiAlertsResponse alerts;
  ASSERT_TRUE(list(staff("supervisor", "sup-1"), &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 1);
  EXPECT_EQ(alerts.alerts(0).alert_id(), m.alert_id());
  EXPECT_EQ(alerts.alerts(0).period_label(), "2024-05");
  EXPECT_FALSE(alerts.alerts(0).acknowledged());
  ASSERT_TRUE(list(staff("hq", "hq-1", {"*"}), &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 1);
  EXPECT_EQ(list(staff("supervisor", "s-x", {kOther}), &alerts).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(list(staff("agent", "a-1"), &alerts).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(list(staff("admin", "adm", {"*"}), &alerts, false, "P-unknown").error_code(),
            grpc::StatusCode::NOT_FOUND);

  // hq reads only: a refused acknowledgement changes nothing
  v1::AcknowledgeKpiAlertRequest ack;
  ack.set_alert_id(m.alert_id());
  ack.set_note("已约谈维修负责人，六月整改");
  v1::KpiAlert out;
  EXPECT_EQ(
      stub_->AcknowledgeKpiAlert(kit::client_context(staff("hq", "hq-1", {"*"})).get(), ack, &out)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_
                ->AcknowledgeKpiAlert(
                    kit::client_context(staff("supervisor", "s-x", {kOther})).get(), ack, &out)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(list(staff("supervisor", "sup-1"), &alerts, true).ok());
  EXPECT_EQ(alerts.alerts_size(), 1);
  grpc::Status s = stub_->AcknowledgeKpiAlert(
      kit::client_context(staff("supervisor", "sup-1")).get(), ack, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(out.acknowledged());
  EXPECT_EQ(out.acknowledged_by(), "sup-1");
  EXPECT_EQ(out.note(), "已约谈维修负责人，六月整改");
  ASSERT_EQ(out.missed_size(), 2);
  ASSERT_TRUE(list(staff("supervisor", "sup-1"), &alerts, true).ok());
  EXPECT_EQ(alerts.alerts_size(), 0);
  // unknown and malformed ids
  ack.set_alert_id("00000000-0000-5000-8000-000000000000");
  EXPECT_EQ(
      stub_->AcknowledgeKpiAlert(kit::client_context(staff("admin", "adm", {"*"})).get(), ack, &out)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  ack.set_alert_id("not-an-id");
  EXPECT_EQ(
      stub_->AcknowledgeKpiAlert(kit::client_context(staff("admin", "adm", {"*"})).get(), ack, &out)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
}

// Weeks close too. The ten callbacks fall due (and count) in ISO week 21, 20-26 May 2024.
TEST_F(TargetsTest, AWeekBelowTargetRaisesExactlyOneAlert) {
  may_of_ten_callbacks();
  auto closes_of = [&](const std::string& label) {
    return count(*pool_,
                 "SELECT count(*) FROM callback_period_closes WHERE project_id = 'P-sat' "
                 "AND period_label = '" +
                     label + "'");
  };
  // Sunday 26 May, 23:00: the week is not over
  auto r = app::close_periods(*pool_, *outbox_, &sources_, local(2024, 5, 26, 23, 0));
  EXPECT_EQ(r.alerts, 0);
  // Monday 00:30: over, but within the hour of grace
  r = app::close_periods(*pool_, *outbox_, &sources_, local(2024, 5, 27, 0, 30));
  EXPECT_EQ(r.alerts, 0);
  EXPECT_EQ(closes_of("2024-W21"), 0);
  EXPECT_EQ(closes_of("2024-W20"), 1);  // the week before, nothing measured: closed, no alert
  // Monday 01:05: week 21 closes below target (80 % satisfied < 85 %, 20 % unsatisfied)
  r = app::close_periods(*pool_, *outbox_, &sources_, local(2024, 5, 27, 1, 5));
  EXPECT_EQ(r.alerts, 1);
  for (int i = 0; i < 3; ++i)  // later sweeps, on any replica, find it closed
    app::close_periods(*pool_, *outbox_, &sources_, local(2024, 5, 27, 2 + i, 0));
  // the next week, with nothing measured, closes without alert
  r = app::close_periods(*pool_, *outbox_, &sources_, local(2024, 6, 3, 2, 0));
  EXPECT_EQ(closes_of("2024-W22"), 1);
  EXPECT_EQ(closes_of("2024-W21"), 1);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_kpi_alerts WHERE period_label LIKE '%W%'"),
            1);
  std::vector<v1::Event> weeks;
  for (auto& e : outbox_events(*pool_, "callback.KpiTargetMissed"))
    if (e.kpi_target_missed().period().granularity() == v1::REPORT_GRANULARITY_WEEK)
      weeks.push_back(e);
  ASSERT_EQ(weeks.size(), 1u);
  const v1::KpiTargetMissed& m = weeks[0].kpi_target_missed();
  EXPECT_EQ(weeks[0].project_id(), kProject);
  EXPECT_EQ(m.period_label(), "2024-W21");
  ASSERT_EQ(m.missed_size(), 2);
  EXPECT_EQ(m.missed(0).kpi(), "satisfaction");
  EXPECT_EQ(m.missed(1).kpi(), "complaint_rate");
  EXPECT_EQ(kit::from_timestamp(m.period_end()), local(2024, 5, 27));
  v1::ListKpiAlertsResponse alerts;
  ASSERT_TRUE(list(staff("supervisor", "sup-1"), &alerts, true).ok());
  bool listed = false;
  for (const auto& a : alerts.alerts()) listed |= a.period_label() == "2024-W21";
  EXPECT_TRUE(listed);
}

TEST_F(TargetsTest, GroupReportRanksEveryProjectOfTheToken) {
  may_of_ten_callbacks();
  v1::GroupReportRequest r;
  r.set_period("2024-05");
  v1::GroupReportResponse g;
  grpc::Status s = stub_->GroupReport(kit::client_context(staff("hq", "hq-1", {"*"})).get(), r, &g);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(g.period(), "2024-05");
  EXPECT_EQ(g.report_period().granularity(), v1::REPORT_GRANULARITY_MONTH);
  ASSERT_EQ(g.projects_size(), 2);
  // the other project meets every target (nothing below them); P-sat misses two
  EXPECT_EQ(g.projects(0).project_id(), kOther);
  EXPECT_EQ(g.projects(0).rank(), 1);
  EXPECT_EQ(g.projects(0).targets_met(), 6);
  EXPECT_EQ(g.projects(1).project_id(), kProject);
  EXPECT_EQ(g.projects(1).targets_met(), 4);
  EXPECT_EQ(g.projects(1).gap_bp(), 500 + 1900);
  ASSERT_EQ(g.totals_size(), 6);
  EXPECT_EQ(g.totals(0).kpi(), "satisfaction");
  EXPECT_EQ(g.totals(0).actual().numerator(), 8);
  EXPECT_EQ(g.totals(0).actual().denominator(), 10);
  EXPECT_EQ(g.totals(1).kpi(), "fee_collection");
  EXPECT_EQ(g.totals(1).actual().numerator(), 180);  // 90/100 from each project
  EXPECT_EQ(g.incomplete_size(), 0);
  // an hq token of one project sees that project only; supervisors have no group view
  ASSERT_TRUE(
      stub_->GroupReport(kit::client_context(staff("hq", "hq-2", {kProject})).get(), r, &g).ok());
  ASSERT_EQ(g.projects_size(), 1);
  EXPECT_EQ(g.projects(0).project_id(), kProject);
  EXPECT_EQ(stub_->GroupReport(kit::client_context(staff("supervisor", "sup-1")).get(), r, &g)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  for (const char* bad : {"2024-13", "latest", "2024-W60", ""}) {
    r.set_period(bad);
    EXPECT_EQ(stub_->GroupReport(kit::client_context(staff("admin", "adm", {"*"})).get(), r, &g)
                  .error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << bad;
  }
}

// The group view asks intake, billing and dispatch once each for every project (not once per
// project), fills the worst builders and contractors from dispatch's reports across projects,
// and names a source that did not answer.
TEST_F(TargetsTest, GroupReportWorstPartiesAcrossProjectsAndMissingSources) {
  may_of_ten_callbacks();
  auto party = [](v1::RepairReportResponse& r, const std::string& id, v1::PartyKind kind,
                  int64_t signed_off, int64_t reworks, int64_t on_time, int64_t decided) {
    auto* p = r.add_by_party();
    p->set_party_id(id);
    p->set_kind(kind);
    p->set_signed_off(signed_off);
    p->set_reworks(reworks);
    *p->mutable_onsite_on_time() = ratio(on_time, decided);
  };
  v1::RepairReportResponse mine, other;
  mine.set_project_id(kProject);
  other.set_project_id(kOther);
  party(mine, "B-1", v1::PARTY_KIND_BUILDER, 4, 1, 3, 4);
  party(other, "B-1", v1::PARTY_KIND_BUILDER, 6, 2, 6, 6);  // B-1: 3/10 rework, 9/10 on time
  party(other, "B-2", v1::PARTY_KIND_BUILDER, 5, 0, 2, 5);
  party(mine, "K-1", v1::PARTY_KIND_CONTRACTOR, 2, 1, 1, 2);
  party(mine, "C-1", v1::PARTY_KIND_CREW, 3, 3, 0, 3);
  sources_.repairs = {{kProject, mine}, {kOther, other}};
  v1::GroupReportRequest r;
  r.set_period("2024-05");
  v1::GroupReportResponse g;
  const kit::Caller hq = staff("hq", "hq-1", {"*"});
  int singles = sources_.calls;
  ASSERT_TRUE(stub_->GroupReport(kit::client_context(hq).get(), r, &g).ok());
  EXPECT_EQ(sources_.group_calls, 1);
  EXPECT_EQ(sources_.calls - singles, 4);  // the fake's group answer is made of 2 x 2 figures
  EXPECT_EQ(g.incomplete_size(), 0);
  ASSERT_EQ(g.worst_builders_size(), 2);
  EXPECT_EQ(g.worst_builders(0).party_id(), "B-1");
  EXPECT_EQ(g.worst_builders(0).projects(), 2);
  EXPECT_EQ(g.worst_builders(0).signed_off(), 10);
  EXPECT_EQ(g.worst_builders(0).rework_rate().numerator(), 3);
  EXPECT_EQ(g.worst_builders(0).rework_rate().denominator(), 10);
  EXPECT_EQ(g.worst_builders(0).on_time_rate().numerator(), 9);
  EXPECT_EQ(g.worst_builders(1).party_id(), "B-2");
  ASSERT_EQ(g.worst_contractors_size(), 1);
  EXPECT_EQ(g.worst_contractors(0).party_id(), "K-1");
  r.set_worst(1);
  ASSERT_TRUE(stub_->GroupReport(kit::client_context(hq).get(), r, &g).ok());
  EXPECT_EQ(g.worst_builders_size(), 1);
  r.set_worst(101);
  EXPECT_EQ(stub_->GroupReport(kit::client_context(hq).get(), r, &g).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r.set_worst(0);

  // dispatch does not answer: the KPIs stay, the worst lists are empty, dispatch is named
  sources_.dispatch_up = false;
  ASSERT_TRUE(stub_->GroupReport(kit::client_context(hq).get(), r, &g).ok());
  EXPECT_EQ(g.worst_builders_size(), 0);
  ASSERT_EQ(g.incomplete_size(), 1);
  EXPECT_EQ(g.incomplete(0), "dispatch");
  ASSERT_EQ(g.projects_size(), 2);
  EXPECT_EQ(g.projects(0).kpis_size(), 6);
  // intake neither: its two KPIs are left out of every project
  sources_.intake_up = false;
  ASSERT_TRUE(stub_->GroupReport(kit::client_context(hq).get(), r, &g).ok());
  ASSERT_EQ(g.incomplete_size(), 2);
  EXPECT_EQ(g.incomplete(0), "dispatch");
  EXPECT_EQ(g.incomplete(1), "intake");
  EXPECT_EQ(g.projects(0).kpis_size(), 4);
  EXPECT_EQ(g.totals_size(), 4);
}

// Callback's own grouped counts equal each project's scorecard, for two projects.
TEST_F(TargetsTest, GroupReportRowsEqualEachProjectsScorecard) {
  may_of_ten_callbacks();
  apply(unit_upserted(kOther, "U-9", "owner-U-9", absl::CivilDay(2024, 1, 10)));
  for (int i = 0; i < 3; ++i) {
    std::string wo = "WO-other-" + std::to_string(i);
    apply(signed_off(kOther, wo, "T-" + wo, "U-9", v1::COMPONENT_DOOR_WINDOW, clock_.now()));
  }
  v1::GroupReportRequest r;
  r.set_period("2024-05");
  v1::GroupReportResponse g;
  const kit::Caller hq = staff("hq", "hq-1", {"*"});
  ASSERT_TRUE(stub_->GroupReport(kit::client_context(hq).get(), r, &g).ok());
  ASSERT_EQ(g.projects_size(), 2);
  for (const auto& row : g.projects()) {
    v1::ScorecardRequest one;
    one.set_project_id(row.project_id());
    one.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
    one.mutable_period()->set_year(2024);
    one.mutable_period()->set_index(5);
    v1::ScorecardResponse card;
    ASSERT_TRUE(stub_->Scorecard(kit::client_context(hq).get(), one, &card).ok());
    ASSERT_EQ(row.kpis_size(), card.kpis_size()) << row.project_id();
    for (int i = 0; i < row.kpis_size(); ++i)
      EXPECT_EQ(row.kpis(i).SerializeAsString(), card.kpis(i).SerializeAsString())
          << row.project_id() << " " << card.kpis(i).kpi();
    EXPECT_EQ(row.targets_met(), card.targets_met()) << row.project_id();
  }
  // the other project's three callbacks are due but not done: handling 0/3
  const auto& other = g.projects(0).project_id() == kOther ? g.projects(0) : g.projects(1);
  EXPECT_EQ(other.kpis(2).kpi(), "complaint_rate");
  EXPECT_EQ(other.kpis(3).kpi(), "callback_handling");
  EXPECT_EQ(other.kpis(3).actual().denominator(), 3);
}

TEST_F(TargetsTest, YearScorecardAndBadPeriods) {
  may_of_ten_callbacks();
  v1::ScorecardRequest r;
  r.set_project_id(kProject);
  r.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_YEAR);
  r.mutable_period()->set_year(2024);
  v1::ScorecardResponse card;
  ASSERT_TRUE(
      stub_->Scorecard(kit::client_context(staff("supervisor", "sup-1")).get(), r, &card).ok());
  EXPECT_EQ(card.kpis(0).actual().denominator(), 10);
  r.mutable_period()->set_index(3);  // a year has no index
  EXPECT_EQ(stub_->Scorecard(kit::client_context(staff("supervisor", "sup-1")).get(), r, &card)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace aftercare::callback::testing
