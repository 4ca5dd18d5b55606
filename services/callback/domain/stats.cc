#include "callback/domain/stats.h"

#include "callback/domain/dates.h"

namespace aftercare::callback::domain {

aftercare::v1::Ratio ratio(int64_t numerator, int64_t denominator) {
  aftercare::v1::Ratio r;
  r.set_numerator(numerator);
  r.set_denominator(denominator);
  if (denominator > 0) {
    // round-half-up(n * 10000 / d) = floor((2 * n * 10000 + d) / (2 * d)); counts stay far below
    // the int64 range (10^14 callbacks would be needed to overflow).
    r.set_basis_points(
        static_cast<int32_t>((2 * numerator * 10000 + denominator) / (2 * denominator)));
  }
  return r;
}

int iso_weeks_in_year(int year) {
  // 28 December always lies in the last ISO week of its year.
  absl::CivilDay dec28(year, 12, 28);
  return static_cast<int>((dec28 - iso_week_monday(year, 1)) / 7) + 1;
}

absl::CivilDay iso_week_monday(int year, int week) {
  // Week 1 is the week containing 4 January.
  return iso_week_start(absl::CivilDay(year, 1, 4)) + 7 * (week - 1);
}

std::string period_days(const aftercare::v1::ReportPeriod& period, PeriodDays* out) {
  if (period.year() < 2000 || period.year() > 9999) {
    return "period.year must be between 2000 and 9999";
  }
  switch (period.granularity()) {
    case aftercare::v1::REPORT_GRANULARITY_WEEK: {
      int weeks = iso_weeks_in_year(period.year());
      if (period.index() < 1 || period.index() > weeks) {
        return "period.index must be an ISO week between 1 and " + std::to_string(weeks);
      }
      absl::CivilDay monday = iso_week_monday(period.year(), period.index());
      *out = {monday, monday + 7};
      return "";
    }
    case aftercare::v1::REPORT_GRANULARITY_MONTH: {
      if (period.index() < 1 || period.index() > 12) return "period.index must be a month 1-12";
      absl::CivilMonth month(period.year(), period.index());
      *out = {absl::CivilDay(month), absl::CivilDay(month + 1)};
      return "";
    }
    case aftercare::v1::REPORT_GRANULARITY_QUARTER: {
      if (period.index() < 1 || period.index() > 4) return "period.index must be a quarter 1-4";
      absl::CivilMonth first(period.year(), 3 * (period.index() - 1) + 1);
      *out = {absl::CivilDay(first), absl::CivilDay(first + 3)};
      return "";
    }
    case aftercare::v1::REPORT_GRANULARITY_YEAR:  // issue 20
      if (period.index() != 0) return "period.index must be 0 for a year";
      *out = {absl::CivilDay(period.year(), 1, 1), absl::CivilDay(period.year() + 1, 1, 1)};
      return "";
    default:
      return "period.granularity must be one of week, month, quarter, year";
  }
}

bool met_weekly_target(int64_t done, const CallbackPolicy& policy) {
  return done >= policy.agent_weekly_target;
}

}  // namespace aftercare::callback::domain
