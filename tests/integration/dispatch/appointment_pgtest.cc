// Appointments against real PostgreSQL: a technician (or a party without named technicians)
// never holds two overlapping appointments, even when both are requested at the same moment;
// rescheduling is recorded; reminders go out the day before.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using grpc::StatusCode;

class AppointmentTest : public DispatchTest {
 protected:
  AppointmentTest() : DispatchTest("t_dispatch_appointments") {}

  // An accepted crew order (out-of-warranty ticket) of unit `unit`.
  std::string accepted_crew_order(const std::string& ticket_id) {
    deliver(ticket_opened(ticket_id, /*in_warranty=*/false, reported_at(),
                          aftercare::v1::URGENCY_NORMAL, "U-" + ticket_id));
    std::string id = only_order(ticket_id).work_order_id();
    EXPECT_TRUE(accept(crew_, id).ok());
    return id;
  }

  absl::Time day_after_tomorrow() {
    return store::truncate_to_micros(absl::Now() + absl::Hours(48));
  }

  kit::Caller crew_ = partner("crew", "C-crew");
};

TEST_F(AppointmentTest, TwoOverlappingRequestsIssuedConcurrentlyCannotBothSucceed) {
  standard_parties();
  constexpr int kRounds = 8;
  absl::Time base = day_after_tomorrow();
  for (int round = 0; round < kRounds; ++round) {
    std::string a = accepted_crew_order("A" + std::to_string(round));
    std::string b = accepted_crew_order("B" + std::to_string(round));
    absl::Time t = base + absl::Hours(3 * round);
    std::latch go(2);
    grpc::Status sa, sb;
    std::thread ta([&] {
      go.arrive_and_wait();
      sa = schedule(crew_, a, t, t + absl::Hours(2), "tech-7");
    });
    std::thread tb([&] {
      go.arrive_and_wait();
      sb = schedule(crew_, b, t + absl::Hours(1), t + absl::Hours(3), "tech-7");
    });
    ta.join();
    tb.join();
    EXPECT_NE(sa.ok(), sb.ok()) << "round " << round << ": " << sa.error_message() << " / "
                                << sb.error_message();
    const grpc::Status& refused = sa.ok() ? sb : sa;
    EXPECT_EQ(refused.error_code(), StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(refused.error_message().find("overlaps"), std::string::npos)
        << refused.error_message();
  }
  EXPECT_EQ(count("SELECT count(*) FROM appointments"), kRounds);
  EXPECT_EQ(count("SELECT count(*) FROM work_orders WHERE status = 'scheduled'"), kRounds);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderScheduled"), kRounds);
}

TEST_F(AppointmentTest, TouchingWindowsAndOtherTechniciansFitAndReschedulesAreRecorded) {
  standard_parties();
  std::string a = accepted_crew_order("A");
  std::string b = accepted_crew_order("B");
  std::string c = accepted_crew_order("C");
  absl::Time t = day_after_tomorrow();
  ASSERT_TRUE(schedule(crew_, a, t, t + absl::Hours(2), "tech-7").ok());
  ASSERT_TRUE(
      schedule(crew_, b, t + absl::Hours(2), t + absl::Hours(4), "tech-7").ok());  // touching
  ASSERT_TRUE(schedule(crew_, c, t, t + absl::Hours(2), "tech-8").ok());           // someone else

  // Moving B onto A's window is refused and changes nothing.
  auto s = schedule(crew_, b, t + absl::Hours(1), t + absl::Hours(3), "", "owner asked");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  aftercare::v1::GetWorkOrderRequest get;
  get.set_work_order_id(b);
  WorkOrder got;
  ASSERT_TRUE(stub_->GetWorkOrder(as(crew_).get(), get, &got).ok());
  EXPECT_EQ(store::from_timestamp(got.appointment().start()), t + absl::Hours(2));
  EXPECT_EQ(got.reschedule_count(), 0);

  // A reschedule needs a reason; then A's old slot is free for B.
  s = schedule(crew_, a, t + absl::Hours(5), t + absl::Hours(6));
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "reason: is required when rescheduling");
  ASSERT_TRUE(schedule(crew_, a, t + absl::Hours(5), t + absl::Hours(6), "",
                       "业主改约 owner moved it", &got)
                  .ok());
  EXPECT_EQ(got.reschedule_count(), 1);
  ASSERT_EQ(got.appointment_history_size(), 2);
  EXPECT_EQ(got.appointment_history(1).reason(), "业主改约 owner moved it");
  EXPECT_EQ(got.technician_id(), "tech-7");  // kept
  ASSERT_TRUE(schedule(crew_, b, t + absl::Hours(1), t + absl::Hours(3), "", "earlier").ok());

  auto scheduled = outbox_events("dispatch.WorkOrderScheduled");
  ASSERT_EQ(scheduled.size(), 5u);
  EXPECT_TRUE(scheduled[3].work_order_scheduled().rescheduled());
  EXPECT_EQ(
      store::from_timestamp(scheduled[3].work_order_scheduled().previous_appointment().start()), t);
}

TEST_F(AppointmentTest, WithoutATechnicianThePartyCannotBeInTwoPlaces) {
  standard_parties();
  std::string a = accepted_crew_order("A");
  std::string b = accepted_crew_order("B");
  absl::Time t = day_after_tomorrow();
  ASSERT_TRUE(schedule(dispatcher(), a, t, t + absl::Hours(2)).ok());
  auto s = schedule(dispatcher(), b, t + absl::Hours(1), t + absl::Hours(2));
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("party:C-crew"), std::string::npos);
}

TEST_F(AppointmentTest, CompletionFreesTheTechnician) {
  standard_parties();
  deliver(ticket_opened("T-1"));  // in warranty: builder
  std::string id = only_order("T-1").work_order_id();
  auto b = partner("builder", "B-deco");
  ASSERT_TRUE(accept(b, id).ok());
  absl::Time t = store::truncate_to_micros(absl::Now() + absl::Minutes(30));
  ASSERT_TRUE(schedule(b, id, t, t + absl::Hours(2), "bt-1").ok());
  ASSERT_TRUE(start(b, id).ok());
  ASSERT_TRUE(complete(b, id, 0).ok());
  EXPECT_EQ(count("SELECT count(*) FROM appointments"), 0);
}

TEST_F(AppointmentTest, TheOwnerIsRemindedTheDayBefore) {
  standard_parties();
  std::string a = accepted_crew_order("A");
  std::string b = accepted_crew_order("B");
  absl::Time soon =
      store::truncate_to_micros(absl::Now() + absl::Hours(20));  // inside the 24 h lead
  ASSERT_TRUE(schedule(crew_, a, soon, soon + absl::Hours(1), "tech-1").ok());
  ASSERT_TRUE(schedule(crew_, b, soon + absl::Hours(48), soon + absl::Hours(49), "tech-1").ok());
  std::jthread worker(
      [&](std::stop_token stop) { service_->run_sweeper(stop, std::chrono::seconds(1)); });
  EXPECT_TRUE(aftercare::testing::eventually(
      [&] { return outbox_count("dispatch.AppointmentReminderDue") == 1; }));
  worker.request_stop();
  worker.join();
  auto reminders = outbox_events("dispatch.AppointmentReminderDue");
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].appointment_reminder_due().work_order_id(), a);
  EXPECT_EQ(reminders[0].appointment_reminder_due().owner_id(), "owner-U-A");
}

}  // namespace
}  // namespace aftercare::dispatch::testing
