// Civil dates and local days of a project. Deadlines and warranties are counted in the project's
// own calendar days, so an instant only becomes a day through the project's time zone.
#pragma once

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"

namespace aftercare::intake::domain {

// The proto Date as a civil day. The Date must have passed check_date (validation.h): a
// CivilDay silently normalises 2026-02-30 to 2026-03-02, which would hide a typo.
absl::CivilDay to_civil_day(const aftercare::v1::Date& date);
aftercare::v1::Date to_date(absl::CivilDay day);

// "2026-10-01", the JSON spelling of a Date, for messages and history.
std::string format_day(absl::CivilDay day);

// The project-local day an instant falls on; decides day 0 of deadlines and the warranty check.
absl::CivilDay local_day(absl::Time instant, absl::TimeZone zone);

// 23:59:59 local on `day`: deadlines are "by the end of that day" for the owner, whatever the
// UTC offset.
absl::Time end_of_local_day(absl::CivilDay day, absl::TimeZone zone);

bool is_leap_year(absl::civil_year_t year);

}  // namespace aftercare::intake::domain
