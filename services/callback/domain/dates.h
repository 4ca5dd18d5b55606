// Civil dates, local days and months of a project: the kit's one module (common/civil_date.h),
// named in callback's domain. Callback deadlines are counted in the project's own calendar days.
#pragma once

#include "common/civil_date.h"

namespace aftercare::callback::domain {

using kit::add_months_clamped;
using kit::days_in_month;
using kit::end_of_local_day;
using kit::format_day;
using kit::is_leap_year;
using kit::iso_week_start;
using kit::kDefaultTimeZone;
using kit::local_day;
using kit::parse_day;
using kit::start_of_local_day;
using kit::to_civil_day;
using kit::to_date;
using kit::zone_or_default;

}  // namespace aftercare::callback::domain
