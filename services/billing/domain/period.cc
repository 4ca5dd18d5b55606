#include "billing/domain/period.h"

#include <cstdio>

namespace aftercare::billing::domain {
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

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::string Period::to_string() const {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d", year, month);
  return text;
}

absl::CivilDay Period::last_day() const {
  return absl::CivilDay(year, month, days());
}

int Period::days() const {
  return days_in_month(year, month);
}

Period Period::next() const {
  return month == 12 ? Period{year + 1, 1} : Period{year, month + 1};
}

aftercare::v1::YearMonth Period::to_proto() const {
  aftercare::v1::YearMonth ym;
  ym.set_year(year);
  ym.set_month(month);
  return ym;
}

std::optional<Period> parse_period(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  if (!digits(text.substr(0, 4)) || !digits(text.substr(5, 2))) return std::nullopt;
  aftercare::v1::YearMonth ym;
  ym.set_year(to_int(text.substr(0, 4)));
  ym.set_month(to_int(text.substr(5, 2)));
  return period_from_proto(ym);
}

std::optional<Period> period_from_proto(const aftercare::v1::YearMonth& ym) {
  if (ym.year() < kFirstYear || ym.year() > kLastYear) return std::nullopt;
  if (ym.month() < 1 || ym.month() > 12) return std::nullopt;
  return Period{ym.year(), ym.month()};
}

Period period_of(absl::CivilDay day) {
  return Period{static_cast<int>(day.year()), day.month()};
}

absl::CivilDay due_date(const Period& period, int due_day) {
  int day = due_day < 1 ? 1 : due_day;
  if (day > period.days()) day = period.days();
  return absl::CivilDay(period.year, period.month, day);
}

std::optional<absl::CivilDay> day_from_proto(const aftercare::v1::Date& date) {
  if (date.year() < kFirstYear || date.year() > kLastYear) return std::nullopt;
  if (date.month() < 1 || date.month() > 12) return std::nullopt;
  if (date.day() < 1 || date.day() > days_in_month(date.year(), date.month())) return std::nullopt;
  return absl::CivilDay(date.year(), date.month(), date.day());
}

aftercare::v1::Date to_proto_date(absl::CivilDay day) {
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

absl::CivilDay local_day(absl::Time instant, absl::TimeZone zone) {
  return absl::ToCivilDay(instant, zone);
}

absl::Time start_of_local_day(absl::CivilDay day, absl::TimeZone zone) {
  return absl::FromCivil(absl::CivilSecond(day), zone);
}

namespace {

// Monday of ISO week 1: the week with the year's first Thursday (the one holding 4 January).
absl::CivilDay iso_week1_monday(int year) {
  absl::CivilDay jan4(year, 1, 4);
  int from_monday = static_cast<int>(absl::GetWeekday(jan4));  // Monday = 0 in absl
  return jan4 - from_monday;
}

}  // namespace

std::optional<DayRange> report_days(const aftercare::v1::ReportPeriod& period) {
  const int year = period.year(), index = period.index();
  if (year < kFirstYear || year > kLastYear) return std::nullopt;
  switch (period.granularity()) {
    case aftercare::v1::REPORT_GRANULARITY_MONTH:
      if (index < 1 || index > 12) return std::nullopt;
      return DayRange{Period{year, index}.first_day(), Period{year, index}.last_day()};
    case aftercare::v1::REPORT_GRANULARITY_QUARTER:
      if (index < 1 || index > 4) return std::nullopt;
      return DayRange{Period{year, 3 * index - 2}.first_day(), Period{year, 3 * index}.last_day()};
    case aftercare::v1::REPORT_GRANULARITY_WEEK: {
      absl::CivilDay monday = iso_week1_monday(year);
      int weeks = static_cast<int>((iso_week1_monday(year + 1) - monday) / 7);
      if (index < 1 || index > weeks) return std::nullopt;
      absl::CivilDay first = monday + 7 * (index - 1);
      return DayRange{first, first + 6};
    }
    case aftercare::v1::REPORT_GRANULARITY_YEAR:  // issue 20
      if (index != 0) return std::nullopt;
      return DayRange{absl::CivilDay(year, 1, 1), absl::CivilDay(year, 12, 31)};
    default:
      return std::nullopt;
  }
}

}  // namespace aftercare::billing::domain
