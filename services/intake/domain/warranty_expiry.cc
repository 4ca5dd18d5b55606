#include "intake/domain/warranty_expiry.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "intake/domain/dates.h"
#include "intake/domain/validation.h"
#include "intake/domain/warranty.h"

namespace aftercare::intake::domain {
namespace {

// A day `years` years earlier or later (29 February normalises to 1 March).
absl::CivilDay shift_years(absl::CivilDay day, int years) {
  return absl::CivilDay(day.year() + years, day.month(), day.day());
}

auto key(const WarrantyExpiry& e) {
  return std::tie(e.ends, e.unit_id, e.component);
}

bool after_cursor(const WarrantyExpiry& e, const ExpiryCursor& c) {
  int component = static_cast<int>(e.component);
  return std::tie(e.ends, e.unit_id, component) > std::tie(c.ends, c.unit_id, c.component);
}

bool parse_int(std::string_view text, int* out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string check_within_days(int within_days, const ExpiryRules& rules) {
  if (within_days == 0) return "";
  if (within_days < 1 || within_days > rules.max_within_days)
    return "within_days must be between 1 and " + std::to_string(rules.max_within_days);
  return "";
}

int effective_within_days(int within_days, const ExpiryRules& rules) {
  return within_days == 0 ? rules.default_within_days : within_days;
}

std::vector<WarrantyExpiry> warranty_expiries(const std::vector<UnitHandover>& units,
                                              const IntakePolicy& policy, absl::CivilDay today,
                                              int within_days,
                                              const std::optional<ExpiryCursor>& after) {
  std::vector<WarrantyExpiry> out;
  for (const auto& unit : units) {
    for (const auto& [component, years] : policy.warranty_years) {
      absl::CivilDay ends = warranty_ends(unit.handover, component, policy);
      auto days_left = static_cast<int>(ends - today);
      if (days_left < 1 || days_left > within_days) continue;
      WarrantyExpiry e{unit.unit_id, unit.building, unit.room, unit.owner_id,
                       component,    ends,          days_left};
      if (after && !after_cursor(e, *after)) continue;
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const WarrantyExpiry& a, const WarrantyExpiry& b) { return key(a) < key(b); });
  return out;
}

std::pair<absl::CivilDay, absl::CivilDay> handover_window(absl::CivilDay today, int within_days,
                                                          int years) {
  return {shift_years(today + 1, -years) - 2, shift_years(today + within_days, -years) + 2};
}

std::string format_cursor(const ExpiryCursor& cursor) {
  return format_day(cursor.ends) + "|" + cursor.unit_id + "|" + std::to_string(cursor.component);
}

std::optional<ExpiryCursor> parse_cursor(std::string_view token) {
  size_t first = token.find('|');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = token.find('|', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view day = token.substr(0, first);
  std::string_view unit = token.substr(first + 1, second - first - 1);
  std::string_view component = token.substr(second + 1);
  int y = 0, m = 0, d = 0, c = 0;
  if (day.size() != 10 || day[4] != '-' || day[7] != '-' || !parse_int(day.substr(0, 4), &y) ||
      !parse_int(day.substr(5, 2), &m) || !parse_int(day.substr(8, 2), &d) ||
      !parse_int(component, &c))
    return std::nullopt;
  aftercare::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  if (!check_date(date, "page_token").empty() || !check_id(unit, "page_token").empty())
    return std::nullopt;
  return ExpiryCursor{to_civil_day(date), std::string(unit), c};
}

}  // namespace aftercare::intake::domain
