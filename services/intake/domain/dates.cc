#include "intake/domain/dates.h"

#include <cstdio>

namespace aftercare::intake::domain {

absl::CivilDay to_civil_day(const aftercare::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

aftercare::v1::Date to_date(absl::CivilDay day) {
  aftercare::v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

std::string format_day(absl::CivilDay day) {
  char text[32];
  std::snprintf(text, sizeof text, "%04lld-%02d-%02d", static_cast<long long>(day.year()),
                day.month(), day.day());
  return text;
}

absl::CivilDay local_day(absl::Time instant, absl::TimeZone zone) {
  return absl::ToCivilDay(instant, zone);
}

absl::Time end_of_local_day(absl::CivilDay day, absl::TimeZone zone) {
  // In a zone with daylight saving 23:59:59 may be skipped or repeated; FromCivil then uses the
  // offset in force before the change, so a deadline is still one definite instant.
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 23, 59, 59), zone);
}

bool is_leap_year(absl::civil_year_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

}  // namespace aftercare::intake::domain
