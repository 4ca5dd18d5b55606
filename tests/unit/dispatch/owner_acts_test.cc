// Owners without the app (issue 23), pure: who may record which act of the owner and how,
// the paper slip's attachment, appointment consent, ratings and what the report makes of them.
#include "dispatch/domain/owner_acts.h"

#include <gtest/gtest.h>

#include "dispatch/domain/report.h"
#include "dispatch/domain/work_order.h"

namespace aftercare::dispatch::domain {
namespace {

using aftercare::v1::OnBehalf;
using aftercare::v1::WorkOrder;
using enum aftercare::v1::WorkOrderStatus;

OnBehalf slip(const std::string& attachment = "att-1") {
  OnBehalf ob;
  ob.set_method(aftercare::v1::ON_BEHALF_METHOD_PAPER_SLIP);
  ob.set_attachment_id(attachment);
  return ob;
}
OnBehalf phone(const std::string& note = "业主电话确认") {
  OnBehalf ob;
  ob.set_method(aftercare::v1::ON_BEHALF_METHOD_PHONE);
  ob.set_note(note);
  return ob;
}

TEST(OwnerActs, TheOwnerActsInPersonWithoutOnBehalf) {
  for (OwnerAct act : {OwnerAct::kSignOff, OwnerAct::kDecideQuote, OwnerAct::kAppointmentConsent,
                       OwnerAct::kRate}) {
    OwnerActDecision d = decide_owner_act(act, Recorder::kOwner, nullptr);
    EXPECT_TRUE(d.verdict.ok());
    EXPECT_FALSE(d.recorded.has_value());
    OnBehalf ob = phone();
    d = decide_owner_act(act, Recorder::kOwner, &ob);
    EXPECT_EQ(d.verdict.kind, Verdict::kInvalid);
    EXPECT_EQ(d.verdict.field, "on_behalf");
  }
}

TEST(OwnerActs, StaffSignOffForTheOwnerOnlyWithOnBehalf) {
  for (Recorder who : {Recorder::kAgent, Recorder::kDispatcher, Recorder::kAssignee}) {
    OwnerActDecision d = decide_owner_act(OwnerAct::kSignOff, who, nullptr);
    EXPECT_EQ(d.verdict.kind, Verdict::kForbidden);  // as before: 403 without on_behalf
    OnBehalf ob = slip();
    d = decide_owner_act(OwnerAct::kSignOff, who, &ob);
    ASSERT_TRUE(d.verdict.ok()) << d.verdict.message;
    ASSERT_TRUE(d.recorded.has_value());
    EXPECT_EQ(d.recorded->attachment_id(), "att-1");
  }
  OnBehalf call = phone();
  EXPECT_TRUE(decide_owner_act(OwnerAct::kSignOff, Recorder::kAgent, &call).verdict.ok());
  EXPECT_TRUE(decide_owner_act(OwnerAct::kSignOff, Recorder::kDispatcher, &call).verdict.ok());
  // The party that did the work brings the signed slip; its word on the phone is not enough.
  OwnerActDecision d = decide_owner_act(OwnerAct::kSignOff, Recorder::kAssignee, &call);
  EXPECT_EQ(d.verdict.kind, Verdict::kInvalid);
  EXPECT_EQ(d.verdict.field, "on_behalf.method");
  EXPECT_EQ(decide_owner_act(OwnerAct::kSignOff, Recorder::kOther, &call).verdict.kind,
            Verdict::kForbidden);
}

TEST(OwnerActs, APaperSlipNeedsItsAttachmentAndAMethodIsRequired) {
  OnBehalf bare = slip("");
  OwnerActDecision d = decide_owner_act(OwnerAct::kSignOff, Recorder::kDispatcher, &bare);
  EXPECT_EQ(d.verdict.kind, Verdict::kInvalid);
  EXPECT_EQ(d.verdict.field, "on_behalf.attachment_id");
  OnBehalf none;
  d = decide_owner_act(OwnerAct::kSignOff, Recorder::kDispatcher, &none);
  EXPECT_EQ(d.verdict.kind, Verdict::kInvalid);
  EXPECT_EQ(d.verdict.field, "on_behalf.method");
  EXPECT_EQ(d.verdict.message, "must be one of paper_slip, phone");
}

TEST(OwnerActs, TheSlipMustBeAnAttachmentOfTheOrdersTicket) {
  EXPECT_TRUE(check_slip_attachment(slip(), std::string("T1"), "T1").ok());
  Verdict other = check_slip_attachment(slip(), std::string("T2"), "T1");
  EXPECT_EQ(other.kind, Verdict::kInvalid);
  EXPECT_EQ(other.field, "on_behalf.attachment_id");
  EXPECT_EQ(check_slip_attachment(slip(), std::nullopt, "T1").kind, Verdict::kInvalid);
  EXPECT_TRUE(check_slip_attachment(phone(), std::nullopt, "T1").ok());  // nothing named
}

TEST(OwnerActs, AnAgentOnThePhoneIsTheDefaultExceptForSignOff) {
  for (OwnerAct act : {OwnerAct::kDecideQuote, OwnerAct::kAppointmentConsent, OwnerAct::kRate}) {
    OwnerActDecision d = decide_owner_act(act, Recorder::kAgent, nullptr);
    ASSERT_TRUE(d.verdict.ok());
    ASSERT_TRUE(d.recorded.has_value());
    EXPECT_EQ(d.recorded->method(), aftercare::v1::ON_BEHALF_METHOD_PHONE);
  }
  // Dispatchers record quotes and consent only with on_behalf; nobody rates for the owner but
  // an agent.
  EXPECT_EQ(decide_owner_act(OwnerAct::kDecideQuote, Recorder::kDispatcher, nullptr).verdict.kind,
            Verdict::kForbidden);
  OnBehalf call = phone();
  EXPECT_TRUE(decide_owner_act(OwnerAct::kDecideQuote, Recorder::kDispatcher, &call).verdict.ok());
  EXPECT_TRUE(
      decide_owner_act(OwnerAct::kAppointmentConsent, Recorder::kAssignee, &call).verdict.ok());
  for (Recorder who : {Recorder::kDispatcher, Recorder::kAssignee, Recorder::kOther}) {
    EXPECT_EQ(decide_owner_act(OwnerAct::kRate, who, &call).verdict.kind, Verdict::kForbidden);
  }
}

WorkOrder scheduled(bool confirmed, bool pending = false) {
  WorkOrder o;
  o.set_status(WORK_ORDER_STATUS_SCHEDULED);
  o.mutable_appointment()->mutable_start()->set_seconds(1'800'000'000);
  o.mutable_appointment()->mutable_end()->set_seconds(1'800'007'200);
  if (confirmed) o.mutable_appointment()->mutable_confirmed_at()->set_seconds(1'799'000'000);
  o.set_appointment_change_pending(pending);
  return o;
}

TEST(AppointmentConsent, ConfirmingAndRefusing) {
  EXPECT_TRUE(check_confirm_appointment(scheduled(false)).ok());
  EXPECT_EQ(check_confirm_appointment(scheduled(true)).kind, Verdict::kRepeat);
  EXPECT_TRUE(check_confirm_appointment(scheduled(false, true)).ok());
  WorkOrder accepted;
  accepted.set_status(WORK_ORDER_STATUS_ACCEPTED);
  EXPECT_EQ(check_confirm_appointment(accepted).kind, Verdict::kPrecondition);
  EXPECT_EQ(check_refuse_appointment(accepted).kind, Verdict::kPrecondition);
  // A window the owner agreed to is not refused afterwards; an unconfirmed or changed one is.
  EXPECT_EQ(check_refuse_appointment(scheduled(true)).kind, Verdict::kPrecondition);
  EXPECT_TRUE(check_refuse_appointment(scheduled(false)).ok());
  EXPECT_TRUE(check_refuse_appointment(scheduled(false, true)).ok());
}

TEST(AppointmentConsent, ChangingAConfirmedWindowWaitsForTheOwner) {
  EXPECT_FALSE(new_window_awaits_consent(scheduled(false), false));  // never confirmed: as before
  EXPECT_TRUE(new_window_awaits_consent(scheduled(true), false));
  EXPECT_FALSE(new_window_awaits_consent(scheduled(true), true));  // the owner agreed already
  EXPECT_TRUE(new_window_awaits_consent(scheduled(false, true), false));
  // Work does not start on a window the owner has not agreed to.
  DispatchPolicy policy;
  WorkOrder pending = scheduled(false, true);
  EXPECT_NE(start_error(pending, policy), "");
  EXPECT_EQ(start_error(scheduled(true), policy), "");
}

TEST(Ratings, OneToFiveOnceForWorkDone) {
  EXPECT_EQ(check_score(0).kind, Verdict::kInvalid);
  EXPECT_EQ(check_score(6).field, "score");
  EXPECT_TRUE(check_score(1).ok());
  EXPECT_TRUE(check_score(5).ok());
  WorkOrder o;
  o.set_status(WORK_ORDER_STATUS_IN_PROGRESS);
  EXPECT_EQ(check_rating(o).kind, Verdict::kPrecondition);
  o.set_status(WORK_ORDER_STATUS_COMPLETED);
  EXPECT_TRUE(check_rating(o).ok());
  o.set_status(WORK_ORDER_STATUS_SIGNED_OFF);
  EXPECT_TRUE(check_rating(o).ok());
  o.mutable_rating()->set_score(4);
  EXPECT_EQ(check_rating(o).kind, Verdict::kAlreadyExists);
}

TEST(Ratings, TheReportCountsThemPerPartyAndTechnician) {
  absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  PeriodBounds b{start, start + absl::Hours(24 * 30)};
  auto order = [&](const std::string& id, const std::string& tech, int score, bool slip_signed) {
    WorkOrder o;
    o.set_work_order_id(id);
    o.set_party_id("C-crew");
    o.set_assignee_kind(aftercare::v1::PARTY_KIND_CREW);
    o.set_technician_id(tech);
    o.set_status(WORK_ORDER_STATUS_SIGNED_OFF);
    o.mutable_created_at()->set_seconds(1'800'000'100);
    o.mutable_signed_off_at()->set_seconds(1'800'000'500);
    o.set_cost_fen(100);
    auto* owner = o.add_sign_offs();
    owner->set_signer(aftercare::v1::SIGNER_OWNER);
    if (slip_signed) *owner->mutable_on_behalf() = slip();
    auto* verifier = o.add_sign_offs();
    verifier->set_signer(aftercare::v1::SIGNER_VERIFIER);
    verifier->mutable_signed_at()->set_seconds(1'800'000'600);
    o.mutable_rating()->set_score(score);
    o.mutable_rating()->set_technician_id(tech);
    o.mutable_rating()->mutable_rated_at()->set_seconds(1'800'000'700);
    return o;
  };
  std::vector<WorkOrder> orders = {order("W1", "tech-a", 5, true), order("W2", "tech-a", 4, false),
                                   order("W3", "tech-b", 2, false)};
  orders.push_back(order("W4", "tech-b", 1, false));
  orders.back().mutable_rating()->mutable_rated_at()->set_seconds(1'700'000'000);  // before
  aftercare::v1::RepairReportResponse r = repair_report(orders, b, start + absl::Hours(48));
  EXPECT_EQ(r.ratings().rated(), 3);
  EXPECT_EQ(r.ratings().score_sum(), 11);
  EXPECT_EQ(r.ratings().average_hundredths(), 367);  // 11 / 3 = 3.666...
  ASSERT_EQ(r.ratings().count_by_score_size(), 5);
  EXPECT_EQ(r.ratings().count_by_score(4), 1);  // one 5-star
  EXPECT_EQ(r.ratings().count_by_score(1), 1);  // one 2-star
  ASSERT_EQ(r.by_party_size(), 1);
  EXPECT_EQ(r.by_party(0).ratings().rated(), 3);
  ASSERT_EQ(r.by_technician_size(), 2);
  EXPECT_EQ(r.by_technician(0).technician_id(), "tech-a");
  EXPECT_EQ(r.by_technician(0).signed_off(), 2);
  EXPECT_EQ(r.by_technician(0).ratings().average_hundredths(), 450);
  EXPECT_EQ(r.by_technician(1).signed_off(), 2);
  EXPECT_EQ(r.by_technician(1).ratings().rated(), 1);
  EXPECT_EQ(r.verifier_accepted(), 4);
  EXPECT_EQ(r.signed_off_on_behalf(), 1);
}

// ---- plan approval (issue 23: 保修实施先得到业主确认) ----------------------------------------

WorkOrder warranty_with_plan(const std::string& plan) {
  WorkOrder o;
  o.set_status(WORK_ORDER_STATUS_SCHEDULED);
  o.set_in_warranty(true);
  o.set_urgency(aftercare::v1::URGENCY_NORMAL);
  o.mutable_verification()->set_plan(plan);
  return o;
}

TEST(PlanApproval, WhoMayRecordTheOwnersApproval) {
  EXPECT_TRUE(decide_owner_act(OwnerAct::kApprovePlan, Recorder::kOwner, nullptr).verdict.ok());
  // An agent heard it on the phone; a dispatcher needs on_behalf; the party doing the work
  // brings the signed slip; nobody else.
  OwnerActDecision agent = decide_owner_act(OwnerAct::kApprovePlan, Recorder::kAgent, nullptr);
  ASSERT_TRUE(agent.verdict.ok());
  EXPECT_EQ(agent.recorded->method(), aftercare::v1::ON_BEHALF_METHOD_PHONE);
  EXPECT_EQ(decide_owner_act(OwnerAct::kApprovePlan, Recorder::kDispatcher, nullptr).verdict.kind,
            Verdict::kForbidden);
  OnBehalf call = phone();
  EXPECT_TRUE(decide_owner_act(OwnerAct::kApprovePlan, Recorder::kDispatcher, &call).verdict.ok());
  OwnerActDecision crew = decide_owner_act(OwnerAct::kApprovePlan, Recorder::kAssignee, &call);
  EXPECT_EQ(crew.verdict.kind, Verdict::kInvalid);
  EXPECT_EQ(crew.verdict.field, "on_behalf.method");
  OnBehalf paper = slip();
  EXPECT_TRUE(decide_owner_act(OwnerAct::kApprovePlan, Recorder::kAssignee, &paper).verdict.ok());
  OwnerActDecision other = decide_owner_act(OwnerAct::kApprovePlan, Recorder::kOther, &paper);
  EXPECT_EQ(other.verdict.kind, Verdict::kForbidden);
  EXPECT_EQ(other.verdict.message, "may not approve repair plans");
}

TEST(PlanApproval, AWarrantyPlanWaitsForTheOwnerBeforeTheWorkStarts) {
  DispatchPolicy policy;
  WorkOrder o = warranty_with_plan("拆除卫生间地砖，重做防水，3天");
  EXPECT_TRUE(plan_awaits_approval(o));
  EXPECT_NE(start_error(o, policy).find("approve-plan"), std::string::npos);
  o.mutable_plan_approval()->set_plan(o.verification().plan());
  EXPECT_FALSE(plan_awaits_approval(o));
  EXPECT_EQ(start_error(o, policy), "");
  // A revised plan needs a new approval.
  o.mutable_verification()->set_plan("拆除卫生间地砖，重做防水，5天");
  EXPECT_TRUE(plan_awaits_approval(o));
}

TEST(PlanApproval, NoPlanEmergenciesAndPaidRepairsDoNotWait) {
  EXPECT_FALSE(plan_awaits_approval(warranty_with_plan("")));
  WorkOrder emergency = warranty_with_plan("关闭总阀，更换立管");
  emergency.set_urgency(aftercare::v1::URGENCY_EMERGENCY);
  EXPECT_FALSE(plan_awaits_approval(emergency));
  WorkOrder paid = warranty_with_plan("更换龙头");
  paid.set_paid(true);  // the quote is what the owner agrees to
  EXPECT_FALSE(plan_awaits_approval(paid));
}

TEST(PlanApproval, ApprovingNeedsAPlanAndWorkNotDoneAndRepeatsChangeNothing) {
  WorkOrder none = warranty_with_plan("");
  EXPECT_EQ(check_approve_plan(none).kind, Verdict::kPrecondition);
  WorkOrder o = warranty_with_plan("更换电梯门机");
  EXPECT_TRUE(check_approve_plan(o).ok());
  o.mutable_plan_approval()->set_plan("更换电梯门机");
  EXPECT_EQ(check_approve_plan(o).kind, Verdict::kRepeat);
  WorkOrder done = warranty_with_plan("更换电梯门机");
  done.set_status(WORK_ORDER_STATUS_COMPLETED);
  Verdict late = check_approve_plan(done);
  EXPECT_EQ(late.kind, Verdict::kPrecondition);
  EXPECT_EQ(late.message, "cannot approve the plan of a work order that is completed");
}

}  // namespace
}  // namespace aftercare::dispatch::domain
