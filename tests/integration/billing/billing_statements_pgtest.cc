// Issue 21 on real PostgreSQL: how many statements billing's handlers send for the events of a
// ticket's path that it books (a warranty repair's cost advanced by another party, an
// escalation's fine), counted on the wire (BEGIN and COMMIT aside; the consumer's inbox insert is
// the kit's), so the count cannot creep back up; and that what they book is unchanged.
#include <gtest/gtest.h>

#include "billing_fixture.h"
#include "support/statement_trace.h"

namespace aftercare::billing::itest {
namespace {

using aftercare::testing::StatementTrace;

class BillingStatementsTest : public BillingTest {
 protected:
  // Applies the event on the traced connection; the statements it sent.
  std::vector<std::string> apply_traced(StatementTrace& trace, const v1::Event& e) {
    trace.statements();
    trace.pool->in_transaction([&](pqxx::work& tx) { ops().apply_event(tx, e); });
    return trace.statements();
  }

  static v1::Event event_of(const std::string& type, const std::string& aggregate) {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type(type);
    e.set_project_id("P1");
    e.set_aggregate_id(aggregate);
    return e;
  }
  static v1::Event warranty_cost(const std::string& work_order_id, int64_t cost_fen) {
    v1::Event e = event_of("dispatch.WarrantyCostAdvanced", work_order_id);
    auto* w = e.mutable_warranty_cost_advanced();
    w->set_work_order_id(work_order_id);
    w->set_ticket_id("T-" + work_order_id);
    w->set_unit_id("U1");
    w->set_builder_party_id("B1");
    w->set_performed_by_kind(v1::PARTY_KIND_CREW);
    w->set_performed_by_party_id("CREW-1");
    w->set_cost_fen(cost_fen);
    w->mutable_signed_off_at()->set_seconds(1780000000);
    return e;
  }
  static v1::Event fine(const std::string& ticket, int level, int64_t fine_fen) {
    v1::Event e = event_of("intake.TicketEscalated", ticket);
    auto* t = e.mutable_ticket_escalated();
    t->set_ticket_id(ticket);
    t->set_level(level);
    t->set_fault_party(v1::FAULT_PARTY_BUILDER);
    t->set_fault_party_id("B1");
    t->set_fine_fen(fine_fen);
    return e;
  }
};

TEST_F(BillingStatementsTest, ACostAdvancedAndAFineAreThreeStatementsEach) {
  add_unit("U1", 10000, "O1");
  StatementTrace trace(pool_->url());
  // The first of each prepares its statements; the second is counted.
  for (int round = 1; round <= 2; ++round) {
    const std::string n = std::to_string(round);
    // The project's settings, the cost with its chargeback, the posting with its entries.
    // Was 6 (2026-12-07: the cost, the chargeback, the posting and each entry apart).
    auto s = apply_traced(trace, warranty_cost("WO-" + n, 12000));
    EXPECT_TRUE(round == 1 || s.size() == 3u)
        << "WarrantyCostAdvanced" << StatementTrace::joined(s);
    // The fine, its posting, FineRecorded. Was 5.
    s = apply_traced(trace, fine("T-" + n, 1, 20000));
    EXPECT_TRUE(round == 1 || s.size() == 3u) << "TicketEscalated" << StatementTrace::joined(s);
  }
  // The same events again book nothing more, in one statement each.
  auto s = apply_traced(trace, warranty_cost("WO-2", 12000));
  EXPECT_TRUE(s.size() <= 2u) << StatementTrace::joined(s);
  s = apply_traced(trace, fine("T-2", 1, 20000));
  EXPECT_TRUE(s.size() <= 1u) << StatementTrace::joined(s);

  EXPECT_EQ(scalar("SELECT count(*) FROM warranty_costs"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM chargebacks WHERE builder_party_id = 'B1' AND "
                   "amount_fen = 12000 AND ticket_id LIKE 'T-WO-%'"),
            2);
  EXPECT_EQ(scalar("SELECT count(*) FROM fines WHERE party_id = 'B1' AND amount_fen = 20000"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM ledger_transactions"), 4);
  EXPECT_EQ(scalar("SELECT count(*) FROM ledger_entries"), 8);
  EXPECT_EQ(outbox_count("billing.FineRecorded"), 2);
  expect_ledger_balanced();
}

}  // namespace
}  // namespace aftercare::billing::itest
