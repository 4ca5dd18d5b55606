#include "loyalty/domain/statement.h"

#include "absl/time/civil_time.h"

namespace aftercare::loyalty::domain {

namespace v1 = aftercare::v1;

namespace {

// Effect of a movement on (balance, held).
void move(const Movement& m, int64_t& balance, int64_t& held) {
  switch (m.kind) {
    case v1::LEDGER_ENTRY_KIND_EARN:
      balance += m.amount;
      break;
    case v1::LEDGER_ENTRY_KIND_HOLD:
      balance -= m.amount;
      held += m.amount;
      break;
    case v1::LEDGER_ENTRY_KIND_REDEEM:
      held -= m.amount;
      break;
    case v1::LEDGER_ENTRY_KIND_RELEASE:
      held -= m.amount;
      balance += m.amount;
      break;
    case v1::LEDGER_ENTRY_KIND_EXPIRE:
      balance -= m.amount;
      break;
    default:
      break;
  }
}

bool valid_date(const v1::Date& d) {
  if (d.year() < 1900 || d.year() > 9999 || d.month() < 1 || d.month() > 12 || d.day() < 1)
    return false;
  absl::CivilDay day(d.year(), d.month(), d.day());
  return day.year() == d.year() && day.month() == d.month() && day.day() == d.day();
}

}  // namespace

StatementTotals summarize(const std::vector<Movement>& movements, absl::Time from, absl::Time to) {
  StatementTotals t;
  int64_t balance = 0, held = 0;
  bool opened = false;
  for (const Movement& m : movements) {
    if (m.at >= to) break;
    if (!opened && m.at >= from) {
      t.opening_balance = balance;
      t.opening_held = held;
      opened = true;
    }
    move(m, balance, held);
    if (m.at < from) continue;
    switch (m.kind) {
      case v1::LEDGER_ENTRY_KIND_EARN:
        t.earned += m.amount;
        break;
      case v1::LEDGER_ENTRY_KIND_HOLD:
        t.held += m.amount;
        break;
      case v1::LEDGER_ENTRY_KIND_REDEEM:
        t.redeemed += m.amount;
        break;
      case v1::LEDGER_ENTRY_KIND_RELEASE:
        t.released += m.amount;
        break;
      case v1::LEDGER_ENTRY_KIND_EXPIRE:
        t.expired += m.amount;
        break;
      default:
        break;
    }
  }
  if (!opened) {
    t.opening_balance = balance;
    t.opening_held = held;
  }
  t.closing_balance = balance;
  t.closing_held = held;
  return t;
}

std::string date_range(const v1::Date& from, const v1::Date& to, absl::TimeZone tz,
                       absl::Time* start, absl::Time* end) {
  if (!valid_date(from)) return "from_date: must be a valid date";
  if (!valid_date(to)) return "to_date: must be a valid date";
  absl::CivilDay a(from.year(), from.month(), from.day()), b(to.year(), to.month(), to.day());
  if (b < a) return "to_date: must not be before from_date";
  if (b - a > 366 * 10) return "to_date: the range is at most 10 years";
  *start = absl::FromCivil(a, tz);
  *end = absl::FromCivil(b + 1, tz);
  return "";
}

std::string period_range(const v1::ReportPeriod& period, absl::TimeZone tz, absl::Time* start,
                         absl::Time* end) {
  const int year = period.year(), index = period.index();
  if (year < 1900 || year > 9999) return "period.year: must be a 4-digit year";
  switch (period.granularity()) {
    case v1::REPORT_GRANULARITY_MONTH: {
      if (index < 1 || index > 12) return "period.index: month must be 1-12";
      absl::CivilMonth m(year, index);
      *start = absl::FromCivil(m, tz);
      *end = absl::FromCivil(m + 1, tz);
      return "";
    }
    case v1::REPORT_GRANULARITY_QUARTER: {
      if (index < 1 || index > 4) return "period.index: quarter must be 1-4";
      absl::CivilMonth m(year, (index - 1) * 3 + 1);
      *start = absl::FromCivil(m, tz);
      *end = absl::FromCivil(m + 3, tz);
      return "";
    }
    case v1::REPORT_GRANULARITY_WEEK: {
      // ISO week 1 contains 4 January; weeks start on Monday.
      absl::CivilDay jan4(year, 1, 4);
      int from_monday =
          (static_cast<int>(absl::GetWeekday(jan4)) - static_cast<int>(absl::Weekday::monday) + 7) %
          7;
      absl::CivilDay week1 = jan4 - from_monday;
      absl::CivilDay next_week1 = absl::CivilDay(year + 1, 1, 4);
      next_week1 -= (static_cast<int>(absl::GetWeekday(next_week1)) -
                     static_cast<int>(absl::Weekday::monday) + 7) %
                    7;
      const int weeks = static_cast<int>((next_week1 - week1) / 7);
      if (index < 1 || index > weeks)
        return "period.index: week must be 1-" + std::to_string(weeks);
      absl::CivilDay first = week1 + (index - 1) * 7;
      *start = absl::FromCivil(first, tz);
      *end = absl::FromCivil(first + 7, tz);
      return "";
    }
    case v1::REPORT_GRANULARITY_YEAR: {  // issue 20
      if (index != 0) return "period.index: must be 0 for a year";
      *start = absl::FromCivil(absl::CivilYear(year), tz);
      *end = absl::FromCivil(absl::CivilYear(year + 1), tz);
      return "";
    }
    default:
      return "period.granularity: must be week, month, quarter or year";
  }
}

absl::TimeZone load_zone(const std::string& name) {
  absl::TimeZone tz;
  if (!name.empty() && absl::LoadTimeZone(name, &tz)) return tz;
  return absl::FixedTimeZone(8 * 3600);
}

}  // namespace aftercare::loyalty::domain
