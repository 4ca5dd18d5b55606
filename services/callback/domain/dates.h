// Civil dates, local days and months of a project. Callback deadlines are counted in the
// project's own calendar days, so an instant only becomes a day through the project's time zone.
#pragma once

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"

namespace aftercare::callback::domain {

// The proto Date as a civil day; the Date must have passed check_date (validation.h).
absl::CivilDay to_civil_day(const aftercare::v1::Date& date);
aftercare::v1::Date to_date(absl::CivilDay day);

// "2026-10-01", the JSON (and SQL) spelling of a Date.
std::string format_day(absl::CivilDay day);
// Parses "YYYY-MM-DD" strictly (no normalisation of 2026-02-30); false when malformed.
bool parse_day(const std::string& text, absl::CivilDay* out);

absl::CivilDay local_day(absl::Time instant, absl::TimeZone zone);
// 00:00:00 local on `day` (the first instant of the day).
absl::Time start_of_local_day(absl::CivilDay day, absl::TimeZone zone);
// 23:59:59 local on `day`: a callback due "within N days" may be made until the end of the day.
absl::Time end_of_local_day(absl::CivilDay day, absl::TimeZone zone);

bool is_leap_year(absl::civil_year_t year);
int days_in_month(absl::civil_year_t year, int month);

// The same day-of-month `months` later (or earlier, when negative), clamped to the month's last
// day: 31 January + 1 month = 28 (29) February; 29 February + 12 months = 28 February.
absl::CivilDay add_months_clamped(absl::CivilDay day, int months);

// Monday of the ISO week `day` falls in.
absl::CivilDay iso_week_start(absl::CivilDay day);

// The zone named `name`, or Asia/Shanghai (DESIGN default) when the name does not load.
absl::TimeZone zone_or_default(const std::string& name);
inline constexpr const char* kDefaultTimeZone = "Asia/Shanghai";

}  // namespace aftercare::callback::domain
