// Warranty-expiry outreach (DOMAIN §3: remind owners to self-check before a component's warranty
// ends): which components of which units end within N days of a project-local day.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "aftercare/v1/common.pb.h"
#include "intake/domain/policy.h"

namespace aftercare::intake::domain {

struct ExpiryRules {
  int default_within_days = 30;  // DOMAIN §3: remind one month before
  int max_within_days = 366;

  static ExpiryRules defaults() { return ExpiryRules{}; }
};

// within_days as requested: 0 = the default; else 1..max. "" or an error naming within_days.
std::string check_within_days(int within_days, const ExpiryRules& rules);
int effective_within_days(int within_days, const ExpiryRules& rules);

struct UnitHandover {
  std::string unit_id, building, room, owner_id;
  absl::CivilDay handover;
};

struct WarrantyExpiry {
  std::string unit_id, building, room, owner_id;
  aftercare::v1::Component component;
  absl::CivilDay ends;  // first day no longer covered (warranty.h)
  int days_left;        // ends - today, 1..within_days
};

// Sort and paging key of the listing: (ends, unit_id, component).
struct ExpiryCursor {
  absl::CivilDay ends;
  std::string unit_id;
  int component = 0;
};

// Every (unit, component) still in warranty `today` whose warranty ends within `within_days`:
// today < ends <= today + within_days, so days_left runs from 1 (today is the last covered day)
// to within_days. Components are those of the policy's warranty table; sorted by (ends,
// unit_id, component) and starting after `after` when given.
std::vector<WarrantyExpiry> warranty_expiries(const std::vector<UnitHandover>& units,
                                              const IntakePolicy& policy, absl::CivilDay today,
                                              int within_days,
                                              const std::optional<ExpiryCursor>& after = {});

// The handover dates [first, last] whose `years`-year warranties can end within the listing
// window: a slightly wider range (a 29 February handover shifts by a day), for a database
// pre-selection that warranty_expiries() then decides exactly.
std::pair<absl::CivilDay, absl::CivilDay> handover_window(absl::CivilDay today, int within_days,
                                                          int years);

// Opaque page token of a cursor ("2026-12-01|U-101|5") and back; nullopt for a bad token.
std::string format_cursor(const ExpiryCursor& cursor);
std::optional<ExpiryCursor> parse_cursor(std::string_view token);

}  // namespace aftercare::intake::domain
