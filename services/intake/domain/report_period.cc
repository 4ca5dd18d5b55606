#include "intake/domain/report_period.h"

namespace aftercare::intake::domain {

std::optional<std::pair<absl::CivilDay, absl::CivilDay>> period_days(
    const aftercare::v1::ReportPeriod& p, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<std::pair<absl::CivilDay, absl::CivilDay>> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (p.year() < 2000 || p.year() > 2999) return fail("period.year must be between 2000 and 2999");
  switch (p.granularity()) {
    case aftercare::v1::REPORT_GRANULARITY_MONTH: {
      if (p.index() < 1 || p.index() > 12) return fail("period.index must be a month 1-12");
      absl::CivilMonth m(p.year(), p.index());
      return std::pair{absl::CivilDay(m), absl::CivilDay(m + 1)};
    }
    case aftercare::v1::REPORT_GRANULARITY_QUARTER: {
      if (p.index() < 1 || p.index() > 4) return fail("period.index must be a quarter 1-4");
      absl::CivilMonth m(p.year(), 3 * (p.index() - 1) + 1);
      return std::pair{absl::CivilDay(m), absl::CivilDay(m + 3)};
    }
    case aftercare::v1::REPORT_GRANULARITY_WEEK: {
      absl::CivilDay jan4(p.year(), 1, 4);
      int from_monday =
          (static_cast<int>(absl::GetWeekday(jan4)) - static_cast<int>(absl::Weekday::monday) + 7) %
          7;
      absl::CivilDay week1 = jan4 - from_monday;
      absl::CivilDay next_jan4(p.year() + 1, 1, 4);
      int next_from_monday = (static_cast<int>(absl::GetWeekday(next_jan4)) -
                              static_cast<int>(absl::Weekday::monday) + 7) %
                             7;
      int weeks = static_cast<int>(((next_jan4 - next_from_monday) - week1) / 7);
      if (p.index() < 1 || p.index() > weeks)
        return fail("period.index is not an ISO week of that year");
      absl::CivilDay start = week1 + 7 * (p.index() - 1);
      return std::pair{start, start + 7};
    }
    case aftercare::v1::REPORT_GRANULARITY_YEAR:  // issue 20
      if (p.index() != 0) return fail("period.index must be 0 for a year");
      return std::pair{absl::CivilDay(p.year(), 1, 1), absl::CivilDay(p.year() + 1, 1, 1)};
    default:
      return fail("period.granularity must be week, month, quarter or year");
  }
}

aftercare::v1::Ratio ratio(int64_t numerator, int64_t denominator) {
  aftercare::v1::Ratio r;
  r.set_numerator(numerator);
  r.set_denominator(denominator);
  if (denominator > 0)
    r.set_basis_points(static_cast<int32_t>((numerator * 20000 + denominator) / (2 * denominator)));
  return r;
}

}  // namespace aftercare::intake::domain
