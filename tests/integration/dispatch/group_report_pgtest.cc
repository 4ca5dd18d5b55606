// Issue 20 against real PostgreSQL: GroupRepairReport gives every project exactly its
// RepairReport (one query for all of them, each project's period in its own time zone), and the
// per-party on-time figures the group view's worst lists are made of.
#include <gtest/gtest.h>

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
    return {party + "-user", role, {project}, {}, party};
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
};

TEST_F(GroupReportTest, EveryProjectGetsExactlyItsRepairReport) {
  Event london;
  london.set_event_id(kit::new_uuid());
  london.set_type("intake.ProjectUpserted");
  london.set_project_id(kLondon);
  london.mutable_project_upserted()->set_project_id(kLondon);
  london.mutable_project_upserted()->set_timezone("Europe/London");
  deliver(london);
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

  const kit::Caller hq{"hq-1", "hq", {"*"}, {}, ""};
  for (bool year : {false, true}) {
    aftercare::v1::GroupRepairReportRequest g;
    *g.mutable_period() = period_of(absl::Now(), year);
    g.add_project_ids(kProject);
    g.add_project_ids(kLondon);
    aftercare::v1::GroupRepairReportResponse group;
    auto s = stub_->GroupRepairReport(as(hq).get(), g, &group);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(group.projects_size(), 2);
    for (int i = 0; i < 2; ++i) {
      aftercare::v1::RepairReportRequest one;
      one.set_project_id(group.projects(i).project_id());
      *one.mutable_period() = g.period();
      aftercare::v1::RepairReportResponse single;
      ASSERT_TRUE(stub_->RepairReport(as(hq).get(), one, &single).ok());
      EXPECT_EQ(group.projects(i).SerializeAsString(), single.SerializeAsString())
          << "group: " << group.projects(i).DebugString() << "single: " << single.DebugString();
    }
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

}  // namespace
}  // namespace aftercare::dispatch::testing
