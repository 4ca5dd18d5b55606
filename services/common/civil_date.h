// Civil dates on abseil: the days, months and ISO weeks of a project's calendar, and the proto
// Date. Deadlines, warranties, billing periods and reports are counted in the project's own local
// days, so an instant only becomes a day through the project's time zone. One module for every
// service (issue 24; callback, intake and billing each had a copy).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"

namespace aftercare::kit {

bool is_leap_year(absl::civil_year_t year);
int days_in_month(absl::civil_year_t year, int month);  // month 1-12

// The proto Date as a civil day, unchecked: the Date must have passed a check (a CivilDay silently
// normalises 2026-02-30 to 2026-03-02, which would hide a typo).
absl::CivilDay to_civil_day(const aftercare::v1::Date& date);
// A Date with a 4-digit year (1000-9999) and a real calendar day; nullopt otherwise.
std::optional<absl::CivilDay> day_from_proto(const aftercare::v1::Date& date);
aftercare::v1::Date to_date(absl::CivilDay day);

// "2026-10-01", the JSON (and SQL) spelling of a Date.
std::string format_day(absl::CivilDay day);
// Exactly "YYYY-MM-DD" in ASCII digits, a 4-digit year (1000-9999) and a real day; nullopt
// otherwise (no sign, no space, no normalising of 2026-02-30).
std::optional<absl::CivilDay> parse_day(std::string_view text);
// The same, writing the day to *out; false (and *out untouched) when malformed.
bool parse_day(std::string_view text, absl::CivilDay* out);

// The project-local day an instant falls on.
absl::CivilDay local_day(absl::Time instant, absl::TimeZone zone);
// 00:00:00 local on `day`, the instant the day starts. Where daylight saving skips midnight,
// FromCivil picks the offset before the change: still one definite instant.
absl::Time start_of_local_day(absl::CivilDay day, absl::TimeZone zone);
// 23:59:59 local on `day`: a deadline "by the end of that day" for the owner, whatever the offset.
absl::Time end_of_local_day(absl::CivilDay day, absl::TimeZone zone);

// The same day-of-month `months` later (or earlier, when negative), clamped to the month's last
// day: 31 January + 1 month = 28 (29) February; 29 February + 12 months = 28 February.
absl::CivilDay add_months_clamped(absl::CivilDay day, int months);

// Monday of the ISO week `day` falls in.
absl::CivilDay iso_week_start(absl::CivilDay day);
// Monday of ISO week 1 of `year`: the week holding 4 January (the year's first Thursday).
absl::CivilDay iso_week1_monday(absl::civil_year_t year);
// 52 or 53.
int iso_weeks_in(absl::civil_year_t year);

// The local days [first, last] of a reporting period: a month, a quarter, an ISO week ("2024-W07":
// Monday to Sunday of week 7 of ISO week-year 2024) or a year (index 0). nullopt when the index
// does not exist (month 13, quarter 5, week 53 of a 52-week year) or the granularity is unset.
// The year's bounds are each caller's (its messages name them).
struct DayRange {
  absl::CivilDay first;
  absl::CivilDay last;
};
std::optional<DayRange> report_days(const aftercare::v1::ReportPeriod& period);

// The zone named `name`, or Asia/Shanghai (DESIGN default) when the name does not load.
inline constexpr const char* kDefaultTimeZone = "Asia/Shanghai";
absl::TimeZone zone_or_default(const std::string& name);

}  // namespace aftercare::kit
