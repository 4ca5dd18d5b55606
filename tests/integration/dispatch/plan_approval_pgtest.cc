// Issue 23, the remainder, in dispatch against real PostgreSQL: the owner approves the repair
// plan of warranty work before it starts (保修实施先得到业主确认), in person or recorded by staff
// on_behalf, with the approval in the order and in dispatch.PlanApproved; a report unlinked from
// a dismissed incident proposal is dispatched once on its own; an incident reopened by an
// unsatisfied reporter sends its work order back as one rework per reopening.
#include <gtest/gtest.h>

#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using enum aftercare::v1::WorkOrderStatus;
using grpc::StatusCode;

class PlanApprovalTest : public DispatchTest {
 protected:
  PlanApprovalTest() : DispatchTest("t_dispatch_plan_approval") {}

  static kit::Caller agent() { return {"agent-1", kit::Role::agent, {kProject}, {}, ""}; }
  kit::Caller builder_ = partner("builder", "B-deco");

  grpc::Status verify(const std::string& id, const std::string& plan) {
    aftercare::v1::RecordVerificationRequest req;
    req.set_work_order_id(id);
    req.set_defect_confirmed(true);
    req.set_liability(aftercare::v1::LIABILITY_BUILDER);
    req.set_estimate_fen(50'000);
    req.set_notes("卫生间地面渗漏至楼下");
    req.set_plan(plan);
    WorkOrder out;
    return stub_->RecordVerification(as(verifier()).get(), req, &out);
  }
  grpc::Status approve(const kit::Caller& c, const std::string& id,
                       const aftercare::v1::OnBehalf* on_behalf, WorkOrder* out) {
    aftercare::v1::ApprovePlanRequest req;
    req.set_work_order_id(id);
    req.set_comment("同意施工");
    if (on_behalf) *req.mutable_on_behalf() = *on_behalf;
    return stub_->ApprovePlan(as(c).get(), req, out);
  }
  static aftercare::v1::OnBehalf phone() {
    aftercare::v1::OnBehalf ob;
    ob.set_method(aftercare::v1::ON_BEHALF_METHOD_PHONE);
    ob.set_note("业主电话同意方案");
    return ob;
  }
};

TEST_F(PlanApprovalTest, WarrantyWorkWithAPlanStartsOnlyAfterTheOwnerApprovedIt) {
  standard_parties();
  deliver(ticket_opened("T-plan"));
  std::string id = only_order("T-plan").work_order_id();
  ASSERT_TRUE(accept(builder_, id).ok());
  const std::string plan = "拆除卫生间地砖，重做防水层，闭水试验48小时，工期3天";
  ASSERT_TRUE(verify(id, plan).ok());
  auto verified = outbox_events("dispatch.VerificationRecorded");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].verification_recorded().plan(), plan);

  auto s = start(builder_, id);
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("approve-plan"), std::string::npos);

  // Nobody else approves for her; the builder brings the signed slip, not its word; a
  // dispatcher needs on_behalf.
  WorkOrder got;
  aftercare::v1::OnBehalf call = phone();
  EXPECT_EQ(approve(owner("U-202"), id, nullptr, &got).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(approve(partner("crew", "C-crew"), id, &call, &got).error_code(),
            StatusCode::NOT_FOUND);
  s = approve(builder_, id, &call, &got);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("on_behalf.method"), std::string::npos);
  EXPECT_EQ(approve(dispatcher(), id, nullptr, &got).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(outbox_count("dispatch.PlanApproved"), 0);

  // The agent takes her approval on the phone.
  s = approve(agent(), id, nullptr, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.plan_approval().plan(), plan);
  EXPECT_EQ(got.plan_approval().owner_id(), "owner-U-101");
  EXPECT_EQ(got.plan_approval().recorded_by(), "agent-1");
  EXPECT_EQ(got.plan_approval().on_behalf().method(), aftercare::v1::ON_BEHALF_METHOD_PHONE);
  auto approved = outbox_events("dispatch.PlanApproved");
  ASSERT_EQ(approved.size(), 1u);
  const auto& p = approved[0].plan_approved();
  EXPECT_EQ(p.work_order_id(), id);
  EXPECT_EQ(p.ticket_id(), "T-plan");
  EXPECT_EQ(p.owner_id(), "owner-U-101");
  EXPECT_EQ(p.recorded_by(), "agent-1");
  // Approving it again changes nothing.
  ASSERT_TRUE(approve(agent(), id, nullptr, &got).ok());
  EXPECT_EQ(outbox_count("dispatch.PlanApproved"), 1);
  ASSERT_TRUE(start(builder_, id).ok());

  // The owner approves in person; a revised plan needs her again.
  deliver(ticket_opened("T-plan2"));
  std::string second = only_order("T-plan2").work_order_id();
  ASSERT_TRUE(accept(builder_, second).ok());
  ASSERT_TRUE(verify(second, "更换淋浴房挡水条").ok());
  ASSERT_TRUE(approve(owner("U-101"), second, nullptr, &got).ok());
  EXPECT_FALSE(got.plan_approval().has_on_behalf());
  EXPECT_EQ(got.plan_approval().recorded_by(), "owner-U-101");
  ASSERT_TRUE(verify(second, "更换淋浴房挡水条并重做地漏").ok());
  EXPECT_EQ(start(builder_, second).error_code(), StatusCode::FAILED_PRECONDITION);
  aftercare::v1::OnBehalf on_owner = call;
  EXPECT_EQ(approve(owner("U-101"), second, &on_owner, &got).error_code(),
            StatusCode::INVALID_ARGUMENT);  // the owner acts in person
  ASSERT_TRUE(approve(owner("U-101"), second, nullptr, &got).ok());
  ASSERT_TRUE(start(builder_, second).ok());
  EXPECT_EQ(outbox_count("dispatch.PlanApproved"), 3);

  // Work without a plan starts as before; a plan of an order already done is refused.
  deliver(ticket_opened("T-plain"));
  std::string plain = only_order("T-plain").work_order_id();
  ASSERT_TRUE(accept(builder_, plain).ok());
  ASSERT_TRUE(start(builder_, plain).ok());
  EXPECT_EQ(approve(agent(), plain, nullptr, &got).error_code(),
            StatusCode::FAILED_PRECONDITION);  // no plan awaits approval
}

TEST_F(PlanApprovalTest, AReportUnlinkedFromADismissedProposalIsDispatchedOnceOnItsOwn) {
  standard_parties();
  Event opened = ticket_opened("T-follower");
  opened.mutable_ticket_opened()->set_incident_id("I-1");  // a follower: not dispatched
  deliver(opened);
  EXPECT_TRUE(orders_of("T-follower").empty());
  Event unlinked;
  unlinked.set_event_id(kit::new_uuid());
  unlinked.set_type("intake.TicketUnlinked");
  unlinked.set_project_id(kProject);
  unlinked.set_aggregate_id("T-follower");
  unlinked.mutable_ticket_unlinked()->set_ticket_id("T-follower");
  unlinked.mutable_ticket_unlinked()->set_incident_id("I-1");
  unlinked.mutable_ticket_unlinked()->set_dispatch(true);
  deliver(unlinked);
  WorkOrder o = only_order("T-follower");
  EXPECT_EQ(o.origin(), aftercare::v1::WORK_ORDER_ORIGIN_INITIAL);
  EXPECT_EQ(o.assignee_kind(), aftercare::v1::PARTY_KIND_BUILDER);
  Event again = unlinked;
  again.set_event_id(kit::new_uuid());  // re-published
  deliver(again);
  EXPECT_EQ(orders_of("T-follower").size(), 1u);

  // The lead keeps its order: unlinking it creates nothing.
  Event lead = ticket_opened("T-lead");
  lead.mutable_ticket_opened()->set_incident_id("I-1");
  lead.mutable_ticket_opened()->set_incident_lead(true);
  deliver(lead);
  ASSERT_EQ(orders_of("T-lead").size(), 1u);
  Event lead_unlinked = unlinked;
  lead_unlinked.set_event_id(kit::new_uuid());
  lead_unlinked.mutable_ticket_unlinked()->set_ticket_id("T-lead");
  lead_unlinked.mutable_ticket_unlinked()->set_dispatch(false);
  deliver(lead_unlinked);
  EXPECT_EQ(orders_of("T-lead").size(), 1u);
}

TEST_F(PlanApprovalTest, AReopenedIncidentReworksItsOrderOncePerReopening) {
  standard_parties();
  Event lead = ticket_opened("T-lift");
  lead.mutable_ticket_opened()->set_incident_id("I-2");
  lead.mutable_ticket_opened()->set_incident_lead(true);
  deliver(lead);
  WorkOrder original = only_order("T-lift");
  ASSERT_TRUE(accept(builder_, original.work_order_id()).ok());
  ASSERT_TRUE(start(builder_, original.work_order_id()).ok());
  ASSERT_TRUE(complete(builder_, original.work_order_id(), 0).ok());

  auto reopened = [&](int count) {
    Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.IncidentReopened");
    e.set_project_id(kProject);
    e.set_aggregate_id("I-2");
    auto* r = e.mutable_incident_reopened();
    r->set_incident_id("I-2");
    r->set_ticket_id("T-neighbour");
    r->set_callback_id("CB-9");
    r->set_work_order_id(original.work_order_id());
    r->set_lead_ticket_id("T-lift");
    r->set_reopen_count(count);
    return e;
  };
  deliver(reopened(1));
  auto orders = orders_of("T-lift");
  ASSERT_EQ(orders.size(), 2u);
  const WorkOrder& rework =
      orders[0].work_order_id() == original.work_order_id() ? orders[1] : orders[0];
  EXPECT_EQ(rework.rework_of(), original.work_order_id());
  EXPECT_EQ(rework.origin(), aftercare::v1::WORK_ORDER_ORIGIN_REWORK);
  deliver(reopened(1));  // the same reopening again
  EXPECT_EQ(orders_of("T-lift").size(), 2u);
  deliver(reopened(2));  // the rework is still under way: no second order
  EXPECT_EQ(orders_of("T-lift").size(), 2u);
  // The lead's own callback asks for its rework itself: an empty order changes nothing.
  Event lead_reopened = reopened(3);
  lead_reopened.mutable_incident_reopened()->clear_work_order_id();
  deliver(lead_reopened);
  EXPECT_EQ(orders_of("T-lift").size(), 2u);
}

}  // namespace
}  // namespace aftercare::dispatch::testing
