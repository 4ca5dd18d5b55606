// Issue 21 on real PostgreSQL: how many statements a report costs (counted on the wire: every
// statement libpq sends, BEGIN and COMMIT aside), and that the reference data a report uses
// follows the registry: a change of policy or calendar, made through the API of this process or
// of another one, is seen by the next report.
#include <gtest/gtest.h>

#include <thread>

#include "intake/app/app.h"
#include "intake/app/registry_cache.h"
#include "intake/store/intake_store.h"
#include "intake_fixture.h"
#include "support/statement_trace.h"

namespace aftercare::intake {
namespace {

class ReportStatementsTest : public IntakeTest {
 protected:
  std::string database_name() const override { return "t_intake_statements"; }

  using Traced = aftercare::testing::StatementTrace;
  static std::string joined(const std::vector<std::string>& statements) {
    return Traced::joined(statements);
  }

  grpc::Status open_on(kit::PgPool& pool, app::RegistryCache& cache, const v1::OpenTicketRequest& r,
                       v1::Ticket* out) {
    const app::Context ctx{pool, *outbox_, agent_, now_};
    v1::OpenTicketRequest fingerprint = r;
    fingerprint.clear_idempotency_key();
    return app::open_ticket(ctx, cache, r, now_, app::fnv1a_hex(fingerprint.SerializeAsString()),
                            out);
  }
};

TEST_F(ReportStatementsTest, AReportIsAtMostSixStatements) {
  Traced traced(db_->url());
  app::RegistryCache cache;
  v1::Ticket first;
  // The first reports of the process load the project's and the units' reference data.
  ASSERT_TRUE(open_on(*traced.pool, cache,
                      repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY),
                      &first)
                  .ok());
  ASSERT_TRUE(open_on(*traced.pool, cache,
                      repair("U-102", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY),
                      &first)
                  .ok());
  traced.statements();

  // A new issue of a home: number, issue lock, issue state, open incidents, the write.
  auto r = repair("U-102", v1::COMPONENT_ELECTRICAL, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  r.set_idempotency_key("stmt-1");
  v1::Ticket t;
  ASSERT_TRUE(open_on(*traced.pool, cache, r, &t).ok());
  auto statements = traced.statements();
  EXPECT_LE(statements.size(), 6u) << joined(statements);
  EXPECT_EQ(statements.size(), 5u) << joined(statements);
  EXPECT_EQ(t.version(), 2);
  EXPECT_EQ(get(t.ticket_id()).SerializeAsString(), t.SerializeAsString());

  // A public report also reads the building's recent reports (the incident proposal rule).
  v1::Ticket pub;
  ASSERT_TRUE(open_on(*traced.pool, cache,
                      repair("U-101", v1::COMPONENT_ELEVATOR, v1::TICKET_CATEGORY_PUBLIC_FACILITY),
                      &pub)
                  .ok());
  statements = traced.statements();
  EXPECT_LE(statements.size(), 6u) << joined(statements);

  // A reminder of an issue still being handled: linked, one statement fewer.
  v1::Ticket reminder;
  ASSERT_TRUE(open_on(*traced.pool, cache,
                      repair("U-102", v1::COMPONENT_ELECTRICAL, v1::TICKET_CATEGORY_HOUSE_QUALITY),
                      &reminder)
                  .ok());
  statements = traced.statements();
  EXPECT_LE(statements.size(), 6u) << joined(statements);
  EXPECT_EQ(reminder.duplicate_of(), t.ticket_id());
  EXPECT_EQ(get(reminder.ticket_id()).SerializeAsString(), reminder.SerializeAsString());

  // A replay: the number statement finds the key, one read answers the first ticket.
  v1::Ticket again;
  ASSERT_TRUE(open_on(*traced.pool, cache, r, &again).ok());
  statements = traced.statements();
  EXPECT_LE(statements.size(), 2u) << joined(statements);
  EXPECT_EQ(again.ticket_id(), t.ticket_id());
}

TEST_F(ReportStatementsTest, ARepeatedRepairEscalatesInTheSameStatements) {
  Traced traced(db_->url());
  app::RegistryCache cache;
  auto r = repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::Ticket t;
  for (int report = 1; report <= 2; ++report) {
    ASSERT_TRUE(open_on(*traced.pool, cache, r, &t).ok());
    // Repaired by builder-1 and closed (set as dispatch's events and the callback would).
    db_->in_transaction([&](pqxx::work& tx) {
      tx.exec_params(
          "UPDATE tickets SET status = 5, assignee_party_id = 'builder-1' WHERE ticket_id = "
          "$1::uuid",
          t.ticket_id());
    });
    now_ += absl::Hours(1);
  }
  traced.statements();
  // The third report of the issue is a level-1 complaint with a fine against the builder.
  ASSERT_TRUE(open_on(*traced.pool, cache, r, &t).ok());
  auto statements = traced.statements();
  EXPECT_LE(statements.size(), 6u) << joined(statements);
  EXPECT_EQ(t.escalation_level(), 1) << t.DebugString();
  EXPECT_EQ(t.fault_party_id(), "builder-1");
  EXPECT_EQ(get(t.ticket_id()).SerializeAsString(), t.SerializeAsString());
  auto escalated = outbox_events("intake.TicketEscalated");
  ASSERT_FALSE(escalated.empty());
  EXPECT_EQ(escalated.back().aggregate_id(), t.ticket_id());
}

// The next report follows a policy changed through the registry API, by this process or by
// another one (its own copy of the reference data), and a calendar changed the same way.
TEST_F(ReportStatementsTest, AReferenceDataChangeIsSeenByTheNextReport) {
  auto open_new = [&](v1::Component c) {
    v1::Ticket t;
    auto s = open(repair("U-101", c, v1::TICKET_CATEGORY_HOUSE_QUALITY), &t, agent_);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return t;
  };
  // Monday 10:00: one working day to respond by default (Tuesday).
  v1::Ticket before = open_new(v1::COMPONENT_PLUMBING);
  absl::Time tuesday = kit::from_timestamp(before.response_due());

  // Another intake process (its own copy) changes the policy: three working days.
  IntakeServiceImpl other(*db_, *outbox_, [this] { return now_; });
  testing::TestServer other_server(&other);
  auto other_stub = v1::IntakeService::NewStub(other_server.channel());
  v1::SetPolicyRequest policy;
  policy.set_project_id("P01");
  policy.mutable_policy()->mutable_ticket()->set_normal_response_working_days(3);
  v1::Policy stored;
  ASSERT_TRUE(other_stub->SetPolicy(ctx(admin_).get(), policy, &stored).ok());
  v1::Ticket after_policy = open_new(v1::COMPONENT_ELECTRICAL);
  EXPECT_EQ(kit::from_timestamp(after_policy.response_due()) - tuesday, absl::Hours(48));

  // This process makes Wednesday to Friday holidays: three working days end next Tuesday.
  v1::PutCalendarRequest cal;
  cal.set_project_id("P01");
  cal.set_year(2026);
  for (int d = 1; d <= 7; ++d)
    if (d != 3 && d != 4) *cal.add_holidays() = date(2026, 10, d);
  *cal.add_workdays() = date(2026, 9, 27);
  *cal.add_workdays() = date(2026, 10, 10);
  for (int d = 25; d <= 27; ++d) *cal.add_holidays() = date(2026, 11, d);
  v1::Calendar calendar;
  ASSERT_TRUE(stub_->PutCalendar(ctx(admin_).get(), cal, &calendar).ok());
  v1::Ticket after_calendar = open_new(v1::COMPONENT_DOOR_WINDOW);
  EXPECT_EQ(kit::from_timestamp(after_calendar.response_due()) - tuesday, absl::Hours(7 * 24));

  // And back through the other process: the default again.
  policy.mutable_policy()->mutable_ticket()->clear_normal_response_working_days();
  ASSERT_TRUE(other_stub->SetPolicy(ctx(admin_).get(), policy, &stored).ok());
  v1::Ticket after_reset = open_new(v1::COMPONENT_HEATING);
  // One working day after Monday, Tuesday, is still a working day.
  EXPECT_EQ(kit::from_timestamp(after_reset.response_due()), tuesday);
}

// A unit handed to another owner (a registry change by SQL, as a migration or a script would)
// opens its next report for the new owner.
TEST_F(ReportStatementsTest, AUnitChangedBehindTheServiceIsSeenByTheNextReport) {
  v1::Ticket t;
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY), &t, agent_)
          .ok());
  EXPECT_EQ(t.owner_id(), "owner-1");
  db_->in_transaction([](pqxx::work& tx) {
    tx.exec("UPDATE units SET owner_id = 'owner-9' WHERE unit_id = 'U-101'");
  });
  ASSERT_TRUE(
      open(repair("U-101", v1::COMPONENT_ELECTRICAL, v1::TICKET_CATEGORY_HOUSE_QUALITY), &t, agent_)
          .ok());
  EXPECT_EQ(t.owner_id(), "owner-9");
}

// The open finding of the partner-streams bench (README "Partner streams"): on a fresh stack the
// first POST phase had a ~1 s tail and a 409. A reminder's write (its history row on the active
// ticket, then the duplicate_of key check) and a change of that ticket by another transaction
// (dispatch's WorkOrderCreated: the ticket FOR UPDATE, then its own history row) deadlocked.
// Here the other transaction holds the active ticket while a reminder comes in, and writes its
// history only once the reminder waits: both must succeed, the history numbered without a gap.
TEST_F(ReportStatementsTest, AReminderWhileItsTicketChangesWaitsAndSucceeds) {
  v1::Ticket primary;
  ASSERT_TRUE(open(repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY),
                   &primary, agent_)
                  .ok());
  kit::PgPool other(db_->url(), 2);
  auto lease = other.acquire();
  pqxx::work change(*lease);
  change.exec_params("SELECT 1 FROM tickets WHERE ticket_id = $1::uuid FOR UPDATE",
                     primary.ticket_id());

  grpc::Status reminder_status;
  v1::Ticket reminder;
  std::thread report([&] {
    reminder_status =
        open(repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY), &reminder,
             agent_);
  });
  // The reminder waits on a lock (before or after writing; either way the change goes on now).
  ASSERT_TRUE(aftercare::testing::eventually([&] {
    return other.in_transaction([](pqxx::work& tx) {
      return tx.exec(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'")[0][0]
                 .as<int>() > 0;
    });
  }));
  bool changed = true;
  try {
    store::append_history(change, primary.ticket_id(), kit::to_micros(now_), "dispatch",
                          "dispatched", "work order created");
    change.commit();
  } catch (const std::exception& e) {
    changed = false;
    ADD_FAILURE() << "the ticket's change failed: " << e.what();
  }
  report.join();
  EXPECT_TRUE(changed);
  EXPECT_TRUE(reminder_status.ok())
      << reminder_status.error_code() << " " << reminder_status.error_message();
  EXPECT_EQ(reminder.duplicate_of(), primary.ticket_id());
  auto seqs = db_->in_transaction([&](pqxx::work& tx) {
    std::vector<int> out;
    for (const auto& row :
         tx.exec_params("SELECT seq FROM ticket_history WHERE ticket_id = $1::uuid ORDER BY seq",
                        primary.ticket_id()))
      out.push_back(row[0].as<int>());
    return out;
  });
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int>(i + 1));
  EXPECT_GE(seqs.size(), 3u);  // opened, the change, the reminder linked
}

}  // namespace
}  // namespace aftercare::intake
