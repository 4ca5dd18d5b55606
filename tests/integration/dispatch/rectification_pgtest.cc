// Inspection defects (issue 19) in dispatch, real PostgreSQL: RectificationRequested becomes a
// builder order like any warranty ticket (ticket_id = defect_id, origin rectification, in the
// builder's feed), once however often it is delivered; a failed re-inspection asks again only
// when nothing is under way; DefectClosed cancels what was not completed.
#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

class RectificationTest : public DispatchTest {
 protected:
  RectificationTest() : DispatchTest("t_dispatch_rectification") {}

  static Event requested(const std::string& defect, int attempt = 1) {
    Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.RectificationRequested");
    e.set_project_id(kProject);
    e.set_aggregate_id(defect);
    auto* r = e.mutable_rectification_requested();
    r->set_defect_id(defect);
    r->set_inspection_id(kit::new_uuid());
    r->set_unit_id("U-101");
    r->set_owner_id("owner-U-101");
    r->set_stage(aftercare::v1::INSPECTION_STAGE_JOINT);
    r->set_category(aftercare::v1::TICKET_CATEGORY_DECORATION);
    r->set_component(aftercare::v1::COMPONENT_DECORATION);
    r->set_severity(aftercare::v1::DEFECT_SEVERITY_MAJOR);
    r->set_location("客厅");
    r->set_description("墙面空鼓");
    absl::Time now = store::truncate_to_micros(absl::Now());
    *r->mutable_requested_at() = store::to_timestamp(now);
    *r->mutable_rectify_due() = store::to_timestamp(now + absl::Hours(24 * 21));
    r->set_attempt(attempt);
    return e;
  }
  static Event closed(const std::string& defect, aftercare::v1::DefectOutcome outcome) {
    Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.DefectClosed");
    e.set_project_id(kProject);
    e.set_aggregate_id(defect);
    e.mutable_defect_closed()->set_defect_id(defect);
    e.mutable_defect_closed()->set_outcome(outcome);
    e.mutable_defect_closed()->set_ticket_id(kit::new_uuid());
    return e;
  }
};

TEST_F(RectificationTest, ADefectGoesToTheBuilderOnce) {
  standard_parties();
  std::string defect = kit::new_uuid();
  Event e = requested(defect);
  deliver(e);
  e.set_event_id(kit::new_uuid());  // re-published under another id
  deliver(e);
  WorkOrder o = only_order(defect);
  EXPECT_EQ(o.assignee_kind(), aftercare::v1::PARTY_KIND_BUILDER);
  EXPECT_EQ(o.party_id(), "B-deco");
  EXPECT_EQ(o.origin(), aftercare::v1::WORK_ORDER_ORIGIN_RECTIFICATION);
  EXPECT_EQ(o.defect_id(), defect);
  EXPECT_EQ(o.ticket_id(), defect);
  auto created = outbox_events("dispatch.WorkOrderCreated");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].work_order_created().defect_id(), defect);
  EXPECT_EQ(count("SELECT count(*) FROM partner_events WHERE party_id = 'B-deco'"), 1);

  // Failed re-inspection while the builder is still on it: no second order.
  deliver(requested(defect, 2));
  EXPECT_EQ(orders_of(defect).size(), 1u);
  // The builder completes; the re-inspection fails again: a new order.
  kit::Caller builder = partner("builder", "B-deco");
  ASSERT_TRUE(accept(builder, o.work_order_id()).ok());
  ASSERT_TRUE(start(builder, o.work_order_id()).ok());
  ASSERT_TRUE(complete(builder, o.work_order_id(), 0).ok());
  deliver(requested(defect, 3));
  EXPECT_EQ(orders_of(defect).size(), 2u);
}

TEST_F(RectificationTest, AClosedDefectCancelsWhatWasNotCompleted) {
  standard_parties();
  std::string defect = kit::new_uuid();
  deliver(requested(defect));
  deliver(closed(defect, aftercare::v1::DEFECT_OUTCOME_TICKETED));
  EXPECT_EQ(only_order(defect).status(), aftercare::v1::WORK_ORDER_STATUS_CANCELLED);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCancelled"), 1);
}

}  // namespace
}  // namespace aftercare::dispatch::testing
