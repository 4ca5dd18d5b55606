#include "common/civil_date.h"

#include <cstdio>

namespace aftercare::kit {
namespace {

constexpr int kFirstYear = 1000;
constexpr int kLastYear = 9999;

bool digits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

int to_int(std::string_view text) {
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

bool is_leap_year(absl::civil_year_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(absl::civil_year_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year)) return 29;
  return kDays[month - 1];
}

absl::CivilDay to_civil_day(const aftercare::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

std::optional<absl::CivilDay> day_from_proto(const aftercare::v1::Date& date) {
  if (date.year() < kFirstYear || date.year() > kLastYear) return std::nullopt;
  if (date.month() < 1 || date.month() > 12) return std::nullopt;
  if (date.day() < 1 || date.day() > days_in_month(date.year(), date.month())) return std::nullopt;
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

std::optional<absl::CivilDay> parse_day(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!digits(text.substr(0, 4)) || !digits(text.substr(5, 2)) || !digits(text.substr(8, 2))) {
    return std::nullopt;
  }
  aftercare::v1::Date date;
  date.set_year(to_int(text.substr(0, 4)));
  date.set_month(to_int(text.substr(5, 2)));
  date.set_day(to_int(text.substr(8, 2)));
  return day_from_proto(date);
}

bool parse_day(std::string_view text, absl::CivilDay* out) {
  std::optional<absl::CivilDay> day = parse_day(text);
  if (day) *out = *day;
  return day.has_value();
}

absl::CivilDay local_day(absl::Time instant, absl::TimeZone zone) {
  return absl::ToCivilDay(instant, zone);
}

absl::Time start_of_local_day(absl::CivilDay day, absl::TimeZone zone) {
  return absl::FromCivil(absl::CivilSecond(day), zone);
}

absl::Time end_of_local_day(absl::CivilDay day, absl::TimeZone zone) {
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 23, 59, 59), zone);
}

absl::CivilDay add_months_clamped(absl::CivilDay day, int months) {
  absl::CivilMonth month = absl::CivilMonth(day) + months;
  int last = days_in_month(month.year(), month.month());
  return absl::CivilDay(month.year(), month.month(), day.day() < last ? day.day() : last);
}

absl::CivilDay iso_week_start(absl::CivilDay day) {
  // GetWeekday: Monday = 0 ... Sunday = 6 in absl's enum order.
  return day - static_cast<int>(absl::GetWeekday(day));
}

absl::CivilDay iso_week1_monday(absl::civil_year_t year) {
  return iso_week_start(absl::CivilDay(year, 1, 4));
}

int iso_weeks_in(absl::civil_year_t year) {
  return static_cast<int>((iso_week1_monday(year + 1) - iso_week1_monday(year)) / 7);
}

std::optional<DayRange> report_days(const aftercare::v1::ReportPeriod& period) {
  const int year = period.year(), index = period.index();
  switch (period.granularity()) {
    case aftercare::v1::REPORT_GRANULARITY_MONTH: {
      if (index < 1 || index > 12) return std::nullopt;
      absl::CivilMonth m(year, index);
      return DayRange{absl::CivilDay(m), absl::CivilDay(m + 1) - 1};
    }
    case aftercare::v1::REPORT_GRANULARITY_QUARTER: {
      if (index < 1 || index > 4) return std::nullopt;
      absl::CivilMonth m(year, 3 * index - 2);
      return DayRange{absl::CivilDay(m), absl::CivilDay(m + 3) - 1};
    }
    case aftercare::v1::REPORT_GRANULARITY_WEEK: {
      if (index < 1 || index > iso_weeks_in(year)) return std::nullopt;
      absl::CivilDay first = iso_week1_monday(year) + 7 * (index - 1);
      return DayRange{first, first + 6};
    }
    case aftercare::v1::REPORT_GRANULARITY_YEAR:  // issue 20
      if (index != 0) return std::nullopt;
      return DayRange{absl::CivilDay(year, 1, 1), absl::CivilDay(year, 12, 31)};
    default:
      return std::nullopt;
  }
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

}  // namespace aftercare::kit
