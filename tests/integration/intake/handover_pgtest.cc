// Handover and decoration (issue 19) through real gRPC and the real database: a joint
// inspection's two defects go to the builder (RectificationRequested), one is fixed at
// re-inspection before handover, the other becomes a warranty ticket (channel inspection) when
// the keys are handed over; uncollected keys and reminders; a decoration permit whose violation
// deduction is withheld from a refund made exactly once although finish is sent twice.
#include <gtest/gtest.h>

#include "aftercare/v1/handover.grpc.pb.h"
#include "intake/handover_service.h"
#include "intake_fixture.h"

namespace aftercare::intake {
namespace {

using kit::Caller;

class HandoverTest : public IntakeTest {
 protected:
  std::string database_name() const override { return "t_intake_handover"; }
  void SetUp() override {
    IntakeTest::SetUp();
    handover_ = std::make_unique<HandoverServiceImpl>(*db_, *outbox_, [this] { return now_; });
    handover_server_ = std::make_unique<testing::TestServer>(handover_.get());
    hs_ = v1::HandoverService::NewStub(handover_server_->channel());
    add_unit("U-201", "owner-3", date(2026, 12, 1));  // keys not collected yet
  }

  v1::Inspection inspect(v1::InspectionStage stage) {
    v1::CreateInspectionRequest r;
    r.set_unit_id("U-201");
    r.set_stage(stage);
    v1::Inspection i;
    auto s = hs_->CreateInspection(ctx(verifier_).get(), r, &i);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return i;
  }

  v1::Defect defect(const std::string& inspection, v1::Component c, const std::string& what) {
    v1::AddDefectRequest r;
    r.set_inspection_id(inspection);
    r.set_component(c);
    r.set_location("客厅");
    r.set_description(what);
    r.set_severity(v1::DEFECT_SEVERITY_MAJOR);
    v1::Defect d;
    auto s = hs_->AddDefect(ctx(verifier_).get(), r, &d);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return d;
  }

  // What dispatch answers to RectificationRequested: a builder order for ticket_id = defect_id.
  void builder_takes(const v1::Defect& d, const std::string& work_order) {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("dispatch.WorkOrderCreated");
    auto* c = e.mutable_work_order_created();
    c->set_work_order_id(work_order);
    c->set_ticket_id(d.defect_id());
    c->set_defect_id(d.defect_id());
    c->set_party_id("BLD-1");
    c->set_assignee_kind(v1::PARTY_KIND_BUILDER);
    c->set_origin(v1::WORK_ORDER_ORIGIN_RECTIFICATION);
    deliver(e);
  }

  v1::Inspection get_inspection(const std::string& id, const Caller& who) {
    v1::GetInspectionRequest r;
    r.set_inspection_id(id);
    v1::Inspection i;
    auto s = hs_->GetInspection(ctx(who).get(), r, &i);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return i;
  }

  grpc::Status permit_call(const std::string& what, const std::string& id,
                           v1::DecorationPermit* out, int64_t amount = 0) {
    if (what == "approve") {
      v1::ApproveDecorationPermitRequest r;
      r.set_permit_id(id);
      r.set_deposit_fen(500000);
      r.set_fee_fen(30000);
      return hs_->ApproveDecorationPermit(ctx(supervisor_).get(), r, out);
    }
    if (what == "violation") {
      v1::RecordDecorationViolationRequest r;
      r.set_permit_id(id);
      r.set_description("擅自拆改承重墙");
      *r.mutable_deadline() = date(2026, 12, 10);
      r.set_deduction_fen(amount);
      return hs_->RecordDecorationViolation(ctx(supervisor_).get(), r, out);
    }
    if (what == "inspect") {
      v1::InspectDecorationRequest r;
      r.set_permit_id(id);
      r.set_passed(amount != 0);
      r.set_note("隐蔽工程验收");
      return hs_->InspectDecoration(ctx(agent_).get(), r, out);
    }
    v1::FinishDecorationPermitRequest r;
    r.set_permit_id(id);
    return hs_->FinishDecorationPermit(ctx(finance_).get(), r, out);
  }

  Caller verifier_{"verifier-1", kit::Role::verifier, {"P01"}, {}, ""};
  Caller supervisor_{"sup-1", kit::Role::supervisor, {"P01"}, {}, ""};
  Caller finance_{"fin-1", kit::Role::finance, {"P01"}, {}, ""};
  Caller owner3_{"owner-3", kit::Role::owner, {"P01"}, {"U-201"}, ""};
  std::unique_ptr<HandoverServiceImpl> handover_;
  std::unique_ptr<testing::TestServer> handover_server_;
  std::unique_ptr<v1::HandoverService::Stub> hs_;
};

TEST_F(HandoverTest, JointDefectsGoToTheBuilderAndTheOpenOneBecomesAWarrantyTicket) {
  now_ = absl::FromCivil(absl::CivilSecond(2026, 12, 2, 10, 0, 0), absl::FixedTimeZone(8 * 3600));
  v1::Inspection joint = inspect(v1::INSPECTION_STAGE_JOINT);
  EXPECT_EQ(joint.status(), v1::INSPECTION_STATUS_OPEN);
  v1::Defect wall = defect(joint.inspection_id(), v1::COMPONENT_DECORATION, "墙面空鼓 450 cm²");
  v1::Defect leak =
      defect(joint.inspection_id(), v1::COMPONENT_BATHROOM_WATERPROOFING, "卫生间地漏渗水");
  EXPECT_EQ(wall.status(), v1::DEFECT_STATUS_OPEN);
  EXPECT_EQ(wall.category(), v1::TICKET_CATEGORY_DECORATION);
  // 15 working days from Wed 2 December 2026: Wed 23 December, end of day in Shanghai.
  EXPECT_EQ(
      kit::from_timestamp(wall.rectify_due()),
      absl::FromCivil(absl::CivilSecond(2026, 12, 23, 23, 59, 59), absl::FixedTimeZone(8 * 3600)));

  // Both go to dispatch as rectification work.
  auto requested = outbox_events("intake.RectificationRequested");
  ASSERT_EQ(requested.size(), 2u);
  EXPECT_EQ(requested[0].rectification_requested().defect_id(), wall.defect_id());
  EXPECT_EQ(requested[0].aggregate_id(), wall.defect_id());
  EXPECT_EQ(requested[0].rectification_requested().owner_id(), "owner-3");
  EXPECT_EQ(requested[1].rectification_requested().component(),
            v1::COMPONENT_BATHROOM_WATERPROOFING);
  builder_takes(wall, "WO-WALL");
  builder_takes(leak, "WO-LEAK");
  v1::Inspection read = get_inspection(joint.inspection_id(), owner3_);
  ASSERT_EQ(read.defects_size(), 2);
  EXPECT_EQ(read.defects(0).status(), v1::DEFECT_STATUS_RECTIFYING);
  EXPECT_EQ(read.defects(0).work_order_id(), "WO-WALL");
  EXPECT_EQ(read.defects(1).party_id(), "BLD-1");

  // Signed by the inspector, then on the owner's behalf by phone.
  v1::SignInspectionRequest sign;
  sign.set_inspection_id(joint.inspection_id());
  sign.set_signer(v1::INSPECTION_SIGNER_INSPECTOR);
  v1::Inspection signed_once;
  ASSERT_TRUE(hs_->SignInspection(ctx(verifier_).get(), sign, &signed_once).ok());
  EXPECT_EQ(signed_once.status(), v1::INSPECTION_STATUS_OPEN);
  sign.set_signer(v1::INSPECTION_SIGNER_OWNER);
  v1::Inspection refused;
  EXPECT_EQ(hs_->SignInspection(ctx(agent_).get(), sign, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // staff need on_behalf
  sign.mutable_on_behalf()->set_method(v1::INSPECTION_SIGNATURE_METHOD_PHONE);
  sign.mutable_on_behalf()->set_note("业主电话确认");
  v1::Inspection complete;
  auto s = hs_->SignInspection(ctx(agent_).get(), sign, &complete);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(complete.status(), v1::INSPECTION_STATUS_SIGNED);
  EXPECT_EQ(outbox_events("intake.InspectionSigned").size(), 1u);

  // The builder fixes the wall; the re-inspection passes.
  v1::ReinspectDefectRequest re;
  re.set_inspection_id(joint.inspection_id());
  re.set_defect_id(wall.defect_id());
  re.set_passed(true);
  v1::Defect fixed;
  ASSERT_TRUE(hs_->ReinspectDefect(ctx(verifier_).get(), re, &fixed).ok());
  EXPECT_EQ(fixed.status(), v1::DEFECT_STATUS_FIXED);
  auto closed = outbox_events("intake.DefectClosed");
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].defect_closed().outcome(), v1::DEFECT_OUTCOME_FIXED);
  EXPECT_TRUE(closed[0].defect_closed().on_time());

  // Keys handed over: the handover date is set, the leak becomes a warranty ticket.
  now_ = absl::FromCivil(absl::CivilSecond(2026, 12, 4, 15, 0, 0), absl::FixedTimeZone(8 * 3600));
  v1::HandOverUnitRequest h;
  h.set_unit_id("U-201");
  *h.mutable_handed_over_on() = date(2026, 12, 4);
  v1::HandedOverUnit unit;
  s = hs_->HandOverUnit(ctx(agent_).get(), h, &unit);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(unit.handover_date().day(), 4);
  ASSERT_EQ(unit.ticket_ids_size(), 1);
  v1::Ticket ticket = get(unit.ticket_ids(0));
  EXPECT_EQ(ticket.channel(), v1::CHANNEL_INSPECTION);
  EXPECT_EQ(ticket.component(), v1::COMPONENT_BATHROOM_WATERPROOFING);
  EXPECT_EQ(ticket.unit_id(), "U-201");
  EXPECT_TRUE(ticket.in_warranty());
  EXPECT_EQ(ticket.warranty_ends().year(), 2031);  // 5 years from the handover
  EXPECT_NE(ticket.description().find("卫生间地漏渗水"), std::string::npos);
  v1::Inspection after = get_inspection(joint.inspection_id(), agent_);
  EXPECT_EQ(after.defects(1).ticket_id(), ticket.ticket_id());
  EXPECT_EQ(after.defects(0).ticket_id(), "");
  closed = outbox_events("intake.DefectClosed");
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].defect_closed().outcome(), v1::DEFECT_OUTCOME_TICKETED);
  EXPECT_EQ(closed[1].defect_closed().ticket_id(), ticket.ticket_id());
  EXPECT_EQ(outbox_events("intake.UnitHandedOver").size(), 1u);
  auto units = outbox_events("intake.UnitUpserted");
  EXPECT_EQ(units.back().unit_upserted().handover_date().day(), 4);

  // Once: a second handover is refused and opens nothing; no inspection after the keys.
  v1::HandedOverUnit again;
  EXPECT_EQ(hs_->HandOverUnit(ctx(agent_).get(), h, &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(outbox_events("intake.TicketOpened").size(), 1u);
  // The report's handover section for December 2026.
  v1::HandoverStatsRequest q;
  q.set_project_id("P01");
  q.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
  q.mutable_period()->set_year(2026);
  q.mutable_period()->set_index(12);
  v1::HandoverStatsResponse stats;
  s = hs_->HandoverStats(ctx(supervisor_).get(), q, &stats);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(stats.defects_recorded(), 2);
  ASSERT_EQ(stats.defects_by_builder_size(), 1);
  EXPECT_EQ(stats.defects_by_builder(0).key(), "BLD-1");
  EXPECT_EQ(stats.defects_by_component_size(), 2);
  EXPECT_EQ(stats.rectified_on_time().numerator(), 1);
  EXPECT_EQ(stats.rectified_on_time().denominator(), 1);
  EXPECT_EQ(stats.rectified_on_time().basis_points(), 10000);
  EXPECT_EQ(stats.key_collection_rate().denominator(), 0);  // no notice was sent for U-201

  v1::CreateInspectionRequest late;
  late.set_unit_id("U-201");
  late.set_stage(v1::INSPECTION_STAGE_PRE_HANDOVER);
  v1::Inspection none;
  EXPECT_EQ(hs_->CreateInspection(ctx(verifier_).get(), late, &none).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(HandoverTest, PhotosOfAnInspectionBackDefectsAndAPaperSlip) {
  v1::Inspection joint = inspect(v1::INSPECTION_STAGE_JOINT);
  v1::AddInspectionAttachmentRequest a;
  a.set_inspection_id(joint.inspection_id());
  a.set_kind(v1::ATTACHMENT_KIND_PHOTO_BEFORE);
  a.set_filename("客厅空鼓.jpg");
  a.set_content_type("image/jpeg");
  a.set_content(std::string("\xFF\xD8\xFF\xE0", 4) + "wall");
  v1::Attachment photo, again;
  ASSERT_TRUE(hs_->AddInspectionAttachment(ctx(verifier_).get(), a, &photo).ok());
  ASSERT_TRUE(hs_->AddInspectionAttachment(ctx(verifier_).get(), a, &again).ok());
  EXPECT_EQ(again.attachment_id(), photo.attachment_id());  // the same content once
  EXPECT_EQ(photo.inspection_id(), joint.inspection_id());
  a.set_content_type("image/png");  // not what the bytes are
  v1::Attachment wrong;
  EXPECT_EQ(hs_->AddInspectionAttachment(ctx(verifier_).get(), a, &wrong).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::AddDefectRequest r;
  r.set_inspection_id(joint.inspection_id());
  r.set_component(v1::COMPONENT_DECORATION);
  r.set_location("客厅");
  r.set_description("墙面空鼓");
  r.set_severity(v1::DEFECT_SEVERITY_MINOR);
  r.add_attachment_ids(photo.attachment_id());
  v1::Defect d;
  ASSERT_TRUE(hs_->AddDefect(ctx(verifier_).get(), r, &d).ok());
  EXPECT_EQ(d.attachment_ids(0), photo.attachment_id());

  // The owner reads the photo of their unit's inspection; another owner does not.
  v1::GetAttachmentRequest g;
  g.set_attachment_id(photo.attachment_id());
  v1::Attachment read;
  ASSERT_TRUE(stub_->GetAttachment(ctx(owner3_).get(), g, &read).ok());
  EXPECT_EQ(read.content().substr(4), "wall");
  EXPECT_EQ(stub_->GetAttachment(ctx(owner1_).get(), g, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Staff sign for the owner with the scanned slip.
  v1::SignInspectionRequest sign;
  sign.set_inspection_id(joint.inspection_id());
  sign.set_signer(v1::INSPECTION_SIGNER_OWNER);
  sign.mutable_on_behalf()->set_method(v1::INSPECTION_SIGNATURE_METHOD_PAPER_SLIP);
  v1::Inspection out;
  EXPECT_EQ(hs_->SignInspection(ctx(agent_).get(), sign, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  sign.mutable_on_behalf()->set_attachment_id(photo.attachment_id());
  auto s = hs_->SignInspection(ctx(agent_).get(), sign, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.owner_on_behalf().method(), v1::INSPECTION_SIGNATURE_METHOD_PAPER_SLIP);
  EXPECT_EQ(out.owner_signed_by(), "agent-7");
}

TEST_F(HandoverTest, BadInputAndScopeChangeNothing) {
  v1::Inspection i = inspect(v1::INSPECTION_STAGE_PRE_HANDOVER);
  v1::AddDefectRequest r;
  r.set_inspection_id(i.inspection_id());
  r.set_component(v1::COMPONENT_DECORATION);
  r.set_location("");
  r.set_description("x");
  r.set_severity(v1::DEFECT_SEVERITY_MINOR);
  v1::Defect d;
  EXPECT_EQ(hs_->AddDefect(ctx(verifier_).get(), r, &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r.set_location("厨房");
  EXPECT_EQ(hs_->AddDefect(ctx(stranger_).get(), r, &d).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(hs_->AddDefect(ctx(owner3_).get(), r, &d).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(outbox_events("intake.RectificationRequested").empty());
  v1::HandOverUnitRequest h;
  h.set_unit_id("U-201");
  *h.mutable_handed_over_on() = date(2027, 1, 1);  // in the future
  v1::HandedOverUnit u;
  EXPECT_EQ(hs_->HandOverUnit(ctx(agent_).get(), h, &u).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  *h.mutable_handed_over_on() = date(2026, 2, 30);
  EXPECT_EQ(hs_->HandOverUnit(ctx(agent_).get(), h, &u).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(outbox_events("intake.UnitHandedOver").empty());
}

TEST_F(HandoverTest, UncollectedKeysAreListedAndRemindedOncePerDay) {
  v1::SetHandoverNoticeRequest n;
  n.set_unit_id("U-201");
  *n.mutable_notice_on() = date(2026, 11, 16);
  v1::KeyCollection k;
  ASSERT_TRUE(hs_->SetHandoverNotice(ctx(agent_).get(), n, &k).ok());
  EXPECT_EQ(k.days_overdue(), 7);  // Monday 23 November
  v1::ListUncollectedKeysRequest l;
  l.set_project_id("P01");
  v1::ListUncollectedKeysResponse list;
  ASSERT_TRUE(hs_->ListUncollectedKeys(ctx(agent_).get(), l, &list).ok());
  ASSERT_EQ(list.units_size(), 1);
  EXPECT_EQ(list.units(0).unit_id(), "U-201");
  v1::SendKeyRemindersRequest rem;
  rem.set_project_id("P01");
  v1::ListUncollectedKeysResponse reminded;
  ASSERT_TRUE(hs_->SendKeyReminders(ctx(agent_).get(), rem, &reminded).ok());
  ASSERT_TRUE(hs_->SendKeyReminders(ctx(agent_).get(), rem, &reminded).ok());
  EXPECT_EQ(reminded.units(0).reminders(), 1);
  EXPECT_EQ(outbox_events("intake.KeyCollectionReminderDue").size(), 1u);
  // Collected: off the list.
  v1::HandOverUnitRequest h;
  h.set_unit_id("U-201");
  *h.mutable_handed_over_on() = date(2026, 11, 23);
  v1::HandedOverUnit u;
  ASSERT_TRUE(hs_->HandOverUnit(ctx(agent_).get(), h, &u).ok());
  EXPECT_EQ(u.ticket_ids_size(), 0);
  list.Clear();
  ASSERT_TRUE(hs_->ListUncollectedKeys(ctx(agent_).get(), l, &list).ok());
  EXPECT_EQ(list.units_size(), 0);
}

TEST_F(HandoverTest, PermitRefundsDepositMinusDeductionExactlyOnce) {
  v1::ApplyDecorationPermitRequest a;
  a.set_unit_id("U-101");
  a.set_contractor_name("安居装饰");
  a.set_scope("厨房、卫生间翻新");
  *a.mutable_starts_on() = date(2026, 12, 1);
  *a.mutable_ends_on() = date(2027, 2, 28);
  v1::DecorationPermit p;
  auto s = hs_->ApplyDecorationPermit(ctx(owner1_).get(), a, &p);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(p.status(), v1::DECORATION_PERMIT_STATUS_APPLIED);
  std::string id = p.permit_id();
  // Not yet approved: no violation, no finish.
  EXPECT_EQ(permit_call("violation", id, &p, 100).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(permit_call("approve", id, &p).ok());
  EXPECT_EQ(p.deposit_fen(), 500000);
  ASSERT_TRUE(permit_call("violation", id, &p, 80000).ok());
  EXPECT_EQ(p.status(), v1::DECORATION_PERMIT_STATUS_IN_PROGRESS);
  // More than is left of the deposit is refused and changes nothing.
  EXPECT_EQ(permit_call("violation", id, &p, 420001).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(permit_call("finish", id, &p).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(permit_call("inspect", id, &p, 1).ok());
  ASSERT_TRUE(permit_call("finish", id, &p).ok());
  EXPECT_EQ(p.status(), v1::DECORATION_PERMIT_STATUS_FINISHED);
  EXPECT_EQ(p.deductions_fen(), 80000);
  EXPECT_EQ(p.deposit_refunded_fen(), 420000);
  v1::DecorationPermit second;
  ASSERT_TRUE(permit_call("finish", id, &second).ok());
  EXPECT_EQ(second.deposit_refunded_fen(), 420000);
  EXPECT_EQ(second.version(), p.version());
  int finished = 0;
  int64_t refunded = 0;
  for (const auto& e : outbox_events("intake.DecorationPermitUpdated"))
    if (e.decoration_permit_updated().action() == v1::DECORATION_ACTION_FINISHED) {
      ++finished;
      refunded += e.decoration_permit_updated().refund_fen();
    }
  EXPECT_EQ(finished, 1);
  EXPECT_EQ(refunded, 420000);
  // Another owner does not see it.
  Caller other{"owner-2", kit::Role::owner, {"P01"}, {"U-102"}, ""};
  v1::GetDecorationPermitRequest g;
  g.set_permit_id(id);
  EXPECT_EQ(hs_->GetDecorationPermit(ctx(other).get(), g, &p).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace aftercare::intake
