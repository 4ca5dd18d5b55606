// Billing periods (calendar months of the project) and the civil days around them. A period is
// spelled "YYYY-MM" in JSON and in the database; YearMonth in protos.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "common/civil_date.h"

namespace aftercare::billing::domain {

struct Period {
  int year = 0;   // 4 digits
  int month = 0;  // 1-12

  friend auto operator<=>(const Period&, const Period&) = default;
  friend bool operator==(const Period&, const Period&) = default;

  // "2026-03".
  std::string to_string() const;
  absl::CivilDay first_day() const { return absl::CivilDay(year, month, 1); }
  absl::CivilDay last_day() const;
  int days() const;
  Period next() const;
  aftercare::v1::YearMonth to_proto() const;
};

// "YYYY-MM" with a month 01-12 and a year 1000-9999; nullopt otherwise ("2026-13", "2026-1").
std::optional<Period> parse_period(std::string_view text);
// A YearMonth with month 1-12 and a 4-digit year; nullopt otherwise.
std::optional<Period> period_from_proto(const aftercare::v1::YearMonth& ym);
// The period a civil day falls in.
Period period_of(absl::CivilDay day);

// The civil-date helpers are the kit's (common/civil_date.h).
using kit::day_from_proto;
using kit::DayRange;
using kit::days_in_month;
using kit::format_day;
using kit::local_day;
using kit::parse_day;
using kit::start_of_local_day;

// The due date of a period: its due_day, clamped to the month's last day (due_day 31 in
// February is the 28th or 29th).
absl::CivilDay due_date(const Period& period, int due_day);

inline aftercare::v1::Date to_proto_date(absl::CivilDay day) {
  return kit::to_date(day);
}

// The local days [first, last] of a KPI reporting period (kit::report_days) with a 4-digit year;
// nullopt when the period does not exist (month 13, quarter 5, week 53 of a 52-week year).
std::optional<DayRange> report_days(const aftercare::v1::ReportPeriod& period);

}  // namespace aftercare::billing::domain
