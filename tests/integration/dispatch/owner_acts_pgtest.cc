// Owners without the app (issue 23) against real PostgreSQL: staff recording the owner's quote
// decision, the owner's consent to appointment windows (a changed confirmed window waits for it,
// a refusal sends the order back unassigned), and one rating per order, with their events.
#include <gtest/gtest.h>

#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using enum aftercare::v1::WorkOrderStatus;
using grpc::StatusCode;

class OwnerActsTest : public DispatchTest {
 protected:
  OwnerActsTest() : DispatchTest("t_dispatch_owner_acts") {}

  static kit::Caller agent() { return {"agent-1", kit::Role::agent, {kProject}, {}, ""}; }
  kit::Caller crew_ = partner("crew", "C-crew");

  // An accepted crew order (out of warranty: a paid repair) of unit U-101.
  std::string crew_order(const std::string& ticket_id) {
    deliver(ticket_opened(ticket_id, /*in_warranty=*/false));
    std::string id = only_order(ticket_id).work_order_id();
    EXPECT_TRUE(accept(crew_, id).ok());
    return id;
  }
  static absl::Time later(int hours) {
    return store::truncate_to_micros(absl::Now() + absl::Hours(48 + hours));
  }
  static aftercare::v1::OnBehalf phone() {
    aftercare::v1::OnBehalf ob;
    ob.set_method(aftercare::v1::ON_BEHALF_METHOD_PHONE);
    ob.set_note("业主电话同意");
    return ob;
  }
  grpc::Status confirm(const kit::Caller& c, const std::string& id, WorkOrder* out) {
    aftercare::v1::ConfirmAppointmentRequest req;
    req.set_work_order_id(id);
    return stub_->ConfirmAppointment(as(c).get(), req, out);
  }
};

TEST_F(OwnerActsTest, StaffRecordTheOwnersQuoteDecisionWithHowTheyGotIt) {
  standard_parties();
  std::string id = crew_order("T-q");
  aftercare::v1::IssueQuoteRequest quote;
  quote.set_work_order_id(id);
  quote.set_amount_fen(35'000);
  quote.set_items("更换角阀");
  WorkOrder got;
  ASSERT_TRUE(stub_->IssueQuote(as(crew_).get(), quote, &got).ok());
  aftercare::v1::ConfirmQuoteRequest decide;
  decide.set_work_order_id(id);
  decide.set_quote_id(got.quote().quote_id());
  decide.set_accept(true);
  // A dispatcher needs on_behalf; the crew that quoted needs the signed slip, not its word.
  auto s = stub_->ConfirmQuote(as(dispatcher()).get(), decide, &got);
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED) << s.error_message();
  *decide.mutable_on_behalf() = phone();
  s = stub_->ConfirmQuote(as(crew_).get(), decide, &got);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(outbox_count("dispatch.QuoteConfirmed"), 0);
  s = stub_->ConfirmQuote(as(dispatcher()).get(), decide, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.quote().status(), aftercare::v1::QUOTE_STATUS_CONFIRMED);
  EXPECT_EQ(got.quote().decided_by(), "disp-1");
  EXPECT_EQ(got.quote().on_behalf().method(), aftercare::v1::ON_BEHALF_METHOD_PHONE);
  auto events = outbox_events("dispatch.QuoteConfirmed");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].quote_confirmed().decided_by(), "disp-1");
  EXPECT_EQ(events[0].quote_confirmed().on_behalf().note(), "业主电话同意");
}

TEST_F(OwnerActsTest, AConfirmedWindowChangesOnlyWithTheOwnersConsentAndARefusalSendsItBack) {
  standard_parties();
  std::string id = crew_order("T-a");
  // A first booking is not confirmed; the agent confirms it for the owner (phone by default).
  WorkOrder got;
  ASSERT_TRUE(schedule(crew_, id, later(0), later(2), "tech-1").ok());
  auto s = confirm(agent(), id, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(got.appointment().has_confirmed_at());
  ASSERT_EQ(got.appointment_consents_size(), 1);
  EXPECT_TRUE(got.appointment_consents(0).agreed());
  EXPECT_EQ(got.appointment_consents(0).owner_id(), "owner-U-101");
  EXPECT_EQ(got.appointment_consents(0).recorded_by(), "agent-1");
  EXPECT_EQ(got.appointment_consents(0).on_behalf().method(),
            aftercare::v1::ON_BEHALF_METHOD_PHONE);
  // Another owner, or the crew without on_behalf, cannot agree for her.
  EXPECT_EQ(confirm(owner("U-202"), id, &got).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(confirm(crew_, id, &got).error_code(), StatusCode::PERMISSION_DENIED);

  // The crew moves it without her consent: the new window waits and work cannot start.
  ASSERT_TRUE(schedule(crew_, id, later(5), later(7), "tech-1", "人手不够", &got).ok());
  EXPECT_TRUE(got.appointment_change_pending());
  EXPECT_FALSE(got.appointment().has_confirmed_at());
  auto scheduled = outbox_events("dispatch.WorkOrderScheduled");
  ASSERT_EQ(scheduled.size(), 2u);
  EXPECT_TRUE(scheduled[1].work_order_scheduled().awaiting_owner_consent());
  EXPECT_EQ(start(crew_, id).error_code(), StatusCode::FAILED_PRECONDITION);

  // She refuses: no appointment, no technician, no party; a dispatcher passes it on.
  aftercare::v1::RefuseAppointmentRequest refuse;
  refuse.set_work_order_id(id);
  refuse.set_reason("下午不在家");
  s = stub_->RefuseAppointment(as(owner("U-101")).get(), refuse, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.status(), WORK_ORDER_STATUS_CREATED);
  EXPECT_EQ(got.party_id(), "");
  EXPECT_EQ(got.technician_id(), "");
  EXPECT_FALSE(got.has_appointment());
  EXPECT_EQ(count("SELECT count(*) FROM appointments"), 0);
  auto consents = outbox_events("dispatch.AppointmentConsentRecorded");
  ASSERT_EQ(consents.size(), 2u);
  EXPECT_FALSE(consents[1].appointment_consent_recorded().agreed());
  EXPECT_TRUE(consents[1].appointment_consent_recorded().sent_back());
  EXPECT_EQ(consents[1].appointment_consent_recorded().party_id(), "C-crew");
  auto reassigned = outbox_events("dispatch.WorkOrderReassigned");
  ASSERT_EQ(reassigned.size(), 1u);
  EXPECT_EQ(reassigned[0].work_order_reassigned().to_party_id(), "");
  // Refusing again has nothing to refuse.
  EXPECT_EQ(stub_->RefuseAppointment(as(agent()).get(), refuse, &got).error_code(),
            StatusCode::FAILED_PRECONDITION);

  aftercare::v1::ReassignWorkOrderRequest pass;
  pass.set_work_order_id(id);
  pass.set_assignee_kind(aftercare::v1::PARTY_KIND_CREW);
  pass.set_party_id("C-crew");
  pass.set_reason("业主不同意改约, 换人");
  s = stub_->ReassignWorkOrder(as(dispatcher()).get(), pass, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(accept(crew_, id).ok());
  // A booking agreed with her on the phone is confirmed at once.
  aftercare::v1::ScheduleWorkOrderRequest agreed;
  agreed.set_work_order_id(id);
  *agreed.mutable_start() = store::to_timestamp(later(0));
  *agreed.mutable_end() = store::to_timestamp(later(3));
  agreed.set_technician_id("tech-2");
  *agreed.mutable_owner_consent() = phone();
  s = stub_->ScheduleWorkOrder(as(crew_).get(), agreed, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(got.appointment().has_confirmed_at());
  EXPECT_FALSE(got.appointment_change_pending());
  EXPECT_EQ(got.appointment_consents_size(), 3);
  EXPECT_EQ(got.appointment_consents(2).recorded_by(), "C-crew-user");
}

TEST_F(OwnerActsTest, TheOwnerRatesAFinishedJobOnceAndTheReportCountsIt) {
  standard_parties();
  std::string id = crew_order("T-r");
  WorkOrder got;
  aftercare::v1::RateWorkOrderRequest rate;
  rate.set_work_order_id(id);
  rate.set_score(4);
  rate.set_comment("师傅很好, 电话 13800138000");
  EXPECT_EQ(stub_->RateWorkOrder(as(owner("U-101")).get(), rate, &got).error_code(),
            StatusCode::FAILED_PRECONDITION);  // nothing done yet
  ASSERT_TRUE(schedule(crew_, id, later(0), later(2), "tech-9").ok());
  // A paid repair needs a confirmed quote before it starts: skip that by a free verification.
  aftercare::v1::RecordVerificationRequest v;
  v.set_work_order_id(id);
  v.set_defect_confirmed(true);
  v.set_liability(aftercare::v1::LIABILITY_PROPERTY);
  ASSERT_TRUE(stub_->RecordVerification(as(verifier()).get(), v, &got).ok());
  auto s = start(crew_, id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(complete(crew_, id, 0).ok());
  EXPECT_EQ(stub_->RateWorkOrder(as(dispatcher()).get(), rate, &got).error_code(),
            StatusCode::PERMISSION_DENIED);
  s = stub_->RateWorkOrder(as(owner("U-101")).get(), rate, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.rating().score(), 4);
  EXPECT_EQ(got.rating().technician_id(), "tech-9");
  EXPECT_FALSE(got.rating().has_on_behalf());  // in person
  rate.set_score(5);
  EXPECT_EQ(stub_->RateWorkOrder(as(agent()).get(), rate, &got).error_code(),
            StatusCode::ALREADY_EXISTS);
  auto rated = outbox_events("dispatch.WorkOrderRated");
  ASSERT_EQ(rated.size(), 1u);
  EXPECT_EQ(rated[0].work_order_rated().score(), 4);
  EXPECT_EQ(rated[0].work_order_rated().comment().find("13800138000"), std::string::npos);

  aftercare::v1::RepairReportRequest report;
  report.set_project_id(kProject);
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  report.mutable_period()->set_granularity(aftercare::v1::REPORT_GRANULARITY_QUARTER);
  report.mutable_period()->set_year(static_cast<int>(today.year()));
  report.mutable_period()->set_index((today.month() - 1) / 3 + 1);
  aftercare::v1::RepairReportResponse r;
  s = stub_->RepairReport(as(dispatcher()).get(), report, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.ratings().rated(), 1);
  ASSERT_EQ(r.by_technician_size(), 1);
  EXPECT_EQ(r.by_technician(0).technician_id(), "tech-9");
  EXPECT_EQ(r.by_technician(0).ratings().average_hundredths(), 400);
}

}  // namespace
}  // namespace aftercare::dispatch::testing
