// Callback KPIs (DOMAIN §3, §6): exact ratios, never floating point, and the reporting periods
// (ISO week, month, quarter) as local days of the project.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/civil_time.h"
#include "aftercare/v1/common.pb.h"
#include "callback/domain/policy.h"

namespace aftercare::callback::domain {

// numerator/denominator with basis points rounded half-up; 0 basis points when nothing was
// measured (denominator 0).
aftercare::v1::Ratio ratio(int64_t numerator, int64_t denominator);

// Local days [first, end) of a reporting period.
struct PeriodDays {
  absl::CivilDay first;
  absl::CivilDay end;  // exclusive
};

// ISO weeks of an ISO week-year: 52 or 53.
int iso_weeks_in_year(int year);
// Monday of ISO week `week` of ISO week-year `year`.
absl::CivilDay iso_week_monday(int year, int week);

// Validates the period and returns its days; "" or an error naming the field.
std::string period_days(const aftercare::v1::ReportPeriod& period, PeriodDays* out);

// Whether `done` callbacks in one week meet the agent's weekly norm (001: >= 18).
bool met_weekly_target(int64_t done, const CallbackPolicy& policy);

}  // namespace aftercare::callback::domain
