// Issue 23 through real gRPC and the real database: five units of one building reporting the
// lift make one incident with one dispatched ticket and five linked ones; resolving it resolves
// all five; a home outside the incident's buildings gets an ordinary ticket; staff-opened
// outages link reports without dispatching them; owners see only their own part; bad input
// and refused roles change nothing; announcements go now or at send_at and count their reads.
#include <gtest/gtest.h>

#include "intake_fixture.h"

namespace aftercare::intake {
namespace {

using kit::Caller;

class IncidentsTest : public IntakeTest {
 protected:
  std::string database_name() const override { return "t_intake_incidents"; }

  void SetUp() override {
    IntakeTest::SetUp();
    for (int i = 1; i <= 5; ++i)
      unit("L-" + std::to_string(i), "5栋", "lift-owner-" + std::to_string(i));
    unit("M-1", "6栋", "other-owner");
  }

  void unit(const std::string& id, const std::string& building, const std::string& owner) {
    v1::UpsertUnitRequest u;
    u.set_project_id("P01");
    u.set_unit_id(id);
    u.set_building(building);
    u.set_room("0" + id.substr(2) + "01");
    u.set_area_centi_m2(9000);
    u.set_owner_id(owner);
    u.set_owner_name("业主");
    u.set_owner_phone("13900000000");
    *u.mutable_handover_date() = date(2025, 6, 1);
    v1::Unit out;
    auto s = stub_->UpsertUnit(ctx(admin_).get(), u, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  v1::Ticket report(const std::string& unit, v1::Component component = v1::COMPONENT_ELEVATOR) {
    auto r = repair(unit, component, v1::TICKET_CATEGORY_PUBLIC_FACILITY);
    r.set_description("电梯停在8楼不动");
    v1::Ticket t;
    auto s = open(r, &t, agent_);
    EXPECT_TRUE(s.ok()) << s.error_message();
    now_ += absl::Minutes(3);
    return t;
  }

  // Dispatch's rule (routing.cc): a duplicate or an incident's follower is not dispatched.
  int dispatchable_openings() {
    int n = 0;
    for (const auto& e : outbox_events("intake.TicketOpened")) {
      const auto& o = e.ticket_opened();
      if (o.duplicate_of().empty() && (o.incident_id().empty() || o.incident_lead())) ++n;
    }
    return n;
  }

  int64_t count(const std::string& sql) {
    return db_->in_transaction([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<int64_t>(); });
  }

  v1::Incident get_incident(const std::string& id, const Caller& who,
                            grpc::Status* status = nullptr) {
    v1::GetIncidentRequest r;
    r.set_incident_id(id);
    v1::Incident out;
    auto s = stub_->GetIncident(ctx(who).get(), r, &out);
    if (status) *status = s;
    return out;
  }

  v1::OpenIncidentRequest outage() {
    v1::OpenIncidentRequest r;
    r.set_project_id("P01");
    r.set_kind(v1::INCIDENT_KIND_OUTAGE);
    r.set_category(v1::TICKET_CATEGORY_PUBLIC_FACILITY);
    r.set_component(v1::COMPONENT_PLUMBING);
    r.add_buildings("5栋");
    r.set_title("5栋计划停水");
    r.set_description("二次供水水箱清洗");
    *r.mutable_starts_at() = kit::to_timestamp(now_ + absl::Hours(24));
    *r.mutable_expected_end() = kit::to_timestamp(now_ + absl::Hours(28));
    return r;
  }

  Caller dispatcher_{"disp-1", kit::Role::dispatcher, {"P01"}, {}, ""};
};

TEST_F(IncidentsTest, FiveUnitsReportingTheLiftMakeOneIncidentOneWorkOrderFiveLinkedTickets) {
  std::vector<v1::Ticket> tickets;
  for (int i = 1; i <= 5; ++i) tickets.push_back(report("L-" + std::to_string(i)));
  EXPECT_TRUE(tickets[0].incident_id().empty());  // the first report is an ordinary one...
  std::string incident_id = tickets[1].incident_id();
  ASSERT_FALSE(incident_id.empty());  // ...until a second home of the building reports the lift
  for (const auto& t : tickets) EXPECT_EQ(get(t.ticket_id()).incident_id(), incident_id);
  EXPECT_EQ(dispatchable_openings(), 1);
  ASSERT_EQ(outbox_events("intake.IncidentOpened").size(), 1u);
  EXPECT_TRUE(outbox_events("intake.IncidentOpened")[0].incident_opened().proposed());

  // Dispatch made one work order, for the lead.
  v1::Event created;
  created.set_event_id(kit::new_uuid());
  created.set_type("dispatch.WorkOrderCreated");
  created.mutable_work_order_created()->set_ticket_id(tickets[0].ticket_id());
  created.mutable_work_order_created()->set_work_order_id("WO-LIFT");
  created.mutable_work_order_created()->set_party_id("crew-1");
  deliver(created);

  v1::Incident i = get_incident(incident_id, agent_);
  EXPECT_EQ(i.status(), v1::INCIDENT_STATUS_OPEN);
  EXPECT_EQ(i.kind(), v1::INCIDENT_KIND_FAILURE);
  EXPECT_EQ(i.lead_ticket_id(), tickets[0].ticket_id());
  EXPECT_EQ(i.work_order_id(), "WO-LIFT");
  ASSERT_EQ(i.ticket_ids_size(), 5);
  EXPECT_EQ(i.ticket_ids(0), tickets[0].ticket_id());

  // A home outside the incident's building gets an ordinary ticket.
  v1::Ticket other = report("M-1");
  EXPECT_TRUE(other.incident_id().empty());
  EXPECT_EQ(dispatchable_openings(), 2);

  // Counted once in the KPIs: the lead and the other building's report.
  v1::MonthlyStatsRequest stats;
  stats.set_project_id("P01");
  stats.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
  stats.mutable_period()->set_year(2026);
  stats.mutable_period()->set_index(11);
  v1::MonthlyStatsResponse figures;
  Caller supervisor{"sup-1", kit::Role::supervisor, {"P01"}, {}, ""};
  ASSERT_TRUE(stub_->MonthlyStats(ctx(supervisor).get(), stats, &figures).ok());
  EXPECT_EQ(figures.tickets_total(), 2);

  // An agent may not resolve it; a dispatcher does, and every linked ticket is resolved.
  v1::ResolveIncidentRequest resolve;
  resolve.set_incident_id(incident_id);
  resolve.set_note("更换曳引机编码器");
  v1::Incident resolved;
  EXPECT_EQ(stub_->ResolveIncident(ctx(agent_).get(), resolve, &resolved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto s = stub_->ResolveIncident(ctx(dispatcher_).get(), resolve, &resolved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resolved.status(), v1::INCIDENT_STATUS_RESOLVED);
  EXPECT_TRUE(resolved.has_resolved_at());
  for (const auto& t : tickets) EXPECT_EQ(get(t.ticket_id()).status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_NE(get(other.ticket_id()).status(), v1::TICKET_STATUS_RESOLVED);
  auto resolutions = outbox_events("intake.TicketResolved");
  ASSERT_EQ(resolutions.size(), 5u);  // one callback per reporter follows from each
  for (const auto& e : resolutions) {
    EXPECT_EQ(e.ticket_resolved().incident_id(), incident_id);
    bool lead = e.ticket_resolved().ticket_id() == tickets[0].ticket_id();
    EXPECT_EQ(e.ticket_resolved().work_order_id(), lead ? "WO-LIFT" : "");
  }
  EXPECT_EQ(outbox_events("intake.IncidentResolved").size(), 1u);
  EXPECT_EQ(stub_->ResolveIncident(ctx(dispatcher_).get(), resolve, &resolved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // A lift report after the resolution is an ordinary ticket again.
  EXPECT_TRUE(report("L-3").incident_id().empty());
}

TEST_F(IncidentsTest, OwnersSeeTheirBuildingsIncidentWithTheirOwnTicketOnly) {
  report("L-1");
  std::string incident_id = report("L-2").incident_id();
  Caller owner2{"lift-owner-2", kit::Role::owner, {"P01"}, {"L-2"}, ""};
  grpc::Status s;
  v1::Incident seen = get_incident(incident_id, owner2, &s);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(seen.ticket_ids_size(), 1);
  EXPECT_EQ(get(seen.ticket_ids(0)).unit_id(), "L-2");
  EXPECT_EQ(seen.reporters(), 0);
  Caller outsider{"other-owner", kit::Role::owner, {"P01"}, {"M-1"}, ""};
  get_incident(incident_id, outsider, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  get_incident(incident_id, stranger_, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListIncidentsRequest list;
  list.set_project_id("P01");
  list.set_status(v1::INCIDENT_STATUS_OPEN);
  v1::ListIncidentsResponse listed;
  ASSERT_TRUE(stub_->ListIncidents(ctx(owner2).get(), list, &listed).ok());
  EXPECT_EQ(listed.incidents_size(), 1);
  listed.Clear();  // an owner of the project outside the incident's buildings lists none
  ASSERT_TRUE(stub_->ListIncidents(ctx(outsider).get(), list, &listed).ok());
  EXPECT_EQ(listed.incidents_size(), 0);
  Caller elsewhere{"owner-x", kit::Role::owner, {"P99"}, {"X-1"}, ""};
  EXPECT_EQ(stub_->ListIncidents(ctx(elsewhere).get(), list, &listed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  list.set_status(v1::INCIDENT_STATUS_RESOLVED);
  listed.Clear();
  ASSERT_TRUE(stub_->ListIncidents(ctx(agent_).get(), list, &listed).ok());
  EXPECT_EQ(listed.incidents_size(), 0);
}

TEST_F(IncidentsTest, AStaffOpenedOutageLinksReportsInScopeWithoutDispatchingThem) {
  v1::Incident opened;
  auto s = stub_->OpenIncident(ctx(agent_).get(), outage(), &opened);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(opened.status(), v1::INCIDENT_STATUS_OPEN);
  EXPECT_EQ(opened.buildings_size(), 1);
  auto events = outbox_events("intake.IncidentOpened");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].incident_opened().kind(), v1::INCIDENT_KIND_OUTAGE);
  EXPECT_EQ(events[0].aggregate_id(), opened.incident_id());

  auto home = repair("L-1", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::Ticket linked;
  ASSERT_TRUE(open(home, &linked, agent_).ok());
  EXPECT_EQ(linked.incident_id(), opened.incident_id());
  v1::Ticket outside = report("M-1", v1::COMPONENT_PLUMBING);
  EXPECT_TRUE(outside.incident_id().empty());
  EXPECT_EQ(dispatchable_openings(), 1);  // only the other building's
  EXPECT_TRUE(get_incident(opened.incident_id(), agent_).lead_ticket_id().empty());
}

TEST_F(IncidentsTest, TheFirstReportOfAStaffOpenedFailureLeadsIt) {
  auto r = outage();
  r.set_kind(v1::INCIDENT_KIND_FAILURE);
  r.set_component(v1::COMPONENT_ELEVATOR);
  r.clear_starts_at();
  r.clear_expected_end();
  v1::Incident opened;
  ASSERT_TRUE(stub_->OpenIncident(ctx(dispatcher_).get(), r, &opened).ok());
  v1::Ticket first = report("L-4");
  v1::Ticket second = report("L-5");
  EXPECT_EQ(first.incident_id(), opened.incident_id());
  EXPECT_EQ(second.incident_id(), opened.incident_id());
  EXPECT_EQ(get_incident(opened.incident_id(), agent_).lead_ticket_id(), first.ticket_id());
  EXPECT_EQ(dispatchable_openings(), 1);
}

TEST_F(IncidentsTest, BadInputAndRefusedRolesChangeNothing) {
  int64_t before = count("SELECT count(*) FROM incidents");
  auto r = outage();
  r.set_kind(v1::INCIDENT_KIND_UNSPECIFIED);
  v1::Incident out;
  EXPECT_EQ(stub_->OpenIncident(ctx(agent_).get(), r, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r = outage();
  r.set_buildings(0, "99栋");
  auto s = stub_->OpenIncident(ctx(agent_).get(), r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("buildings"), std::string::npos);
  r = outage();
  *r.mutable_expected_end() = r.starts_at();
  EXPECT_EQ(stub_->OpenIncident(ctx(agent_).get(), r, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  Caller crew{"crew-1", kit::Role::crew, {"P01"}, {}, "crew-1"};
  EXPECT_EQ(stub_->OpenIncident(ctx(crew).get(), outage(), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->OpenIncident(ctx(stranger_).get(), outage(), &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(count("SELECT count(*) FROM incidents"), before);
  EXPECT_TRUE(outbox_events("intake.IncidentOpened").empty());
  grpc::Status unknown;
  get_incident(kit::new_uuid(), agent_, &unknown);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  get_incident("not-a-uuid", agent_, &unknown);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(IncidentsTest, AnnouncementsGoNowOrAtSendAtAndCountTheirReaders) {
  v1::PostAnnouncementRequest r;
  r.set_project_id("P01");
  r.set_title("停水通知");
  r.set_body("5栋12月5日9:00-12:00停水，请提前储水。客服热线4008123456");
  r.add_buildings("5栋");
  r.set_urgent(true);
  v1::Announcement now;
  auto s = stub_->PostAnnouncement(ctx(agent_).get(), r, &now);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(now.status(), v1::ANNOUNCEMENT_STATUS_SENT);
  EXPECT_EQ(now.recipients(), 5);
  EXPECT_EQ(now.read_count(), 0);
  auto published = outbox_events("intake.AnnouncementPublished");
  ASSERT_EQ(published.size(), 1u);
  EXPECT_TRUE(published[0].announcement_published().urgent());
  EXPECT_NE(published[0].announcement_published().body().find("4008123456"), std::string::npos);

  now_ += absl::Minutes(1);
  v1::PostAnnouncementRequest later = r;
  later.clear_buildings();
  later.set_urgent(false);
  later.set_title("元旦活动");
  *later.mutable_send_at() = kit::to_timestamp(now_ + absl::Hours(2));
  v1::Announcement scheduled;
  ASSERT_TRUE(stub_->PostAnnouncement(ctx(agent_).get(), later, &scheduled).ok());
  EXPECT_EQ(scheduled.status(), v1::ANNOUNCEMENT_STATUS_SCHEDULED);
  EXPECT_EQ(scheduled.recipients(), 8);  // every owner of the project (U-101, U-102 too)
  EXPECT_EQ(service_->sweep_announcements(now_ + absl::Hours(1)), 0);
  EXPECT_EQ(service_->sweep_announcements(now_ + absl::Hours(2)), 1);
  EXPECT_EQ(service_->sweep_announcements(now_ + absl::Hours(3)), 0);
  EXPECT_EQ(outbox_events("intake.AnnouncementPublished").size(), 2u);

  // Owners list what reached their building and have read it; others see only the project's.
  now_ += absl::Hours(3);
  Caller owner1{"lift-owner-1", kit::Role::owner, {"P01"}, {"L-1"}, ""};
  v1::ListAnnouncementsRequest list;
  list.set_project_id("P01");
  v1::ListAnnouncementsResponse listed;
  ASSERT_TRUE(stub_->ListAnnouncements(ctx(owner1).get(), list, &listed).ok());
  EXPECT_EQ(listed.announcements_size(), 2);
  Caller outsider{"other-owner", kit::Role::owner, {"P01"}, {"M-1"}, ""};
  listed.Clear();
  ASSERT_TRUE(stub_->ListAnnouncements(ctx(outsider).get(), list, &listed).ok());
  ASSERT_EQ(listed.announcements_size(), 1);
  EXPECT_EQ(listed.announcements(0).title(), "元旦活动");
  listed.Clear();
  ASSERT_TRUE(stub_->ListAnnouncements(ctx(agent_).get(), list, &listed).ok());
  ASSERT_EQ(listed.announcements_size(), 2);
  EXPECT_EQ(listed.announcements(1).read_count(), 1);  // the 5栋 notice: owner 1
  EXPECT_EQ(listed.announcements(0).read_count(), 2);
  EXPECT_EQ(listed.announcements(0).status(), v1::ANNOUNCEMENT_STATUS_SENT);

  v1::PostAnnouncementRequest bad = r;
  bad.set_body("");
  v1::Announcement out;
  EXPECT_EQ(stub_->PostAnnouncement(ctx(agent_).get(), bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(stub_->PostAnnouncement(ctx(dispatcher_).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(count("SELECT count(*) FROM announcements"), 2);
}

// ---- the remainder of issue 23 ----------------------------------------------------------------

TEST_F(IncidentsTest, TheProposalRuleIsProjectPolicyCheckedFieldByField) {
  v1::SetPolicyRequest bad;
  bad.set_project_id("P01");
  bad.mutable_policy()->mutable_incidents()->set_proposal_min_units(1);
  v1::Policy stored;
  auto s = stub_->SetPolicy(ctx(admin_).get(), bad, &stored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("policy.incidents.proposal_min_units"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM policies WHERE project_id = 'P01'"), 0);

  v1::SetPolicyRequest three;
  three.set_project_id("P01");
  three.mutable_policy()->mutable_incidents()->set_proposal_min_units(3);
  three.mutable_policy()->mutable_incidents()->set_proposal_window_minutes(30);
  s = stub_->SetPolicy(ctx(admin_).get(), three, &stored);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::GetPolicyRequest get_policy;
  get_policy.set_project_id("P01");
  v1::Policy effective;
  ASSERT_TRUE(stub_->GetPolicy(ctx(agent_).get(), get_policy, &effective).ok());
  EXPECT_EQ(effective.incidents().proposal_min_units(), 3);
  EXPECT_EQ(effective.incidents().proposal_window_minutes(), 30);

  EXPECT_TRUE(report("L-1").incident_id().empty());
  EXPECT_TRUE(report("L-2").incident_id().empty());  // two homes: not yet three
  v1::Ticket third = report("L-3");
  ASSERT_FALSE(third.incident_id().empty());
  EXPECT_EQ(get_incident(third.incident_id(), agent_).ticket_ids_size(), 3);
}

TEST_F(IncidentsTest, StaffConfirmAProposalAndTheOwnersInScopeAreTold) {
  report("L-1");
  std::string id = report("L-2").incident_id();
  ASSERT_FALSE(id.empty());
  v1::Incident proposed = get_incident(id, agent_);
  EXPECT_TRUE(proposed.proposed());
  EXPECT_EQ(proposed.proposal_status(), v1::PROPOSAL_STATUS_PENDING);
  EXPECT_TRUE(outbox_events("intake.IncidentConfirmed").empty());  // nobody told yet

  v1::ConfirmIncidentRequest confirm;
  confirm.set_incident_id(id);
  confirm.set_note("电梯维保单位已到场");
  v1::Incident out;
  Caller owner1{"lift-owner-1", kit::Role::owner, {"P01"}, {"L-1"}, ""};
  EXPECT_EQ(stub_->ConfirmIncident(ctx(owner1).get(), confirm, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  Caller crew{"crew-1", kit::Role::crew, {"P01"}, {}, "crew-1"};
  EXPECT_EQ(stub_->ConfirmIncident(ctx(crew).get(), confirm, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->ConfirmIncident(ctx(stranger_).get(), confirm, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  auto s = stub_->ConfirmIncident(ctx(agent_).get(), confirm, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.proposal_status(), v1::PROPOSAL_STATUS_CONFIRMED);
  EXPECT_EQ(out.decided_by(), "agent-7");
  EXPECT_EQ(out.status(), v1::INCIDENT_STATUS_OPEN);
  auto confirmed = outbox_events("intake.IncidentConfirmed");
  ASSERT_EQ(confirmed.size(), 1u);
  const auto& c = confirmed[0].incident_confirmed();
  EXPECT_EQ(c.incident_id(), id);
  EXPECT_EQ(c.kind(), v1::INCIDENT_KIND_FAILURE);
  ASSERT_EQ(c.recipients_size(), 5);  // every owner of 5栋, none of 6栋
  for (const auto& r : c.recipients()) EXPECT_EQ(r.owner_id().rfind("lift-owner-", 0), 0u);
  EXPECT_EQ(stub_->ConfirmIncident(ctx(agent_).get(), confirm, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(outbox_events("intake.IncidentConfirmed").size(), 1u);

  // A failure staff open is known at once: confirmed in the same breath, not a proposal.
  auto r = outage();
  r.set_kind(v1::INCIDENT_KIND_FAILURE);
  r.set_component(v1::COMPONENT_ELECTRICAL);
  r.clear_starts_at();
  r.clear_expected_end();
  v1::Incident opened;
  ASSERT_TRUE(stub_->OpenIncident(ctx(dispatcher_).get(), r, &opened).ok());
  EXPECT_EQ(opened.proposal_status(), v1::PROPOSAL_STATUS_NOT_PROPOSED);
  ASSERT_EQ(outbox_events("intake.IncidentConfirmed").size(), 2u);
  v1::DismissIncidentRequest dismiss;
  dismiss.set_incident_id(opened.incident_id());
  dismiss.set_reason("不是提议");
  EXPECT_EQ(stub_->DismissIncident(ctx(agent_).get(), dismiss, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(IncidentsTest, ADismissedProposalUnlinksItsReportsEachHandledOnItsOwn) {
  v1::Ticket lead = report("L-3", v1::COMPONENT_PLUMBING);
  v1::Ticket follower = report("L-4", v1::COMPONENT_PLUMBING);
  std::string id = follower.incident_id();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(get_incident(id, agent_).lead_ticket_id(), lead.ticket_id());

  v1::DismissIncidentRequest dismiss;
  dismiss.set_incident_id(id);
  v1::Incident out;
  auto s = stub_->DismissIncident(ctx(agent_).get(), dismiss, &out);  // no reason
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("reason"), std::string::npos);
  EXPECT_EQ(get_incident(id, agent_).proposal_status(), v1::PROPOSAL_STATUS_PENDING);

  dismiss.set_reason("4号房是户内水管，3号房是公共立管，不是同一故障");
  s = stub_->DismissIncident(ctx(dispatcher_).get(), dismiss, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.status(), v1::INCIDENT_STATUS_DISMISSED);
  EXPECT_EQ(out.proposal_status(), v1::PROPOSAL_STATUS_DISMISSED);
  EXPECT_EQ(out.dismissal_reason(), dismiss.reason());
  EXPECT_EQ(out.ticket_ids_size(), 2);  // the record keeps who was in it
  EXPECT_TRUE(get(lead.ticket_id()).incident_id().empty());
  EXPECT_TRUE(get(follower.ticket_id()).incident_id().empty());

  auto unlinked = outbox_events("intake.TicketUnlinked");
  ASSERT_EQ(unlinked.size(), 2u);
  for (const auto& e : unlinked) {
    bool is_lead = e.ticket_unlinked().ticket_id() == lead.ticket_id();
    EXPECT_EQ(e.ticket_unlinked().dispatch(), !is_lead);  // the lead keeps its work order
    EXPECT_EQ(e.aggregate_id(), e.ticket_unlinked().ticket_id());
  }
  EXPECT_EQ(outbox_events("intake.IncidentDismissed").size(), 1u);
  EXPECT_EQ(stub_->DismissIncident(ctx(dispatcher_).get(), dismiss, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Judged separate problems: the same neighbours make no new proposal; a new pair would.
  EXPECT_TRUE(report("L-5", v1::COMPONENT_PLUMBING).incident_id().empty());
  v1::MonthlyStatsRequest stats;
  stats.set_project_id("P01");
  stats.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
  stats.mutable_period()->set_year(2026);
  stats.mutable_period()->set_index(11);
  v1::MonthlyStatsResponse figures;
  Caller supervisor{"sup-1", kit::Role::supervisor, {"P01"}, {}, ""};
  ASSERT_TRUE(stub_->MonthlyStats(ctx(supervisor).get(), stats, &figures).ok());
  EXPECT_EQ(figures.tickets_total(), 3);  // each counted on its own now
}

TEST_F(IncidentsTest, AnUnsatisfiedFollowerReopensTheIncidentOnceAndItsOrderIsReworkedOnce) {
  v1::Ticket lead = report("L-1");
  v1::Ticket f2 = report("L-2");
  v1::Ticket f3 = report("L-3");
  std::string id = f2.incident_id();
  ASSERT_FALSE(id.empty());
  v1::Event created;
  created.set_event_id(kit::new_uuid());
  created.set_type("dispatch.WorkOrderCreated");
  created.mutable_work_order_created()->set_ticket_id(lead.ticket_id());
  created.mutable_work_order_created()->set_work_order_id("WO-LIFT");
  created.mutable_work_order_created()->set_party_id("crew-1");
  deliver(created);
  v1::ResolveIncidentRequest resolve;
  resolve.set_incident_id(id);
  v1::Incident out;
  ASSERT_TRUE(stub_->ResolveIncident(ctx(dispatcher_).get(), resolve, &out).ok());

  auto unsatisfied = [&](const v1::Ticket& t, const std::string& callback_id) {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("callback.CallbackRecorded");
    auto* c = e.mutable_callback_recorded();
    c->set_ticket_id(t.ticket_id());
    c->set_callback_id(callback_id);
    c->set_reached(true);
    c->set_satisfaction(v1::SATISFACTION_UNSATISFIED);
    deliver(e);
  };
  now_ += absl::Hours(20);
  unsatisfied(f2, "CB-2");
  unsatisfied(f3, "CB-3");  // the incident is open again: this one waits with it

  auto reopened = outbox_events("intake.IncidentReopened");
  ASSERT_EQ(reopened.size(), 1u);
  const auto& r = reopened[0].incident_reopened();
  EXPECT_EQ(r.incident_id(), id);
  EXPECT_EQ(r.ticket_id(), f2.ticket_id());
  EXPECT_EQ(r.callback_id(), "CB-2");
  EXPECT_EQ(r.work_order_id(), "WO-LIFT");  // dispatch reworks it once per reopening
  EXPECT_EQ(r.reopen_count(), 1);
  v1::Incident again = get_incident(id, agent_);
  EXPECT_EQ(again.status(), v1::INCIDENT_STATUS_OPEN);
  EXPECT_EQ(again.reopen_count(), 1);
  EXPECT_EQ(get(f2.ticket_id()).status(), v1::TICKET_STATUS_REOPENED);
  EXPECT_EQ(get(f3.ticket_id()).status(), v1::TICKET_STATUS_REOPENED);
  EXPECT_EQ(get(f2.ticket_id()).incident_id(), id);  // still handled with the incident
  EXPECT_EQ(get(lead.ticket_id()).status(), v1::TICKET_STATUS_RESOLVED);

  // Resolved again: the two reopened reporters get a callback of this round.
  size_t before = outbox_events("intake.TicketResolved").size();
  ASSERT_TRUE(stub_->ResolveIncident(ctx(dispatcher_).get(), resolve, &out).ok());
  auto resolutions = outbox_events("intake.TicketResolved");
  ASSERT_EQ(resolutions.size(), before + 2);
  for (size_t k = before; k < resolutions.size(); ++k)
    EXPECT_EQ(resolutions[k].ticket_resolved().incident_round(), 1);
}

}  // namespace
}  // namespace aftercare::intake
