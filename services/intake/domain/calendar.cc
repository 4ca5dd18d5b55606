#include "intake/domain/calendar.h"

#include "intake/domain/dates.h"

namespace aftercare::intake::domain {
namespace {

bool is_weekend(absl::CivilDay day) {
  absl::Weekday weekday = absl::GetWeekday(day);
  return weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
}

const char* weekday_name(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return "Monday";
    case absl::Weekday::tuesday:
      return "Tuesday";
    case absl::Weekday::wednesday:
      return "Wednesday";
    case absl::Weekday::thursday:
      return "Thursday";
    case absl::Weekday::friday:
      return "Friday";
    case absl::Weekday::saturday:
      return "Saturday";
    case absl::Weekday::sunday:
      return "Sunday";
  }
  return "?";
}

// Calendar years accepted for a project; beyond them a year is surely a typo.
constexpr int kFirstYear = 1900;
constexpr int kLastYear = 9999;
// More entries than days in a year cannot be a real calendar.
constexpr size_t kMaxEntries = 366;

std::string check_list(const char* field, int year, const std::vector<absl::CivilDay>& days) {
  if (days.size() > kMaxEntries) {
    return std::string(field) + " has more than " + std::to_string(kMaxEntries) + " dates";
  }
  std::set<absl::CivilDay> seen;
  for (size_t i = 0; i < days.size(); ++i) {
    std::string item = std::string(field) + "[" + std::to_string(i) + "] " + format_day(days[i]);
    if (days[i].year() != year) return item + " is not in " + std::to_string(year);
    if (!seen.insert(days[i]).second) return item + " is listed twice";
  }
  return "";
}

}  // namespace

void WorkingDayCalendar::set_year(int year, const std::vector<absl::CivilDay>& holidays,
                                  const std::vector<absl::CivilDay>& workdays) {
  Year& lists = years_[year];
  lists.holidays = std::set<absl::CivilDay>(holidays.begin(), holidays.end());
  lists.workdays = std::set<absl::CivilDay>(workdays.begin(), workdays.end());
}

bool WorkingDayCalendar::is_working_day(absl::CivilDay day) const {
  auto year = years_.find(static_cast<int>(day.year()));
  if (year != years_.end()) {
    if (year->second.holidays.contains(day)) return false;
    if (year->second.workdays.contains(day)) return true;
  }
  return !is_weekend(day);
}

absl::CivilDay WorkingDayCalendar::nth_working_day_after(absl::CivilDay day0, int n) const {
  // Terminates: holidays are finite lists, so plain weekdays always come again.
  absl::CivilDay day = day0;
  for (int counted = 0; counted < n;) {
    ++day;
    if (is_working_day(day)) ++counted;
  }
  return day;
}

std::string check_year_lists(int year, const std::vector<absl::CivilDay>& holidays,
                             const std::vector<absl::CivilDay>& workdays) {
  if (year < kFirstYear || year > kLastYear) {
    return "year must be between " + std::to_string(kFirstYear) + " and " +
           std::to_string(kLastYear);
  }
  std::string error = check_list("holidays", year, holidays);
  if (!error.empty()) return error;
  error = check_list("workdays", year, workdays);
  if (!error.empty()) return error;
  std::set<absl::CivilDay> holiday_set(holidays.begin(), holidays.end());
  for (size_t i = 0; i < workdays.size(); ++i) {
    std::string item = "workdays[" + std::to_string(i) + "] " + format_day(workdays[i]);
    if (holiday_set.contains(workdays[i])) return item + " is also listed in holidays";
    if (!is_weekend(workdays[i])) {
      return item + " is a " + weekday_name(workdays[i]) + ", not a weekend day";
    }
  }
  return "";
}

}  // namespace aftercare::intake::domain
