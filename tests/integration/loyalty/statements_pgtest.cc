// Issue 21 on real PostgreSQL: how many statements loyalty's handler sends for the event of a
// ticket's path it acts on (a callback's survey completed: the owner earns the survey's points),
// counted on the wire (BEGIN and COMMIT aside; the consumer's inbox insert is the kit's), so the
// count cannot creep back up; and that the award is unchanged (once per callback).
#include <gtest/gtest.h>

#include "fixture.h"
#include "support/statement_trace.h"

namespace aftercare::loyalty {
namespace {

using aftercare::testing::StatementTrace;

class LoyaltyStatementsTest : public LoyaltyFixture {
 protected:
  void SetUp() override { Open("t_loyalty_statements"); }

  std::vector<std::string> survey_completed(StatementTrace& trace, const std::string& callback_id) {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("callback.SurveyCompleted");
    e.set_project_id("P1");
    e.set_aggregate_id(callback_id);
    auto* s = e.mutable_survey_completed();
    s->set_callback_id(callback_id);
    s->set_owner_id("owner-1");
    s->set_satisfaction(v1::SATISFACTION_SATISFIED);
    trace.statements();
    trace.pool->in_transaction([&](pqxx::work& tx) { service_->HandleCallbackEvent(tx, e); });
    return trace.statements();
  }

  int64_t scalar(const std::string& sql) {
    return db_->in_transaction([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<int64_t>(); });
  }
};

TEST_F(LoyaltyStatementsTest, ASurveyAwardIsNineStatements) {
  Enrol("owner-1", "P1", "U-101");
  StatementTrace trace(db_->url());
  survey_completed(trace, "CB-1");  // prepares the statements
  // The policy (read once: was twice), the member locked, its project, the award's key, the
  // entry, its lot, PointsEarned, the tier window's earnings, the member. Was 10 (2026-12-07).
  auto s = survey_completed(trace, "CB-2");
  EXPECT_EQ(s.size(), 9u) << StatementTrace::joined(s);
  // The same survey again awards nothing.
  s = survey_completed(trace, "CB-2");
  EXPECT_EQ(scalar("SELECT count(*) FROM ledger_entries WHERE kind = 1"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM kit_outbox WHERE event_type = 'loyalty.PointsEarned'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM lots"), 2);
}

}  // namespace
}  // namespace aftercare::loyalty
