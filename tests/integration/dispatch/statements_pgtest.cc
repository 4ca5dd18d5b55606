// Issue 21 on real PostgreSQL: what routing tickets costs dispatch, counted on the wire (every
// statement libpq sends, BEGIN and COMMIT aside; the kit's inbox statement is not the handler's
// and not counted): one TicketOpened, and a fetched batch of many applied together; that a batch
// gives what its events give one by one (the kit's fallback); and that the reference data routing
// uses follows its changes (a policy, a party, made by this process, another one or SQL).
#include <gtest/gtest.h>

#include <algorithm>

#include "dispatch_fixture.h"
#include "support/statement_trace.h"

namespace aftercare::dispatch::testing {
namespace {

using aftercare::testing::StatementTrace;
using enum aftercare::v1::PartyKind;

class StatementsTest : public DispatchTest {
 protected:
  StatementsTest() : DispatchTest("t_dispatch_statements") {}

  // The consumer's path: a fetched batch's events applied together in one transaction.
  static void deliver_batch(DispatchServiceImpl& service, kit::PgPool& pool,
                            const std::vector<Event>& events) {
    std::vector<kit::FetchedEvent> batch;
    for (const Event& e : events) batch.push_back({&e, ""});
    pool.in_transaction([&](pqxx::work& tx) { service.apply_events(tx, batch); });
  }

  static std::vector<Event> tickets(const std::string& prefix, int n) {
    std::vector<Event> out;
    for (int i = 0; i < n; ++i) out.push_back(ticket_opened(prefix + std::to_string(i)));
    return out;
  }

  static Event policy_updated(int builder_onsite_hours, int64_t version) {
    Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.PolicyUpdated");
    e.set_project_id(kProject);
    e.set_aggregate_id(kProject);
    auto* p = e.mutable_policy_updated()->mutable_policy();
    p->set_project_id(kProject);
    p->set_version(version);
    p->mutable_dispatch()->set_builder_onsite_hours(builder_onsite_hours);
    return e;
  }

  // Hours from the report to the order's deadline.
  static int64_t deadline_hours(const WorkOrder& o, const Event& opened) {
    return absl::ToInt64Hours(store::from_timestamp(o.deadline()) -
                              store::from_timestamp(opened.ticket_opened().reported_at()));
  }
};

TEST_F(StatementsTest, RoutingATicketAndABatchOfFiftyAreThreeStatementsEach) {
  standard_parties();
  StatementTrace traced(db_->url());
  DispatchServiceImpl service(*traced.pool, outbox_);
  // The first ticket of the process loads the project's reference data (and prepares).
  deliver_batch(service, *traced.pool, {ticket_opened("T-0")});
  traced.statements();

  // One ticket: the ticket, the reference data's version, the order with its event and feed
  // append. (Before issue 21: eight, the policy and the parties read for every ticket, the feed
  // head, append and webhook queue one statement each; 400 for the batch below.)
  deliver_batch(service, *traced.pool, {ticket_opened("T-1")});
  auto statements = traced.statements();
  EXPECT_EQ(statements.size(), 3u) << StatementTrace::joined(statements);
  EXPECT_EQ(only_order("T-1").party_id(), "B-deco");

  // The same one by one (the kit's fallback, apply_event).
  traced.pool->in_transaction(
      [&](pqxx::work& tx) { service.apply_event(tx, ticket_opened("T-2")); });
  statements = traced.statements();
  EXPECT_EQ(statements.size(), 3u) << StatementTrace::joined(statements);
  EXPECT_EQ(only_order("T-2").party_id(), "B-deco");

  // Fifty tickets fetched together: the same statements, each writing fifty rows.
  std::vector<Event> batch = tickets("T-B", 50);
  deliver_batch(service, *traced.pool, batch);
  statements = traced.statements();
  EXPECT_EQ(statements.size(), 3u) << StatementTrace::joined(statements);
  EXPECT_EQ(count("SELECT count(*) FROM work_orders"), 53);
  EXPECT_EQ(count("SELECT count(*) FROM tickets"), 53);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCreated"), 53);
  // In the batch's order: the events, and the builder's feed (1, 2, ... without a gap).
  std::vector<Event> created = outbox_events("dispatch.WorkOrderCreated");
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(created[3 + i].work_order_created().ticket_id(), "T-B" + std::to_string(i));
  EXPECT_EQ(count("SELECT count(*) FROM partner_events WHERE party_id = 'B-deco'"), 53);
  EXPECT_EQ(count("SELECT max(seq) FROM partner_events WHERE party_id = 'B-deco'"), 53);
  EXPECT_EQ(count("SELECT last_seq FROM partner_feed_heads WHERE party_id = 'B-deco'"), 53);
  EXPECT_EQ(count("SELECT count(*) FROM partner_events p JOIN work_orders w USING (work_order_id)"
                  " WHERE p.party_id = 'B-deco' AND w.ticket_id = 'T-B49' AND p.seq = 53"),
            1);
  // Each order as the API gives it, with its report columns filled.
  WorkOrder o = only_order("T-B7");
  EXPECT_EQ(o.status(), aftercare::v1::WORK_ORDER_STATUS_CREATED);
  EXPECT_EQ(o.origin(), aftercare::v1::WORK_ORDER_ORIGIN_INITIAL);
  EXPECT_EQ(o.version(), 1);
  EXPECT_EQ(count("SELECT count(*) FROM work_orders WHERE report_columns IS NULL"), 0);
}

TEST_F(StatementsTest, ABatchGivesWhatItsEventsGiveOneByOne) {
  standard_parties();
  // A mix: routed, out of warranty, an emergency (the builder notified), a duplicate, a
  // consultation, a ticket sent twice under two event ids, a policy change between tickets.
  auto mix = [](const std::string& p) {
    std::vector<Event> events;
    events.push_back(ticket_opened(p + "1"));
    events.push_back(ticket_opened(p + "2", /*in_warranty=*/false));
    events.push_back(ticket_opened(p + "3", true, reported_at(), aftercare::v1::URGENCY_EMERGENCY));
    Event dup = ticket_opened(p + "4");
    dup.mutable_ticket_opened()->set_duplicate_of(p + "1");
    events.push_back(dup);
    Event consult = ticket_opened(p + "5");
    consult.mutable_ticket_opened()->set_kind(aftercare::v1::TICKET_KIND_CONSULTATION);
    events.push_back(consult);
    Event again = events[0];
    again.set_event_id(kit::new_uuid());
    events.push_back(again);
    return events;
  };
  std::vector<Event> together = mix("A-"), alone = mix("S-");
  // (on site within 24 h by default, 48 h after the first change, 72 h after the second)
  together.insert(together.begin() + 1, policy_updated(48, 1));
  alone.insert(alone.begin() + 1, policy_updated(72, 2));
  together.push_back(ticket_opened("A-6"));
  alone.push_back(ticket_opened("S-6"));
  deliver_batch(*service_, *db_, together);
  for (const Event& e : alone) deliver(e);

  for (const std::string p : {"A-", "S-"}) {
    SCOPED_TRACE(p);
    WorkOrder first = only_order(p + "1");
    EXPECT_EQ(first.party_id(), "B-deco");
    EXPECT_EQ(only_order(p + "2").party_id(), "C-crew");
    EXPECT_TRUE(only_order(p + "2").paid());
    WorkOrder emergency = only_order(p + "3");
    EXPECT_EQ(emergency.assignee_kind(), PARTY_KIND_CREW);
    EXPECT_EQ(emergency.party_id(), "C-crew");
    EXPECT_TRUE(orders_of(p + "4").empty());
    EXPECT_TRUE(orders_of(p + "5").empty());
    // The policy changed after the first ticket.
    const std::vector<Event>& sent = p == "A-" ? together : alone;
    EXPECT_EQ(deadline_hours(first, sent.front()), p == "A-" ? 24 : 48);
    EXPECT_EQ(deadline_hours(only_order(p + "6"), sent.back()), p == "A-" ? 48 : 72);
    // The emergency's builder is told in its feed.
    EXPECT_EQ(count("SELECT count(*) FROM partner_events WHERE party_id = 'B-deco' AND "
                    "work_order_id = '" +
                    emergency.work_order_id() + "'"),
              1);
  }
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCreated"), 8);
  // B-deco: 1, the emergency, 6; C-crew: 2, the emergency.
  EXPECT_EQ(count("SELECT count(*) FROM partner_events"), 10);
  EXPECT_EQ(count("SELECT count(DISTINCT (party_id, seq)) FROM partner_events"), 10);
  EXPECT_EQ(count("SELECT sum(last_seq) FROM partner_feed_heads"), 10);

  // Delivered again (a rewound consumer, new event ids): nothing new.
  std::vector<Event> again = mix("A-");
  for (Event& e : again) e.set_event_id(kit::new_uuid());
  deliver_batch(*service_, *db_, again);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCreated"), 8);
  EXPECT_EQ(count("SELECT count(*) FROM work_orders"), 8);
}

// A change of the reference data routing reads is seen by the next ticket, whoever made it: the
// policy through the consumer, a party through this process's API, through another process
// (its own copy) and by SQL behind the services.
TEST_F(StatementsTest, AReferenceDataChangeIsSeenByTheNextTicket) {
  standard_parties();
  int n = 0;
  Event sent;
  auto route = [&] {
    std::string id = "R-" + std::to_string(++n);
    sent = ticket_opened(id);
    deliver_batch(*service_, *db_, {sent});
    return only_order(id);
  };
  EXPECT_EQ(route().party_id(), "B-deco");

  deliver(policy_updated(72, 3));
  WorkOrder after_policy = route();
  EXPECT_EQ(deadline_hours(after_policy, sent), 72);

  // Another dispatch process registers a builder with a smaller id: it wins from now on.
  DispatchServiceImpl other(*db_, outbox_);
  aftercare::testing::TestServer other_server(&other);
  auto other_stub = aftercare::v1::DispatchService::NewStub(other_server.channel());
  aftercare::v1::UpsertPartyRequest req;
  req.set_project_id(kProject);
  req.set_party_id("B-aaa");
  req.set_kind(PARTY_KIND_BUILDER);
  req.set_name("first builder");
  req.add_trades(aftercare::v1::TICKET_CATEGORY_DECORATION);
  aftercare::v1::Party party;
  ASSERT_TRUE(other_stub->UpsertParty(as(admin()).get(), req, &party).ok());
  EXPECT_EQ(route().party_id(), "B-aaa");

  // This process takes the builder's trade away: back to B-deco.
  req.clear_trades();
  req.add_trades(aftercare::v1::TICKET_CATEGORY_OTHER);
  ASSERT_TRUE(stub_->UpsertParty(as(admin()).get(), req, &party).ok());
  EXPECT_EQ(route().party_id(), "B-deco");

  // Every builder deactivated by SQL: the crew does the warranty work.
  db_->in_transaction(
      [](pqxx::work& tx) { tx.exec("UPDATE parties SET active = false WHERE kind = 'builder'"); });
  WorkOrder crew = route();
  EXPECT_EQ(crew.party_id(), "C-crew");
  EXPECT_FALSE(crew.paid());

  // And the policy back to its default by a newer version.
  deliver(policy_updated(24, 4));
  db_->in_transaction([](pqxx::work& tx) {
    tx.exec("UPDATE parties SET active = true WHERE party_id = 'B-deco'");
  });
  WorkOrder last = route();
  EXPECT_EQ(last.party_id(), "B-deco");
  EXPECT_EQ(deadline_hours(last, sent), 24);
}

}  // namespace
}  // namespace aftercare::dispatch::testing
