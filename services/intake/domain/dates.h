// Civil dates and local days of a project: the kit's one module (common/civil_date.h), named in
// intake's domain. Deadlines and warranties are counted in the project's own calendar days.
#pragma once

#include "common/civil_date.h"

namespace aftercare::intake::domain {

using kit::end_of_local_day;
using kit::format_day;
using kit::is_leap_year;
using kit::local_day;
using kit::to_civil_day;
using kit::to_date;

}  // namespace aftercare::intake::domain
