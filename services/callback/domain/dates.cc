#include "callback/domain/dates.h"

#include <cstdio>

namespace aftercare::callback::domain {

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

bool parse_day(const std::string& text, absl::CivilDay* out) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
  *out = absl::CivilDay(y, m, d);
  return true;
}

absl::CivilDay local_day(absl::Time instant, absl::TimeZone zone) {
  return absl::ToCivilDay(instant, zone);
}

absl::Time start_of_local_day(absl::CivilDay day, absl::TimeZone zone) {
  // In a zone with daylight saving, midnight may be skipped; FromCivil then picks the instant the
  // day actually starts with the offset before the change, which is still one definite instant.
  return absl::FromCivil(absl::CivilSecond(day), zone);
}

absl::Time end_of_local_day(absl::CivilDay day, absl::TimeZone zone) {
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 23, 59, 59), zone);
}

bool is_leap_year(absl::civil_year_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(absl::civil_year_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year)) return 29;
  return kDays[month - 1];
}

absl::CivilDay add_months_clamped(absl::CivilDay day, int months) {
  absl::CivilMonth month = absl::CivilMonth(day) + months;
  int last = days_in_month(month.year(), month.month());
  return absl::CivilDay(month.year(), month.month(), day.day() < last ? day.day() : last);
}

absl::CivilDay iso_week_start(absl::CivilDay day) {
  // GetWeekday: Monday = 0 ... Sunday = 6 in absl's enum order.
  int offset = static_cast<int>(absl::GetWeekday(day));
  return day - offset;
}

absl::TimeZone zone_or_default(const std::string& name) {
  absl::TimeZone zone;
  if (!name.empty() && name.find("..") == std::string::npos && name[0] != '/' &&
      absl::LoadTimeZone(name, &zone)) {
    return zone;
  }
  if (absl::LoadTimeZone(kDefaultTimeZone, &zone)) return zone;
  return absl::FixedTimeZone(8 * 3600);
}

}  // namespace aftercare::callback::domain
