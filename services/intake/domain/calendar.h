// The project's working-day calendar. Deadlines of DOMAIN §1 are in working days: Monday to
// Friday, minus public holidays, plus make-up working days (调休, weekend days worked to
// bridge a holiday). The lists are data published per year, so a project loads one year at a
// time and several years may be present.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"

namespace aftercare::intake::domain {

class WorkingDayCalendar {
 public:
  // With no year loaded every day follows the plain Monday-Friday rule, so deadlines can still
  // be computed for a year whose official calendar is not yet published.
  WorkingDayCalendar() = default;

  // Replaces the lists of `year` (as PutCalendar replaces a whole year). The lists must have
  // passed check_year_lists; dates outside `year` would otherwise hide another year's entries.
  void set_year(int year, const std::vector<absl::CivilDay>& holidays,
                const std::vector<absl::CivilDay>& workdays);
  bool has_year(int year) const { return years_.contains(year); }

  bool is_working_day(absl::CivilDay day) const;

  // The n-th working day after day0, the day of the report. day0 itself never counts, whether
  // or not it is a working day: a report on Saturday with n = 1 is due Monday, like a report
  // on Friday. n = 0 returns day0 (negative n is treated as 0).
  absl::CivilDay nth_working_day_after(absl::CivilDay day0, int n) const;

 private:
  struct Year {
    std::set<absl::CivilDay> holidays;
    std::set<absl::CivilDay> workdays;
  };
  std::map<int, Year> years_;
};

// Checks one year's lists before they are stored: every date is in `year`, no date is both a
// holiday and a make-up workday, no date is listed twice, and a make-up workday falls on a
// Saturday or Sunday (a weekday is a working day already). A holiday may fall on any day: the
// official notices list whole holiday periods, weekends included. Returns "" or an error that
// names the field, e.g. "workdays[1] 2026-10-09 is a Friday, not a weekend day".
std::string check_year_lists(int year, const std::vector<absl::CivilDay>& holidays,
                             const std::vector<absl::CivilDay>& workdays);

}  // namespace aftercare::intake::domain
