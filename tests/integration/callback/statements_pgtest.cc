// Issue 21 on real PostgreSQL: how many statements callback's handlers send for the events every
// ticket and work order brings (counted on the wire, BEGIN and COMMIT aside; the consumer's inbox
// insert is the kit's and not counted), so the count cannot creep back up; and that what they
// write is still what the other tests expect (one callback, one message, the policy's due date).
#include <gtest/gtest.h>

#include "callback_fixture.h"
#include "support/statement_trace.h"

namespace aftercare::callback::testing {
namespace {

const std::string kProject = "P-st";

v1::Event envelope(const std::string& type, const std::string& aggregate) {
  return envelope_of(kProject, type, aggregate, type.substr(0, type.find('.')));
}

class CallbackStatementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = aftercare::testing::migrated_database("t_callback_statements",
                                                  generated::callback_migrations());
    outbox_ = std::make_unique<kit::Outbox>("aftercare.callback.v1", "callback");
    clock_.set(local(2024, 6, 14, 15, 0, 0));
    applier_ = std::make_unique<app::EventApplier>(*outbox_, [this] { return clock_.now(); });
    trace_ = std::make_unique<aftercare::testing::StatementTrace>(pool_->url());
    // The registry's events, as intake sends them before any ticket.
    v1::Event project = envelope("intake.ProjectUpserted", kProject);
    project.mutable_project_upserted()->set_project_id(kProject);
    project.mutable_project_upserted()->set_timezone("Asia/Shanghai");
    v1::Event policy = envelope("intake.PolicyUpdated", kProject);
    policy.mutable_policy_updated()->mutable_policy()->set_project_id(kProject);
    policy.mutable_policy_updated()->mutable_policy()->set_version(2);
    apply({project, policy});
    for (const char* unit : {"U-1", "U-2"})
      apply({unit_upserted(kProject, unit, std::string("owner-") + unit,
                           absl::CivilDay(2024, 1, 5))});
  }

  // Applies the events in one transaction on the traced connection; the statements they sent.
  std::vector<std::string> apply(const std::vector<v1::Event>& events) {
    trace_->statements();
    trace_->pool->in_transaction([&](pqxx::work& tx) {
      for (const v1::Event& e : events) (*applier_)(tx, e);
    });
    return trace_->statements();
  }

  v1::Event ticket_opened(const std::string& ticket, const std::string& unit) {
    v1::Event e = envelope("intake.TicketOpened", ticket);
    auto* p = e.mutable_ticket_opened();
    p->set_ticket_id(ticket);
    p->set_unit_id(unit);
    p->set_owner_id("owner-" + unit);
    p->set_kind(v1::TICKET_KIND_REPAIR);
    p->set_urgency(v1::URGENCY_NORMAL);
    return e;
  }
  v1::Event work_order_created(const std::string& wo, const std::string& ticket,
                               const std::string& unit) {
    v1::Event e = envelope("dispatch.WorkOrderCreated", wo);
    auto* p = e.mutable_work_order_created();
    p->set_work_order_id(wo);
    p->set_ticket_id(ticket);
    p->set_unit_id(unit);
    p->set_urgency(v1::URGENCY_NORMAL);
    p->set_origin(v1::WORK_ORDER_ORIGIN_INITIAL);
    return e;
  }
  v1::Event scheduled(const std::string& wo, const std::string& ticket, absl::Time start) {
    v1::Event e = envelope("dispatch.WorkOrderScheduled", wo);
    auto* p = e.mutable_work_order_scheduled();
    p->set_work_order_id(wo);
    p->set_ticket_id(ticket);
    domain::set_timestamp(p->mutable_appointment()->mutable_start(), start);
    domain::set_timestamp(p->mutable_appointment()->mutable_end(), start + absl::Hours(2));
    return e;
  }
  v1::Event completed(const std::string& wo, const std::string& ticket) {
    v1::Event e = envelope("dispatch.WorkOrderCompleted", wo);
    auto* p = e.mutable_work_order_completed();
    p->set_work_order_id(wo);
    p->set_ticket_id(ticket);
    domain::set_timestamp(p->mutable_completed_at(), clock_.now());
    return e;
  }

  std::unique_ptr<kit::PgPool> pool_;
  std::unique_ptr<kit::Outbox> outbox_;
  TestClock clock_;
  std::unique_ptr<app::EventApplier> applier_;
  std::unique_ptr<aftercare::testing::StatementTrace> trace_;
};

using aftercare::testing::StatementTrace;

TEST_F(CallbackStatementsTest, EachEventOfARepairIsFewStatements) {
  // The second repair of the process is counted (the first prepares its statements).
  for (int round = 1; round <= 2; ++round) {
    const std::string n = std::to_string(round);
    const std::string ticket = "T-" + n, wo = "WO-" + n;
    const bool counted = round == 2;
    // The projections: one upsert each.
    auto s = apply({ticket_opened(ticket, "U-1")});
    EXPECT_TRUE(!counted || s.size() == 1u) << "TicketOpened" << StatementTrace::joined(s);
    s = apply({work_order_created(wo, ticket, "U-1")});
    EXPECT_TRUE(!counted || s.size() == 1u) << "WorkOrderCreated" << StatementTrace::joined(s);
    // The window's time zone; the order with its unit; the project's settings, template, opt-out
    // and the unit in one; the owner's planned messages of the day (the daily cap); the message.
    // Was 10 (2026-12-07).
    s = apply({scheduled(wo, ticket, local(2024, 6, 15 + round, 9))});
    EXPECT_TRUE(!counted || s.size() == 5u) << "WorkOrderScheduled" << StatementTrace::joined(s);
    // The same without the time zone. Was 9.
    s = apply({completed(wo, ticket)});
    EXPECT_TRUE(!counted || s.size() == 4u) << "WorkOrderCompleted" << StatementTrace::joined(s);
    // The project's settings with the order's origin, the callback (RETURNING it: no read
    // back), CallbackScheduled. Was 5.
    s = apply({signed_off(kProject, wo, ticket, "U-1", v1::COMPONENT_BATHROOM_WATERPROOFING,
                          local(2024, 6, 14, 11, 0, 0))});
    EXPECT_TRUE(!counted || s.size() == 3u) << "WorkOrderSignedOff" << StatementTrace::joined(s);
  }
  // What they wrote: two callbacks due in 3 days (a leak), two SMS each (scheduled, sign-off).
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE due_kind = 'leak'"), 2);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM owner_messages WHERE owner_id = 'owner-U-1' AND "
                  "to_masked = '138****0000' AND text LIKE '%3-1203%'"),
            4);
  auto scheduled_events = outbox_events(*pool_, "callback.CallbackScheduled");
  ASSERT_EQ(scheduled_events.size(), 2u);
  EXPECT_EQ(domain::from_timestamp(scheduled_events[1].callback_scheduled().due_at()),
            local(2024, 6, 17, 23, 59, 59));
  EXPECT_EQ(scheduled_events[1].callback_scheduled().owner_id(), "owner-U-1");
  // The same events again change nothing, and cost no more.
  auto again = apply({completed("WO-2", "T-2")});
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM owner_messages"), 4);
  again = apply({signed_off(kProject, "WO-2", "T-2", "U-1", v1::COMPONENT_BATHROOM_WATERPROOFING,
                            local(2024, 6, 14, 11, 0, 0))});
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks"), 2);
}

TEST_F(CallbackStatementsTest, AResolvedComplaintIsFewStatements) {
  for (int round = 1; round <= 2; ++round) {
    const std::string ticket = "T-c" + std::to_string(round);
    auto s = apply({ticket_resolved(kProject, ticket, "U-2", v1::TICKET_KIND_COMPLAINT, "",
                                    local(2024, 6, 14, 9, 0, 0))});
    // The project's settings, the callback (RETURNING it), CallbackScheduled. Was 4.
    EXPECT_TRUE(round == 1 || s.size() == 3u) << "TicketResolved" << StatementTrace::joined(s);
  }
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE reason = 'complaint_resolved'"), 2);
  EXPECT_EQ(outbox_count(*pool_, "callback.CallbackScheduled"), 2);
}

}  // namespace
}  // namespace aftercare::callback::testing
