#include "billing/domain/period.h"

#include <cstdio>

namespace aftercare::billing::domain {
namespace {

constexpr int kFirstYear = 1000;
constexpr int kLastYear = 9999;

}  // namespace

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
  // "YYYY-MM" is the first day's "YYYY-MM-01" without its day: the same digits and year bounds.
  if (text.size() != 7) return std::nullopt;
  std::optional<absl::CivilDay> first = kit::parse_day(std::string(text) + "-01");
  if (!first) return std::nullopt;
  return period_of(*first);
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

std::optional<DayRange> report_days(const aftercare::v1::ReportPeriod& period) {
  if (period.year() < kFirstYear || period.year() > kLastYear) return std::nullopt;
  return kit::report_days(period);
}

}  // namespace aftercare::billing::domain
