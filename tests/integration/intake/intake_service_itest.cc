// The intake service through real gRPC and a real database: registry, tickets with warranty
// and deadlines, idempotent creates, duplicates, recurrence and escalation, history, scoping,
// events in the outbox, and the consumer of dispatch/callback events through real Kafka.
#include <gtest/gtest.h>

#include "aftercare/v1/intake.grpc.pb.h"
#include "common/call.h"
#include "common/consumer.h"
#include "common/kafka.h"
#include "common/time.h"
#include "intake/intake_service.h"
#include "intake_fixture.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::intake {
namespace {

TEST_F(IntakeTest, RepairGetsWarrantyDeadlinesNumberHistoryAndOneEvent) {
  v1::Ticket t;
  auto s =
      open(repair("U-101", v1::COMPONENT_BATHROOM_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY),
           &t, agent_);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_OPEN);
  EXPECT_TRUE(t.in_warranty());
  EXPECT_EQ(t.warranty_ends().year(), 2030);  // 5 years from 2025-11-23
  EXPECT_EQ(t.ticket_no(), "P01-20261123-0001");
  EXPECT_EQ(t.owner_agent(), "agent-7");
  EXPECT_EQ(t.owner_id(), "owner-1");
  EXPECT_EQ(t.recurrence(), 1);
  EXPECT_EQ(t.escalation_level(), 0);
  EXPECT_EQ(t.description(), "卫生间天花板渗水，电话13812345678");  // kept exactly
  absl::TimeZone sh;
  absl::LoadTimeZone("Asia/Shanghai", &sh);
  // Normal response: end of the next working day (Tuesday); house quality: 30 working days.
  EXPECT_EQ(kit::from_timestamp(t.response_due()),
            absl::FromCivil(absl::CivilSecond(2026, 11, 24, 23, 59, 59), sh));
  EXPECT_EQ(kit::from_timestamp(t.resolve_due()),
            absl::FromCivil(absl::CivilSecond(2027, 1, 4, 23, 59, 59), sh));

  auto opened = outbox_events("intake.TicketOpened");
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].aggregate_id(), t.ticket_id());
  EXPECT_EQ(opened[0].ticket_opened().description(), "卫生间天花板渗水，电话*******5678");
  EXPECT_TRUE(opened[0].ticket_opened().in_warranty());

  v1::GetTicketHistoryRequest h;
  h.set_ticket_id(t.ticket_id());
  v1::GetTicketHistoryResponse history;
  ASSERT_TRUE(stub_->GetTicketHistory(ctx(owner1_).get(), h, &history).ok());
  ASSERT_GE(history.entries_size(), 1);
  EXPECT_EQ(history.entries(0).action(), "opened");
  EXPECT_EQ(history.entries(0).actor(), "agent-7");
}

TEST_F(IntakeTest, OutOfWarrantyAfterTheComponentPeriod) {
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-102", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY), &t, agent_)
          .ok());
  EXPECT_FALSE(t.in_warranty());  // 2 years from 2023-06-01
  EXPECT_EQ(t.warranty_ends().year(), 2025);
}

TEST_F(IntakeTest, SameIdempotencyKeyCreatesOneTicketAndADifferentBodyConflicts) {
  auto r = repair("U-101", v1::COMPONENT_DOOR_WINDOW, v1::TICKET_CATEGORY_DECORATION);
  r.set_idempotency_key("key-1");
  v1::Ticket a, b;
  ASSERT_TRUE(open(r, &a, owner1_).ok());
  ASSERT_TRUE(open(r, &b, owner1_).ok());
  EXPECT_EQ(a.ticket_id(), b.ticket_id());
  r.set_description("different");
  v1::Ticket c;
  EXPECT_EQ(open(r, &c, owner1_).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(outbox_events("intake.TicketOpened").size(), 1u);
}

TEST_F(IntakeTest, ConcurrentRepeatsWithOneKeyCreateOneTicket) {
  auto r = repair("U-101", v1::COMPONENT_DOOR_WINDOW, v1::TICKET_CATEGORY_DECORATION);
  r.set_idempotency_key("key-race");
  std::vector<std::thread> threads;
  std::vector<std::string> ids(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      v1::Ticket t;
      auto s = open(r, &t, owner1_);
      ids[i] = s.ok() ? t.ticket_id() : "error: " + s.error_message();
    });
  for (auto& th : threads) th.join();
  for (auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(outbox_events("intake.TicketOpened").size(), 1u);
}

TEST_F(IntakeTest, ADuplicateOfAnOpenIssueIsLinkedNotDispatched) {
  v1::Ticket first, second;
  ASSERT_TRUE(open(repair("U-101", v1::COMPONENT_ELECTRICAL, v1::TICKET_CATEGORY_HOUSE_QUALITY),
                   &first, owner1_)
                  .ok());
  ASSERT_TRUE(open(repair("U-101", v1::COMPONENT_ELECTRICAL, v1::TICKET_CATEGORY_HOUSE_QUALITY),
                   &second, owner1_)
                  .ok());
  EXPECT_EQ(second.duplicate_of(), first.ticket_id());
  EXPECT_EQ(second.status(), v1::TICKET_STATUS_CANCELLED);
  EXPECT_EQ(second.recurrence(), 1);
  auto opened = outbox_events("intake.TicketOpened");
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_EQ(opened[1].ticket_opened().duplicate_of(), first.ticket_id());
  EXPECT_EQ(outbox_events("intake.TicketsLinked").size(), 1u);
}

TEST_F(IntakeTest, RepeatedUnsatisfiedRepairsEscalateByTheTables) {
  auto r = repair("U-101", v1::COMPONENT_BATHROOM_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::Ticket t;
  ASSERT_TRUE(open(r, &t, owner1_).ok());
  unsatisfied_repair_cycle(t.ticket_id(), "builder-A");  // reopened: report 2
  v1::Ticket now2 = get(t.ticket_id());
  EXPECT_EQ(now2.status(), v1::TICKET_STATUS_REOPENED);
  EXPECT_EQ(now2.recurrence(), 2);
  EXPECT_EQ(now2.escalation_level(), 0);
  EXPECT_EQ(now2.kind(), v1::TICKET_KIND_REPAIR);

  unsatisfied_repair_cycle(t.ticket_id(), "builder-A");  // report 3: a level-1 complaint
  v1::Ticket now3 = get(t.ticket_id());
  EXPECT_EQ(now3.recurrence(), 3);
  EXPECT_EQ(now3.escalation_level(), 1);
  EXPECT_EQ(now3.kind(), v1::TICKET_KIND_COMPLAINT);
  EXPECT_EQ(now3.fault_party(), v1::FAULT_PARTY_BUILDER);
  EXPECT_EQ(now3.fault_party_id(), "builder-A");

  unsatisfied_repair_cycle(t.ticket_id(), "builder-A");  // report 4: HQ
  v1::Ticket now4 = get(t.ticket_id());
  EXPECT_EQ(now4.escalation_level(), 2);
  auto escalations = outbox_events("intake.TicketEscalated");
  ASSERT_EQ(escalations.size(), 2u);
  EXPECT_EQ(escalations[0].ticket_escalated().level(), 1);
  EXPECT_EQ(escalations[0].ticket_escalated().fine_fen(), 20000);
  EXPECT_EQ(escalations[1].ticket_escalated().level(), 2);
  EXPECT_EQ(escalations[1].ticket_escalated().fine_fen(), 40000);
  EXPECT_EQ(now4.fine_fen(), 60000);
  EXPECT_EQ(outbox_events("intake.TicketReopened").size(), 3u);
}

TEST_F(IntakeTest, ANewReportAfterCloseCountsAsTheNextReport) {
  auto r = repair("U-101", v1::COMPONENT_ROOF_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::Ticket t1;
  ASSERT_TRUE(open(r, &t1, owner1_).ok());
  unsatisfied_repair_cycle(t1.ticket_id(), "builder-A");
  v1::CancelTicketRequest cancel;  // the owner gives up on it
  cancel.set_ticket_id(t1.ticket_id());
  cancel.set_reason("业主撤回");
  v1::Ticket cancelled;
  ASSERT_TRUE(stub_->CancelTicket(ctx(owner1_).get(), cancel, &cancelled).ok());
  v1::Ticket t2;
  ASSERT_TRUE(open(r, &t2, owner1_).ok());
  EXPECT_EQ(t2.recurrence(), 3);
  EXPECT_EQ(t2.kind(), v1::TICKET_KIND_COMPLAINT);
  EXPECT_EQ(t2.escalation_level(), 1);
}

TEST_F(IntakeTest, WorkOrderAndCallbackEventsDriveTheStatus) {
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_GAS, v1::TICKET_CATEGORY_PUBLIC_FACILITY), &t, owner1_)
          .ok());
  v1::Event created;
  created.set_type("dispatch.WorkOrderCreated");
  created.mutable_work_order_created()->set_ticket_id(t.ticket_id());
  created.mutable_work_order_created()->set_party_id("crew-1");
  deliver(created);
  EXPECT_EQ(get(t.ticket_id()).status(), v1::TICKET_STATUS_DISPATCHED);
  v1::Event started;
  started.set_type("dispatch.WorkOrderStarted");
  started.mutable_work_order_started()->set_ticket_id(t.ticket_id());
  deliver(started);
  EXPECT_EQ(get(t.ticket_id()).status(), v1::TICKET_STATUS_IN_PROGRESS);
  v1::Event signed_off;
  signed_off.set_type("dispatch.WorkOrderSignedOff");
  signed_off.mutable_work_order_signed_off()->set_ticket_id(t.ticket_id());
  signed_off.mutable_work_order_signed_off()->set_work_order_id("WO-9");
  deliver(signed_off);
  EXPECT_EQ(get(t.ticket_id()).status(), v1::TICKET_STATUS_RESOLVED);
  ASSERT_EQ(outbox_events("intake.TicketResolved").size(), 1u);
  EXPECT_EQ(outbox_events("intake.TicketResolved")[0].ticket_resolved().work_order_id(), "WO-9");
  v1::Event satisfied;
  satisfied.set_type("callback.CallbackRecorded");
  satisfied.mutable_callback_recorded()->set_ticket_id(t.ticket_id());
  satisfied.mutable_callback_recorded()->set_reached(true);
  satisfied.mutable_callback_recorded()->set_satisfaction(v1::SATISFACTION_SATISFIED);
  deliver(satisfied);
  EXPECT_EQ(get(t.ticket_id()).status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(outbox_events("intake.TicketClosed").size(), 1u);
}

TEST_F(IntakeTest, BadInputIsRefusedByFieldAndWritesNothing) {
  auto r = repair("U-101", v1::COMPONENT_OTHER, v1::TICKET_CATEGORY_OTHER);
  v1::Ticket t;
  auto no_kind = r;
  no_kind.set_kind(v1::TICKET_KIND_UNSPECIFIED);
  auto s = open(no_kind, &t, agent_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("kind"), std::string::npos);
  auto empty = r;
  empty.set_description("");
  EXPECT_EQ(open(empty, &t, agent_).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto future = r;
  *future.mutable_reported_at() = kit::to_timestamp(now_ + absl::Hours(1));
  s = open(future, &t, agent_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("reported_at"), std::string::npos);
  auto old = r;
  *old.mutable_reported_at() = kit::to_timestamp(now_ - absl::Hours(24 * 31));
  EXPECT_EQ(open(old, &t, agent_).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto owner_backdates = r;
  *owner_backdates.mutable_reported_at() = kit::to_timestamp(now_ - absl::Hours(1));
  EXPECT_EQ(open(owner_backdates, &t, owner1_).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(outbox_events("intake.TicketOpened").size(), 0u);
  EXPECT_EQ(db_->in_transaction([](pqxx::work& tx) {
    return tx.exec("SELECT count(*) FROM tickets")[0][0].as<int>();
  }),
            0);
}

TEST_F(IntakeTest, CallersSeeOnlyTheirScope) {
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_OTHER, v1::TICKET_CATEGORY_OTHER), &t, agent_).ok());
  v1::GetTicketRequest g;
  g.set_ticket_id(t.ticket_id());
  v1::Ticket seen;
  EXPECT_EQ(stub_->GetTicket(ctx(stranger_).get(), g, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  Caller other_owner{"owner-2", kit::Role::owner, {"P01"}, {"U-102"}, ""};
  EXPECT_EQ(stub_->GetTicket(ctx(other_owner).get(), g, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(stub_->GetTicket(ctx(owner1_).get(), g, &seen).ok());
  // Owners cannot open tickets for units that are not theirs.
  EXPECT_EQ(open(repair("U-102", v1::COMPONENT_OTHER, v1::TICKET_CATEGORY_OTHER), &seen, owner1_)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // An owner listing sees only their units whatever they ask.
  v1::ListTicketsRequest l;
  l.set_project_id("P01");
  v1::ListTicketsResponse list;
  ASSERT_TRUE(stub_->ListTickets(ctx(other_owner).get(), l, &list).ok());
  EXPECT_EQ(list.tickets_size(), 0);
  // Events carry no owner name or phone.
  auto units = outbox_events("intake.UnitUpserted");
  ASSERT_FALSE(units.empty());
  EXPECT_EQ(units[0].unit_upserted().owner_phone_masked(), "138****5678");
  EXPECT_EQ(units[0].SerializeAsString().find("13812345678"), std::string::npos);
  EXPECT_EQ(units[0].SerializeAsString().find("王小明"), std::string::npos);
}

TEST_F(IntakeTest, ListingPagesThroughEveryTicketOnce) {
  for (int i = 0; i < 7; ++i) {
    v1::Ticket t;
    auto r = repair("U-102", static_cast<v1::Component>(v1::COMPONENT_STRUCTURE + i),
                    v1::TICKET_CATEGORY_HOUSE_QUALITY);
    ASSERT_TRUE(open(r, &t, agent_).ok());
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListTicketsRequest l;
    l.set_project_id("P01");
    l.set_page_size(3);
    l.set_page_token(token);
    v1::ListTicketsResponse page;
    ASSERT_TRUE(stub_->ListTickets(ctx(agent_).get(), l, &page).ok());
    for (auto& t : page.tickets()) EXPECT_TRUE(seen.insert(t.ticket_id()).second);
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);
}

TEST_F(IntakeTest, SlaSweeperAnnouncesEachBreachOnce) {
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_OTHER, v1::TICKET_CATEGORY_OTHER), &t, owner1_).ok());
  EXPECT_EQ(service_->sweep_sla(now_ + absl::Hours(1)), 0);
  EXPECT_EQ(service_->sweep_sla(now_ + absl::Hours(24 * 3)), 1);  // response due passed
  EXPECT_EQ(service_->sweep_sla(now_ + absl::Hours(24 * 3)), 0);  // announced already
  auto breaches = outbox_events("intake.SlaBreached");
  ASSERT_EQ(breaches.size(), 1u);
  EXPECT_EQ(breaches[0].sla_breached().deadline(), v1::SLA_DEADLINE_RESPONSE);
}

TEST_F(IntakeTest, ConsumerThroughKafkaAppliesARedeliveredEventOnce) {
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_OTHER, v1::TICKET_CATEGORY_OTHER), &t, owner1_).ok());
  std::string topic = testing::create_topic("test.intake.progress", 1);
  v1::Event created;
  created.set_event_id(kit::new_uuid());
  created.set_type("dispatch.WorkOrderCreated");
  created.set_producer("dispatch");
  created.mutable_work_order_created()->set_ticket_id(t.ticket_id());
  created.mutable_work_order_created()->set_party_id("crew-1");
  kit::BatchProducer producer(testing::kafka_bootstrap());
  kit::OutgoingMessage m{topic, t.ticket_id(), created.SerializeAsString(), {}};
  for (auto& res : producer.publish({m, m}, std::chrono::seconds(10))) ASSERT_TRUE(res.delivered());
  kit::Metrics metrics;
  kit::EventConsumer consumer(
      *db_, testing::kafka_bootstrap(), metrics,
      {"intake.progress.test",
       {topic},
       3,
       std::chrono::milliseconds(20),
       {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}},
      [&](pqxx::work& tx, const v1::Event& e) { service_->apply_event(tx, e); });
  int handled = 0;
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto d = consumer.poll_once(std::chrono::milliseconds(100));
        handled += d == kit::Delivery::kApplied || d == kit::Delivery::kDuplicate;
        return handled == 2;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(get(t.ticket_id()).status(), v1::TICKET_STATUS_DISPATCHED);
  EXPECT_EQ(outbox_events("intake.TicketStatusChanged").size(), 1u);
}

}  // namespace
}  // namespace aftercare::intake

namespace aftercare::intake {
namespace {

TEST_F(IntakeTest, MonthlyStatsCountTheMonthsTicketsAndEscalations) {
  v1::Ticket a, b, c;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_BATHROOM_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY),
           &a, owner1_)
          .ok());
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_BATHROOM_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY),
           &b, owner1_)
          .ok());  // duplicate
  auto complaint = repair("U-102", v1::COMPONENT_OTHER, v1::TICKET_CATEGORY_PUBLIC_FACILITY);
  complaint.set_kind(v1::TICKET_KIND_COMPLAINT);
  ASSERT_TRUE(open(complaint, &c, agent_).ok());
  unsatisfied_repair_cycle(a.ticket_id(), "builder-A");
  unsatisfied_repair_cycle(a.ticket_id(), "builder-A");  // level 1
  v1::MonthlyStatsRequest r;
  r.set_project_id("P01");
  r.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
  r.mutable_period()->set_year(2026);
  r.mutable_period()->set_index(11);
  v1::MonthlyStatsResponse s;
  Caller supervisor{"sup-1", kit::Role::supervisor, {"P01"}, {}, ""};
  auto status = stub_->MonthlyStats(ctx(supervisor).get(), r, &s);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(s.tickets_total(), 2);
  EXPECT_EQ(s.duplicates_linked(), 1);
  EXPECT_EQ(s.reopened(), 2);
  EXPECT_EQ(s.escalated_level1(), 1);
  EXPECT_EQ(s.fines_fen(), 20000);
  // The repeated repair became a complaint at its 3rd report: both tickets are complaints now.
  EXPECT_EQ(s.complaint_rate().numerator(), 2);
  EXPECT_EQ(s.complaint_rate().denominator(), 2);
  EXPECT_EQ(s.complaint_rate().basis_points(), 10000);
  r.mutable_period()->set_index(13);
  EXPECT_EQ(stub_->MonthlyStats(ctx(supervisor).get(), r, &s).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Issue 20: GroupStats gives every project exactly its MonthlyStats, each period in the
// project's own time zone (one pass over the tickets for all of them).
TEST_F(IntakeTest, GroupStatsEqualsEachProjectsMonthlyStats) {
  v1::UpsertProjectRequest p;
  p.set_project_id("P02");
  p.set_name("伦敦花园");
  p.set_timezone("Europe/London");
  v1::Project project;
  ASSERT_TRUE(stub_->UpsertProject(ctx(admin_).get(), p, &project).ok());
  v1::UpsertUnitRequest u;
  u.set_project_id("P02");
  u.set_unit_id("L-1");
  u.set_building("1栋");
  u.set_room("101");
  u.set_area_centi_m2(9000);
  u.set_owner_id("owner-L");
  u.set_owner_name("李四");
  u.set_owner_phone("13900000000");
  *u.mutable_handover_date() = date(2025, 12, 1);
  v1::Unit unit;
  ASSERT_TRUE(stub_->UpsertUnit(ctx(admin_).get(), u, &unit).ok());
  // November in both projects, and one late evening (UTC) that is already December in
  // Shanghai but still 30 November in London.
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_DOOR_WINDOW, v1::TICKET_CATEGORY_DECORATION), &t, agent_)
          .ok());
  unsatisfied_repair_cycle(t.ticket_id(), "builder-A");
  auto complaint = repair("U-102", v1::COMPONENT_OTHER, v1::TICKET_CATEGORY_PUBLIC_FACILITY);
  complaint.set_kind(v1::TICKET_KIND_COMPLAINT);
  ASSERT_TRUE(open(complaint, &t, agent_).ok());
  Caller london_agent{"agent-L", kit::Role::agent, {"P02"}, {}, ""};
  auto in_london = [&](v1::Component c) {
    auto r = repair("L-1", c, v1::TICKET_CATEGORY_HOUSE_QUALITY);
    r.set_project_id("P02");
    v1::Ticket out;
    auto s = open(r, &out, london_agent);
    EXPECT_TRUE(s.ok()) << s.error_message();
  };
  in_london(v1::COMPONENT_PLUMBING);
  now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 30, 22, 0, 0), absl::UTCTimeZone());
  in_london(v1::COMPONENT_ELECTRICAL);
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_GAS, v1::TICKET_CATEGORY_PUBLIC_FACILITY), &t, agent_)
          .ok());
  now_ = absl::FromCivil(absl::CivilSecond(2026, 12, 20, 12, 0, 0), absl::UTCTimeZone());

  Caller hq{"hq-1", kit::Role::hq, {"*"}, {}, ""};
  for (int month : {11, 12}) {
    v1::GroupStatsRequest g;
    g.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
    g.mutable_period()->set_year(2026);
    g.mutable_period()->set_index(month);
    g.add_project_ids("P01");
    g.add_project_ids("P02");
    v1::GroupStatsResponse group;
    auto s = stub_->GroupStats(ctx(hq).get(), g, &group);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(group.projects_size(), 2);
    for (int i = 0; i < 2; ++i) {
      v1::MonthlyStatsRequest one;
      one.set_project_id(group.projects(i).project_id());
      *one.mutable_period() = g.period();
      v1::MonthlyStatsResponse single;
      ASSERT_TRUE(stub_->MonthlyStats(ctx(hq).get(), one, &single).ok());
      EXPECT_EQ(group.projects(i).SerializeAsString(), single.SerializeAsString())
          << "month " << month << "\ngroup: " << group.projects(i).DebugString()
          << "\nsingle: " << single.DebugString();
    }
    EXPECT_EQ(group.projects(0).project_id(), "P01");
    EXPECT_EQ(group.projects(1).project_id(), "P02");
    // the 22:00 UTC report: December in Shanghai, November in London
    EXPECT_EQ(group.projects(0).tickets_total(), month == 11 ? 2 : 1) << month;
    EXPECT_EQ(group.projects(1).tickets_total(), month == 11 ? 2 : 0) << month;
    if (month == 11) {
      EXPECT_EQ(group.projects(0).reopened(), 1);
      EXPECT_EQ(group.projects(0).complaint_rate().numerator(), 1);
    }
    // none named: every project the caller sees
    g.clear_project_ids();
    v1::GroupStatsResponse every;
    ASSERT_TRUE(stub_->GroupStats(ctx(hq).get(), g, &every).ok());
    EXPECT_EQ(every.SerializeAsString(), group.SerializeAsString());
  }
  // scope, roles and bad input
  v1::GroupStatsRequest g;
  g.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
  g.mutable_period()->set_year(2026);
  g.mutable_period()->set_index(11);
  v1::GroupStatsResponse out;
  Caller hq_p01{"hq-2", kit::Role::hq, {"P01"}, {}, ""};
  ASSERT_TRUE(stub_->GroupStats(ctx(hq_p01).get(), g, &out).ok());
  ASSERT_EQ(out.projects_size(), 1);
  EXPECT_EQ(out.projects(0).project_id(), "P01");
  g.add_project_ids("P02");
  EXPECT_EQ(stub_->GroupStats(ctx(hq_p01).get(), g, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GroupStats(ctx(owner1_).get(), g, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  g.clear_project_ids();
  g.add_project_ids("P77");  // seen by the token, unknown to intake: left out
  ASSERT_TRUE(stub_->GroupStats(ctx(hq).get(), g, &out).ok());
  EXPECT_EQ(out.projects_size(), 0);
  g.mutable_period()->set_index(13);
  EXPECT_EQ(stub_->GroupStats(ctx(hq).get(), g, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace aftercare::intake

namespace aftercare::intake {
namespace {

TEST_F(IntakeTest, TimesNotReachedYetAreAbsentNotTheEpoch) {
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_OTHER, v1::TICKET_CATEGORY_OTHER), &t, owner1_).ok());
  EXPECT_FALSE(t.has_responded_at());
  EXPECT_FALSE(t.has_resolved_at());
  EXPECT_FALSE(t.has_closed_at());
  EXPECT_TRUE(get(t.ticket_id()).has_reported_at());
}

TEST_F(IntakeTest, AReworkOrderArrivingBeforeTheReopeningStillDispatchesTheTicket) {
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_BATHROOM_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY),
           &t, owner1_)
          .ok());
  v1::Event created;
  created.set_type("dispatch.WorkOrderCreated");
  created.mutable_work_order_created()->set_ticket_id(t.ticket_id());
  created.mutable_work_order_created()->set_work_order_id("WO-1");
  created.mutable_work_order_created()->set_party_id("builder-A");
  deliver(created);
  v1::Event signed_off;
  signed_off.set_type("dispatch.WorkOrderSignedOff");
  signed_off.mutable_work_order_signed_off()->set_ticket_id(t.ticket_id());
  signed_off.mutable_work_order_signed_off()->set_work_order_id("WO-1");
  deliver(signed_off);
  ASSERT_EQ(get(t.ticket_id()).status(), v1::TICKET_STATUS_RESOLVED);
  // Dispatch's rework order (from callback's ReworkRequested) overtakes the callback record.
  v1::Event rework = created;
  rework.mutable_work_order_created()->set_work_order_id("WO-2");
  rework.mutable_work_order_created()->set_rework_of("WO-1");
  deliver(rework);
  EXPECT_EQ(get(t.ticket_id()).status(), v1::TICKET_STATUS_RESOLVED);
  v1::Event unsatisfied;
  unsatisfied.set_type("callback.CallbackRecorded");
  unsatisfied.mutable_callback_recorded()->set_ticket_id(t.ticket_id());
  unsatisfied.mutable_callback_recorded()->set_callback_id("CB-1");
  unsatisfied.mutable_callback_recorded()->set_reached(true);
  unsatisfied.mutable_callback_recorded()->set_satisfaction(v1::SATISFACTION_UNSATISFIED);
  deliver(unsatisfied);
  v1::Ticket after = get(t.ticket_id());
  EXPECT_EQ(after.status(), v1::TICKET_STATUS_DISPATCHED);
  EXPECT_EQ(after.recurrence(), 2);
}

TEST_F(IntakeTest, PolicyAnswersTheEffectiveValuesOfEverySection) {
  v1::GetPolicyRequest r;
  r.set_project_id("P01");
  v1::Policy p;
  ASSERT_TRUE(stub_->GetPolicy(ctx(admin_).get(), r, &p).ok());
  EXPECT_EQ(p.ticket().repair_level1_at_report(), 3);
  EXPECT_EQ(p.dispatch().builder_onsite_hours(), 24);
  EXPECT_EQ(p.callback().leak_due_days(), 3);
  EXPECT_EQ(p.loyalty().survey_points(), 50);
  EXPECT_EQ(p.billing().reminder_days_before_due(), 3);
}

}  // namespace
}  // namespace aftercare::intake

namespace aftercare::intake {
namespace {

// The callback topic can overtake the dispatch topic: a callback recorded for a work order whose
// sign-off intake has not seen yet still closes (or reopens) the ticket, and the late sign-off
// changes nothing.
TEST_F(IntakeTest, ACallbackThatOvertakesItsSignOffStillClosesOrReopensTheTicket) {
  for (auto satisfaction : {v1::SATISFACTION_SATISFIED, v1::SATISFACTION_UNSATISFIED}) {
    v1::Ticket t;
    auto r = repair(
        "U-101",
        satisfaction == v1::SATISFACTION_SATISFIED ? v1::COMPONENT_GAS : v1::COMPONENT_HEATING,
        v1::TICKET_CATEGORY_PUBLIC_FACILITY);
    ASSERT_TRUE(open(r, &t, owner1_).ok());
    v1::Event created;
    created.set_type("dispatch.WorkOrderCreated");
    created.mutable_work_order_created()->set_ticket_id(t.ticket_id());
    created.mutable_work_order_created()->set_work_order_id("WO-A");
    created.mutable_work_order_created()->set_party_id("crew-1");
    deliver(created);
    v1::Event callback;
    callback.set_type("callback.CallbackRecorded");
    auto* c = callback.mutable_callback_recorded();
    c->set_ticket_id(t.ticket_id());
    c->set_work_order_id("WO-A");
    c->set_callback_id("CB-A");
    c->set_reached(true);
    c->set_satisfaction(satisfaction);
    deliver(callback);
    v1::Event signed_off;
    signed_off.set_type("dispatch.WorkOrderSignedOff");
    signed_off.mutable_work_order_signed_off()->set_ticket_id(t.ticket_id());
    signed_off.mutable_work_order_signed_off()->set_work_order_id("WO-A");
    deliver(signed_off);  // late: must not resolve a closed or reopened ticket again
    v1::Ticket after = get(t.ticket_id());
    if (satisfaction == v1::SATISFACTION_SATISFIED) {
      EXPECT_EQ(after.status(), v1::TICKET_STATUS_CLOSED);
    } else {
      EXPECT_EQ(after.status(), v1::TICKET_STATUS_REOPENED);
      EXPECT_EQ(after.recurrence(), 2);
    }
  }
  EXPECT_EQ(outbox_events("intake.TicketResolved").size(), 2u);
}

}  // namespace
}  // namespace aftercare::intake
