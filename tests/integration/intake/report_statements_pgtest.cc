// Issue 21 on real PostgreSQL: how many statements a report costs (counted on the wire: every
// statement libpq sends, BEGIN and COMMIT aside), and that the reference data a report uses
// follows the registry: a change of policy or calendar, made through the API of this process or
// of another one, is seen by the next report.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "intake/app/app.h"
#include "intake/app/registry_cache.h"
#include "intake_fixture.h"

namespace aftercare::intake {
namespace {

class ReportStatementsTest : public IntakeTest {
 protected:
  std::string database_name() const override { return "t_intake_statements"; }

  // A pool of one connection that libpq traces to a file: every use case run on it is recorded.
  struct Traced {
    std::FILE* file = std::tmpfile();
    std::unique_ptr<kit::PgPool> pool;
    explicit Traced(const std::string& url) : pool(std::make_unique<kit::PgPool>(url, 1)) {
      auto lease = pool->acquire();
      lease->trace(file);
    }
    ~Traced() {
      pool.reset();
      std::fclose(file);
    }
    // The statements sent since the last call: "Execute" for each extended-protocol statement
    // (bound parameters, prepared or not), the text of each simple query but BEGIN/COMMIT.
    std::vector<std::string> statements() {
      std::fflush(file);
      long end = std::ftell(file);
      std::string text(static_cast<size_t>(end - read_), '\0');
      std::fseek(file, read_, SEEK_SET);
      size_t got = std::fread(text.data(), 1, text.size(), file);
      text.resize(got);
      read_ = end;
      std::fseek(file, end, SEEK_SET);
      std::vector<std::string> out;
      std::string parsed;  // the last Parse's statement text, to name an Execute
      static const std::regex message(R"(\tF\t\d+\t(\w+)\t?(.*))");
      size_t start = 0;
      while (start < text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(start, nl - start);
        start = nl + 1;
        std::smatch m;
        if (!std::regex_search(line, m, message)) continue;
        const std::string name = m[1], rest = m[2];
        if (name == "Parse") parsed = rest;
        if (name == "Bind") {
          auto q1 = rest.find('"'), q2 = rest.find('"', q1 + 1), q3 = rest.find('"', q2 + 1),
               q4 = rest.find('"', q3 + 1);
          if (q4 != std::string::npos && q4 > q3 + 1) parsed = rest.substr(q3 + 1, q4 - q3 - 1);
        }
        if (name == "Execute") out.push_back(parsed.substr(0, 120));
        if (name == "Query" && rest.find("\"BEGIN") == std::string::npos &&
            rest.find("\"COMMIT") == std::string::npos)
          out.push_back(rest.substr(0, 120));
      }
      return out;
    }
    long read_ = 0;
  };

  static std::string joined(const std::vector<std::string>& statements) {
    std::string out;
    for (const auto& s : statements) out += "\n  " + s;
    return out;
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

}  // namespace
}  // namespace aftercare::intake
