// Automatic assignment of work orders to technicians (trade, day off, hours, cap, load) and the
// input rules of technicians, pure.
#include "dispatch/domain/technicians.h"

#include <gtest/gtest.h>

namespace aftercare::dispatch::domain {
namespace {

using enum aftercare::v1::TicketCategory;

const absl::CivilDay kMonday(2026, 11, 23);

TechnicianInfo tech(std::string id,
                    std::set<aftercare::v1::TicketCategory> trades = {TICKET_CATEGORY_DECORATION}) {
  TechnicianInfo t;
  t.technician_id = std::move(id);
  t.party_id = "C-crew";
  t.trades = std::move(trades);
  t.active = true;
  t.daily_cap = 3;
  t.work_start = 8 * 60 + 30;
  t.work_end = 17 * 60 + 30;
  return t;
}

Candidate candidate(TechnicianInfo t, int on_day = 0, int open = 0, int week = 0) {
  return Candidate{std::move(t), TechnicianLoad{on_day, open, week, false}};
}

Job job(absl::CivilDay day = kMonday) {
  Job j;
  j.party_id = "C-crew";
  j.category = TICKET_CATEGORY_DECORATION;
  j.day = day;
  return j;
}

TEST(Technicians, TheLeastLoadedTechnicianOfTheTradeIsChosen) {
  std::vector<Candidate> cs = {candidate(tech("t-a"), 2, 2, 5), candidate(tech("t-b"), 1, 1, 9),
                               candidate(tech("t-c"), 2, 0, 7)};
  AutoChoice c = choose_technician(cs, job());
  EXPECT_EQ(c.technician_id, "t-c");  // fewest open orders today, although 2 assigned
  EXPECT_EQ(c.load_before, 2);
  EXPECT_TRUE(c.error.empty());
}

TEST(Technicians, TiesGoToFewestThisWeekThenTheSmallestId) {
  std::vector<Candidate> cs = {candidate(tech("t-b"), 1, 1, 4), candidate(tech("t-a"), 1, 1, 4),
                               candidate(tech("t-c"), 1, 1, 3)};
  EXPECT_EQ(choose_technician(cs, job()).technician_id, "t-c");
  cs.pop_back();
  EXPECT_EQ(choose_technician(cs, job()).technician_id, "t-a");
}

TEST(Technicians, NobodyAtTheCapOnADayOffOutsideTheTradeOrInactiveIsChosen) {
  TechnicianInfo off = tech("t-off");
  off.days_off = {kMonday};
  TechnicianInfo plumber = tech("t-plumb", {TICKET_CATEGORY_HOUSE_QUALITY});
  TechnicianInfo gone = tech("t-gone");
  gone.active = false;
  TechnicianInfo other = tech("t-other");
  other.party_id = "K-big";
  std::vector<Candidate> cs = {candidate(tech("t-full"), 3, 0, 3), candidate(off),
                               candidate(plumber), candidate(gone), candidate(other)};
  AutoChoice c = choose_technician(cs, job());
  EXPECT_EQ(c.technician_id, "");
  EXPECT_EQ(c.error,
            "no technician of C-crew can take a decoration job on 2026-11-23: t-full already has "
            "3 work orders on 2026-11-23 (daily cap 3); t-gone is inactive; t-off has the day off "
            "on 2026-11-23; t-plumb does not cover decoration");
  // The day after (loads of that day): the one back from leave has had the fewest this week.
  cs[0].load = TechnicianLoad{0, 0, 3, false};
  EXPECT_EQ(choose_technician(cs, job(kMonday + 1)).technician_id, "t-off");
}

TEST(Technicians, ACapOfOneAllowsOneOrderADay) {
  TechnicianInfo t = tech("t-1");
  t.daily_cap = 1;
  EXPECT_EQ(choose_technician({candidate(t, 0)}, job()).technician_id, "t-1");
  EXPECT_EQ(choose_technician({candidate(t, 1)}, job()).technician_id, "");
}

TEST(Technicians, NoTechniciansIsSaidPlainly) {
  EXPECT_EQ(choose_technician({}, job()).error,
            "no technician of C-crew can take a decoration job on 2026-11-23: the party has no "
            "technicians");
}

TEST(Technicians, AnAppointmentMustFitTheWorkingHoursAndTheTechniciansOtherAppointments) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  auto at = [&](int h, int m) {
    return absl::FromCivil(absl::CivilMinute(2026, 11, 23, h, m), shanghai);
  };
  Job inside = job_for("C-crew", TICKET_CATEGORY_DECORATION, Window{at(8, 30), at(10, 0)},
                       at(7, 0) - absl::Hours(48), shanghai);
  EXPECT_EQ(inside.day, kMonday);
  ASSERT_TRUE(inside.window.has_value());
  EXPECT_EQ(inside.window->first, 8 * 60 + 30);
  EXPECT_EQ(unfit(candidate(tech("t-1")), inside), Unfit::kFits);

  Job late = job_for("C-crew", TICKET_CATEGORY_DECORATION, Window{at(16, 30), at(18, 0)}, at(7, 0),
                     shanghai);
  EXPECT_EQ(unfit(candidate(tech("t-1")), late), Unfit::kOutsideHours);
  EXPECT_EQ(describe(Unfit::kOutsideHours, candidate(tech("t-1")), late),
            "t-1 works 08:30-17:30, the appointment is outside");

  Candidate busy = candidate(tech("t-1"));
  busy.load.busy = true;
  EXPECT_EQ(unfit(busy, inside), Unfit::kBusy);

  // Without appointment the job is today's in the project's zone: 23:30 UTC is the next day
  // in Shanghai.
  absl::Time utc_late =
      absl::FromCivil(absl::CivilMinute(2026, 11, 22, 23, 30), absl::UTCTimeZone());
  Job today = job_for("C-crew", TICKET_CATEGORY_DECORATION, std::nullopt, utc_late, shanghai);
  EXPECT_EQ(today.day, kMonday);
  EXPECT_FALSE(today.window.has_value());
}

TEST(Technicians, AManualChoiceMayExceedTheCapOnlyForADispatcherWithAReason) {
  Candidate full = candidate(tech("t-1"), 3, 3, 3);
  ManualCheck c = check_manual(full, job(), /*may_exceed_cap=*/true, /*has_reason=*/true);
  EXPECT_TRUE(c.error.empty());
  EXPECT_TRUE(c.over_cap);
  c = check_manual(full, job(), true, false);
  EXPECT_EQ(c.error,
            "t-1 already has 3 work orders on 2026-11-23 (daily cap 3); a reason is required to "
            "exceed the cap");
  c = check_manual(full, job(), false, true);
  EXPECT_EQ(c.error,
            "t-1 already has 3 work orders on 2026-11-23 (daily cap 3); only a dispatcher may "
            "exceed the cap");
  // Other rules are not overridable.
  TechnicianInfo off = tech("t-2");
  off.days_off = {kMonday};
  c = check_manual(candidate(off), job(), true, true);
  EXPECT_EQ(c.error, "t-2 has the day off on 2026-11-23");
  EXPECT_FALSE(c.over_cap);
  TechnicianInfo other = tech("t-3");
  other.party_id = "K-big";
  EXPECT_EQ(check_manual(candidate(other), job(), true, true).error,
            "t-3 belongs to K-big, not C-crew");
  // Under the cap nothing is exceeded.
  c = check_manual(candidate(tech("t-4"), 2), job(), false, false);
  EXPECT_TRUE(c.error.empty());
  EXPECT_FALSE(c.over_cap);
}

TEST(Technicians, TheDefaultsArePolicyValues) {
  DispatchPolicy p = DispatchPolicy::defaults();
  EXPECT_EQ(p.technician_daily_cap, 6);
  EXPECT_EQ(p.technician_work_start, "08:30");
  EXPECT_EQ(p.technician_work_end, "17:30");
  EXPECT_EQ(check_hours(p.technician_work_start, p.technician_work_end), "");
}

TEST(Technicians, ClocksDaysAndWeeks) {
  EXPECT_EQ(parse_clock("08:30"), 510);
  EXPECT_EQ(parse_clock("00:00"), 0);
  EXPECT_EQ(parse_clock("23:59"), 23 * 60 + 59);
  for (const char* bad : {"24:00", "8:30", "08:60", "08-30", "0830", "", "08:30 ", "ab:cd"})
    EXPECT_FALSE(parse_clock(bad).has_value()) << bad;
  EXPECT_EQ(format_clock(510), "08:30");

  EXPECT_EQ(parse_day("2026-11-23"), kMonday);
  EXPECT_EQ(parse_day("2028-02-29"), absl::CivilDay(2028, 2, 29));
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026-1-01", "20261123", "2026/11/23", ""})
    EXPECT_FALSE(parse_day(bad).has_value()) << bad;
  EXPECT_EQ(format_day(kMonday), "2026-11-23");

  EXPECT_EQ(week_start(kMonday), kMonday);
  EXPECT_EQ(week_start(kMonday + 6), kMonday);  // Sunday
  EXPECT_EQ(week_start(kMonday + 7), kMonday + 7);
  EXPECT_EQ(week_start(kMonday - 1), kMonday - 7);
}

TEST(Technicians, InputChecksNameTheField) {
  EXPECT_EQ(check_hours("08:30", "17:30"), "");
  EXPECT_EQ(check_hours("17:30", "08:30"), "work_end must be after work_start");
  EXPECT_EQ(check_hours("08:30", "08:30"), "work_end must be after work_start");
  EXPECT_EQ(check_hours("8:30", "17:30"), "work_start must be a local time HH:MM (00:00-23:59)");
  EXPECT_EQ(check_days_off({"2026-11-23", "2026-11-24"}, 10), "");
  EXPECT_EQ(check_days_off({"2026-11-23", "2026-11-23"}, 10), "days_off lists 2026-11-23 twice");
  EXPECT_EQ(check_days_off({"tomorrow"}, 10),
            "days_off must hold dates YYYY-MM-DD, got 'tomorrow'");
  EXPECT_EQ(check_days_off({"2026-11-23", "2026-11-24"}, 1), "days_off must list at most 1 days");
  EXPECT_EQ(check_daily_cap(1, 100), "");
  EXPECT_EQ(check_daily_cap(0, 100), "daily_cap must be between 1 and 100");
}

}  // namespace
}  // namespace aftercare::dispatch::domain
