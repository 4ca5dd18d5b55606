// Reporting periods (week, month, quarter) as local-day ranges of the project's calendar.
#pragma once

#include <absl/time/civil_time.h>

#include <optional>
#include <string>
#include <utility>

#include "aftercare/v1/common.pb.h"

namespace aftercare::intake::domain {

// [first day, day after the last) of the period; nullopt with `error` naming the field when the
// period does not exist (month 13, ISO week 54, quarter 5...). Weeks are ISO weeks (Monday first,
// week 1 holds 4 January).
std::optional<std::pair<absl::CivilDay, absl::CivilDay>> period_days(
    const aftercare::v1::ReportPeriod& period, std::string* error);

// numerator/denominator with basis points rounded half up (0 when there is nothing to measure).
aftercare::v1::Ratio ratio(int64_t numerator, int64_t denominator);

}  // namespace aftercare::intake::domain
