// Technicians against real PostgreSQL: crew orders are assigned automatically on creation to
// the least loaded technician of the trade, never over a daily cap (also when two assignments
// race for the last slot), never on a day off; dispatchers override the cap with a reason;
// builders' orders are left alone; the calendar shows a technician's appointments.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "dispatch/domain/technicians.h"
#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using enum aftercare::v1::PartyKind;
using aftercare::v1::TICKET_CATEGORY_DECORATION;
using grpc::StatusCode;

// The TechnicianAssigned events in the outbox name the technicians in the order they were put on.
void expect_assigned_events(const std::vector<Event>& events,
                            const std::vector<std::string>& techs) {
  ASSERT_EQ(events.size(), techs.size());
  for (size_t i = 0; i < techs.size(); ++i)
    EXPECT_EQ(events[i].technician_assigned().technician_id(), techs[i]);
}

class TechnicianTest : public DispatchTest {
 protected:
  TechnicianTest() : DispatchTest("t_dispatch_technicians") {}

  grpc::Status put_technician(const std::string& id, std::optional<int> cap = std::nullopt,
                              std::vector<std::string> days_off = {},
                              const std::string& party = "C-crew",
                              aftercare::v1::Technician* out = nullptr) {
    aftercare::v1::UpsertTechnicianRequest req;
    req.set_technician_id(id);
    req.set_project_id(kProject);
    req.set_party_id(party);
    req.set_name("师傅 " + id);
    req.add_trades(TICKET_CATEGORY_DECORATION);
    if (cap) req.set_daily_cap(*cap);
    for (auto& d : days_off) req.add_days_off(d);
    req.set_work_start("00:00");  // appointments in these tests fall at any hour
    req.set_work_end("23:59");
    aftercare::v1::Technician resp;
    auto s = stub_->UpsertTechnician(as(dispatcher()).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }

  // An out-of-warranty ticket: a crew order, assigned automatically when C-crew has technicians.
  WorkOrder crew_order(const std::string& ticket_id) {
    deliver(ticket_opened(ticket_id, /*in_warranty=*/false, reported_at(),
                          aftercare::v1::URGENCY_NORMAL, "U-" + ticket_id));
    return only_order(ticket_id);
  }

  grpc::Status assign(const kit::Caller& c, const std::string& order, const std::string& tech,
                      const std::string& reason = "", WorkOrder* out = nullptr) {
    aftercare::v1::AssignTechnicianRequest req;
    req.set_work_order_id(order);
    req.set_technician_id(tech);
    req.set_reason(reason);
    WorkOrder resp;
    auto s = stub_->AssignTechnician(as(c).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }

  aftercare::v1::TechnicianScheduleResponse schedule_of(const std::string& tech, absl::Time from,
                                                        absl::Time to,
                                                        const kit::Caller& c = dispatcher()) {
    aftercare::v1::TechnicianScheduleRequest req;
    req.set_technician_id(tech);
    *req.mutable_from() = store::to_timestamp(from);
    *req.mutable_to() = store::to_timestamp(to);
    aftercare::v1::TechnicianScheduleResponse resp;
    auto s = stub_->TechnicianSchedule(as(c).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // Today in the project's zone (no ProjectUpserted: the default Asia/Shanghai).
  static std::string today() {
    absl::TimeZone zone;
    absl::LoadTimeZone("Asia/Shanghai", &zone);
    return domain::format_day(absl::ToCivilDay(absl::Now(), zone));
  }

  kit::Caller crew_ = partner("crew", "C-crew");
};

TEST_F(TechnicianTest, CrewOrdersAreSpreadOverTheTechniciansAndNoneGoesOverItsCap) {
  standard_parties();
  aftercare::v1::Technician t;
  ASSERT_TRUE(put_technician("t-1", 2, {}, "C-crew", &t).ok());
  EXPECT_EQ(t.daily_cap(), 2);
  EXPECT_FALSE(t.daily_cap_is_default());
  ASSERT_TRUE(put_technician("t-2", 2).ok());

  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) got.push_back(crew_order("T-" + std::to_string(i)).technician_id());
  EXPECT_EQ(got, (std::vector<std::string>{"t-1", "t-2", "t-1", "t-2", ""}));

  WorkOrder o = only_order("T-0");
  EXPECT_EQ(o.technician_day(), today());
  ASSERT_EQ(o.technician_assignments_size(), 1);
  EXPECT_TRUE(o.technician_assignments(0).automatic());
  EXPECT_EQ(o.technician_assignments(0).day(), today());
  EXPECT_EQ(o.version(), 2);  // created, then assigned

  // The fifth waits for a dispatcher; asking for the automatic choice says why.
  std::string fifth = only_order("T-4").work_order_id();
  auto s = assign(dispatcher(), fifth, "");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "no technician of C-crew can take a decoration job on " + today() +
                                   ": t-1 already has 2 work orders on " + today() +
                                   " (daily cap 2); t-2 already has 2 work orders on " + today() +
                                   " (daily cap 2)");

  auto cal = schedule_of("t-1", absl::Now() - absl::Hours(1), absl::Now() + absl::Hours(24));
  EXPECT_EQ(cal.assigned_today(), 2);
  EXPECT_EQ(cal.open_today(), 2);
  EXPECT_EQ(cal.today(), today());
  EXPECT_EQ(cal.technician().daily_cap(), 2);

  // A cancelled order frees its slot.
  aftercare::v1::CancelWorkOrderRequest cancel;
  cancel.set_work_order_id(only_order("T-0").work_order_id());
  cancel.set_reason("owner fixed it");
  WorkOrder cancelled;
  ASSERT_TRUE(stub_->CancelWorkOrder(as(dispatcher()).get(), cancel, &cancelled).ok());
  WorkOrder assigned;
  ASSERT_TRUE(assign(dispatcher(), fifth, "", "", &assigned).ok());
  EXPECT_EQ(assigned.technician_id(), "t-1");
  expect_assigned_events(outbox_events("dispatch.TechnicianAssigned"),
                         {"t-1", "t-2", "t-1", "t-2", "t-1"});
}

TEST_F(TechnicianTest, NobodyIsGivenWorkOnTheirDayOff) {
  standard_parties();
  ASSERT_TRUE(put_technician("t-1", std::nullopt, {today()}).ok());
  ASSERT_TRUE(put_technician("t-2").ok());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(crew_order("T-" + std::to_string(i)).technician_id(), "t-2");

  // Not even by hand; the cap could be exceeded with a reason, a day off cannot.
  auto s = assign(dispatcher(), only_order("T-0").work_order_id(), "t-1", "urgent");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "t-1 has the day off on " + today());

  // The project default cap (6) applies to t-2, which has none of its own.
  aftercare::v1::ListTechniciansRequest list;
  list.set_project_id(kProject);
  aftercare::v1::ListTechniciansResponse techs;
  ASSERT_TRUE(stub_->ListTechnicians(as(crew_).get(), list, &techs).ok());
  ASSERT_EQ(techs.technicians_size(), 2);
  EXPECT_EQ(techs.technicians(1).daily_cap(), 6);
  EXPECT_TRUE(techs.technicians(1).daily_cap_is_default());
  EXPECT_EQ(techs.technicians(0).days_off(0), today());
}

TEST_F(TechnicianTest, ADispatcherMayExceedTheCapWithAReasonRecordedOnTheOrder) {
  standard_parties();
  ASSERT_TRUE(put_technician("t-1", 1).ok());
  EXPECT_EQ(crew_order("T-0").technician_id(), "t-1");
  WorkOrder second = crew_order("T-1");
  EXPECT_EQ(second.technician_id(), "");  // at the cap

  auto s = assign(dispatcher(), second.work_order_id(), "t-1");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "t-1 already has 1 work orders on " + today() +
                                   " (daily cap 1); a reason is required to exceed the cap");
  // The crew itself may name its technicians, but not over the cap.
  s = assign(crew_, second.work_order_id(), "t-1", "please");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("only a dispatcher may exceed the cap"), std::string::npos);

  WorkOrder got;
  ASSERT_TRUE(
      assign(dispatcher(), second.work_order_id(), "t-1", "漏水紧急 only t-1 has the key", &got)
          .ok());
  EXPECT_EQ(got.technician_id(), "t-1");
  ASSERT_EQ(got.technician_assignments_size(), 1);
  const auto& a = got.technician_assignments(0);
  EXPECT_TRUE(a.over_cap());
  EXPECT_FALSE(a.automatic());
  EXPECT_EQ(a.reason(), "漏水紧急 only t-1 has the key");
  EXPECT_EQ(a.assigned_by(), "disp-1");
  EXPECT_EQ(a.load_before(), 1);
  // Repeating the request changes nothing.
  ASSERT_TRUE(assign(dispatcher(), second.work_order_id(), "t-1", "again", &got).ok());
  EXPECT_EQ(got.technician_assignments_size(), 1);
  EXPECT_EQ(schedule_of("t-1", absl::Now(), absl::Now() + absl::Hours(1)).assigned_today(), 2);
}

TEST_F(TechnicianTest, TwoConcurrentAutomaticAssignmentsNeverExceedACapOfOne) {
  standard_parties();
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    // Two orders without technician (created before this round's technician exists; the
    // earlier rounds' technicians are all at their cap of 1).
    std::string a = crew_order("A" + std::to_string(round)).work_order_id();
    std::string b = crew_order("B" + std::to_string(round)).work_order_id();
    std::string tech = "t-r" + std::to_string(round);
    ASSERT_TRUE(put_technician(tech, 1).ok());
    std::latch go(2);
    grpc::Status sa, sb;
    WorkOrder oa, ob;
    std::thread ta([&] {
      go.arrive_and_wait();
      sa = assign(dispatcher(), a, "", "", &oa);
    });
    std::thread tb([&] {
      go.arrive_and_wait();
      sb = assign(dispatcher(), b, "", "", &ob);
    });
    ta.join();
    tb.join();
    ASSERT_NE(sa.ok(), sb.ok()) << "round " << round << ": " << sa.error_message() << " / "
                                << sb.error_message();
    const grpc::Status& refused = sa.ok() ? sb : sa;
    EXPECT_EQ(refused.error_code(), StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(refused.error_message().find(tech + " already has 1 work orders"), std::string::npos)
        << refused.error_message();
    EXPECT_EQ((sa.ok() ? oa : ob).technician_id(), tech);
    EXPECT_EQ(count("SELECT count(*) FROM work_orders WHERE technician_id = '" + tech + "'"), 1);
  }
}

TEST_F(TechnicianTest, BuilderOrdersAreNotAssignedAndEmergenciesGoToTheOnDutyCrewsTechnician) {
  standard_parties();
  ASSERT_TRUE(put_technician("t-1").ok());
  deliver(ticket_opened("T-b", /*in_warranty=*/true));
  WorkOrder builder = only_order("T-b");
  EXPECT_EQ(builder.assignee_kind(), PARTY_KIND_BUILDER);
  EXPECT_EQ(builder.technician_id(), "");
  auto s = assign(dispatcher(), builder.work_order_id(), "");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);

  deliver(
      ticket_opened("T-e", /*in_warranty=*/true, reported_at(), aftercare::v1::URGENCY_EMERGENCY));
  WorkOrder emergency = only_order("T-e");
  EXPECT_EQ(emergency.party_id(), "C-crew");
  EXPECT_EQ(emergency.technician_id(), "t-1");

  // A builder order reassigned to the crew gets a technician as if created for it.
  aftercare::v1::ReassignWorkOrderRequest re;
  re.set_work_order_id(builder.work_order_id());
  re.set_assignee_kind(PARTY_KIND_CREW);
  re.set_party_id("C-crew");
  re.set_reason("builder unreachable");
  WorkOrder moved;
  ASSERT_TRUE(stub_->ReassignWorkOrder(as(dispatcher()).get(), re, &moved).ok());
  EXPECT_EQ(moved.technician_id(), "t-1");
}

TEST_F(TechnicianTest, TheCalendarShowsAppointmentsAndAssignmentMovesThemToTheNewTechnician) {
  standard_parties();
  ASSERT_TRUE(put_technician("t-1").ok());
  ASSERT_TRUE(put_technician("t-2").ok());
  WorkOrder a = crew_order("T-a");  // t-1
  WorkOrder b = crew_order("T-b");  // t-2
  ASSERT_EQ(a.technician_id(), "t-1");
  ASSERT_EQ(b.technician_id(), "t-2");
  ASSERT_TRUE(accept(crew_, a.work_order_id()).ok());
  ASSERT_TRUE(accept(crew_, b.work_order_id()).ok());
  // 10:00 local, three days ahead: inside the working day whatever the hour of the test.
  absl::TimeZone zone;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  absl::CivilDay day = absl::ToCivilDay(absl::Now(), zone) + 3;
  absl::Time t = absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), 10), zone);
  ASSERT_TRUE(schedule(crew_, a.work_order_id(), t, t + absl::Hours(2)).ok());
  ASSERT_TRUE(schedule(crew_, b.work_order_id(), t + absl::Hours(1), t + absl::Hours(3)).ok());

  auto cal = schedule_of("t-1", t - absl::Hours(1), t + absl::Hours(24));
  ASSERT_EQ(cal.appointments_size(), 1);
  EXPECT_EQ(cal.appointments(0).work_order_id(), a.work_order_id());
  EXPECT_EQ(store::from_timestamp(cal.appointments(0).start()), t);
  EXPECT_EQ(cal.appointments(0).status(), aftercare::v1::WORK_ORDER_STATUS_SCHEDULED);
  EXPECT_EQ(cal.assigned_today(), 0);  // the order now counts on the appointment's day

  // t-2 is busy at a's time: the automatic choice keeps t-1; naming t-2 is refused.
  WorkOrder got;
  ASSERT_TRUE(assign(dispatcher(), a.work_order_id(), "", "", &got).ok());
  EXPECT_EQ(got.technician_id(), "t-1");
  auto s = assign(dispatcher(), a.work_order_id(), "t-2", "swap");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "t-2 has another appointment at that time");

  // Moved to a fresh technician, the appointment goes along and frees t-1.
  ASSERT_TRUE(put_technician("t-3").ok());
  ASSERT_TRUE(assign(dispatcher(), a.work_order_id(), "t-3", "", &got).ok());
  EXPECT_EQ(got.technician_id(), "t-3");
  EXPECT_EQ(count("SELECT count(*) FROM appointments WHERE resource = 'technician:t-3'"), 1);
  EXPECT_EQ(schedule_of("t-1", t - absl::Hours(1), t + absl::Hours(24)).appointments_size(), 0);
  EXPECT_EQ(schedule_of("t-3", t - absl::Hours(1), t + absl::Hours(24)).appointments_size(), 1);
  EXPECT_EQ(got.technician_assignments_size(), 2);
  EXPECT_EQ(got.technician_assignments(1).previous_technician_id(), "t-1");
}

TEST_F(TechnicianTest, WhoMayDoWhat) {
  standard_parties();
  // Technicians belong to crews and contractors.
  auto s = put_technician("t-b", std::nullopt, {}, "B-deco");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(put_technician("t-k", std::nullopt, {}, "K-big").ok());
  ASSERT_TRUE(put_technician("t-1").ok());

  aftercare::v1::UpsertTechnicianRequest req;
  req.set_technician_id("t-x");
  req.set_project_id(kProject);
  req.set_party_id("C-crew");
  req.set_name("x");
  req.add_trades(TICKET_CATEGORY_DECORATION);
  aftercare::v1::Technician t;
  EXPECT_EQ(stub_->UpsertTechnician(as(crew_).get(), req, &t).error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->UpsertTechnician(as(dispatcher("P2")).get(), req, &t).error_code(),
            StatusCode::NOT_FOUND);
  req.set_work_start("18:00");
  s = stub_->UpsertTechnician(as(dispatcher()).get(), req, &t);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "work_end: must be after work_start");
  req.clear_work_start();
  req.add_days_off("2026-02-30");
  s = stub_->UpsertTechnician(as(dispatcher()).get(), req, &t);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "days_off: must hold dates YYYY-MM-DD, got '2026-02-30'");
  // A party of another project: unknown there; the id of a technician of another project is
  // taken.
  req.clear_days_off();
  req.set_technician_id("t-1");
  req.set_project_id("P2");
  EXPECT_EQ(stub_->UpsertTechnician(as(admin()).get(), req, &t).error_code(),
            StatusCode::FAILED_PRECONDITION);
  aftercare::v1::UpsertPartyRequest p2;
  p2.set_project_id("P2");
  p2.set_party_id("C-crew");
  p2.set_kind(PARTY_KIND_CREW);
  p2.set_name("crew of P2");
  p2.add_trades(TICKET_CATEGORY_DECORATION);
  aftercare::v1::Party party;
  ASSERT_TRUE(stub_->UpsertParty(as(admin()).get(), p2, &party).ok());
  s = stub_->UpsertTechnician(as(admin()).get(), req, &t);
  EXPECT_EQ(s.error_code(), StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(count("SELECT count(*) FROM technicians"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM technicians WHERE project_id = 'P2'"), 0);

  // Each party sees its own technicians; staff see all; another party's calendar is not found.
  aftercare::v1::ListTechniciansRequest list;
  list.set_project_id(kProject);
  aftercare::v1::ListTechniciansResponse resp;
  ASSERT_TRUE(stub_->ListTechnicians(as(partner("contractor", "K-big")).get(), list, &resp).ok());
  ASSERT_EQ(resp.technicians_size(), 1);
  EXPECT_EQ(resp.technicians(0).technician_id(), "t-k");
  resp.Clear();
  ASSERT_TRUE(stub_->ListTechnicians(as(verifier()).get(), list, &resp).ok());
  EXPECT_EQ(resp.technicians_size(), 2);
  resp.Clear();
  EXPECT_EQ(stub_->ListTechnicians(as(owner("U-1")).get(), list, &resp).error_code(),
            StatusCode::PERMISSION_DENIED);

  aftercare::v1::TechnicianScheduleRequest sched;
  sched.set_technician_id("t-1");
  *sched.mutable_from() = store::to_timestamp(absl::Now());
  *sched.mutable_to() = store::to_timestamp(absl::Now() + absl::Hours(24));
  aftercare::v1::TechnicianScheduleResponse cal;
  EXPECT_EQ(
      stub_->TechnicianSchedule(as(partner("contractor", "K-big")).get(), sched, &cal).error_code(),
      StatusCode::NOT_FOUND);
  EXPECT_TRUE(stub_->TechnicianSchedule(as(crew_).get(), sched, &cal).ok());
  *sched.mutable_to() = store::to_timestamp(absl::Now() + absl::Hours(24 * 63));
  EXPECT_EQ(stub_->TechnicianSchedule(as(crew_).get(), sched, &cal).error_code(),
            StatusCode::INVALID_ARGUMENT);

  // Another crew cannot assign on C-crew's order (it does not see it).
  WorkOrder o = crew_order("T-1");
  EXPECT_EQ(assign(partner("contractor", "K-big"), o.work_order_id(), "t-k").error_code(),
            StatusCode::NOT_FOUND);
  // A technician of another party cannot be named.
  s = assign(dispatcher(), o.work_order_id(), "t-k", "try");
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "t-k belongs to K-big, not C-crew");
}

}  // namespace
}  // namespace aftercare::dispatch::testing
