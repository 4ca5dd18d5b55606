// A 2026-like Chinese calendar shared by the calendar and deadline tests: National Day
// holidays Thu 1 - Wed 7 October with make-up working days Sun 27 September and Sat 10 October,
// and New Year's Day 2027 (Fri 1 January) with a make-up Saturday 9 January 2027.
#pragma once

#include <vector>

#include "absl/time/civil_time.h"
#include "intake/domain/calendar.h"

namespace aftercare::intake::domain::testing {

inline std::vector<absl::CivilDay> national_day_holidays_2026() {
  std::vector<absl::CivilDay> days;
  for (int d = 1; d <= 7; ++d) days.emplace_back(2026, 10, d);
  return days;
}

inline std::vector<absl::CivilDay> makeup_workdays_2026() {
  return {absl::CivilDay(2026, 9, 27), absl::CivilDay(2026, 10, 10)};
}

inline WorkingDayCalendar china_like_calendar() {
  WorkingDayCalendar calendar;
  calendar.set_year(2026, national_day_holidays_2026(), makeup_workdays_2026());
  calendar.set_year(2027, {absl::CivilDay(2027, 1, 1)}, {absl::CivilDay(2027, 1, 9)});
  return calendar;
}

}  // namespace aftercare::intake::domain::testing
