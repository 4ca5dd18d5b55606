// Arrears aging (DOMAIN §5): outstanding amounts by how many days they are past their due date.
// The due date itself is the last day to pay, so an invoice is 1 day overdue the day after.
// Buckets by default: 1-30, 31-90, 91-365 and 366+ days (bounds from the project's policy).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/time/civil_time.h"
#include "billing/domain/policy.h"

namespace aftercare::billing::domain {

struct AgingBand {
  int min_days;  // inclusive
  int max_days;  // inclusive; 0 = no upper bound
};

// The four bands of the policy, in order.
std::vector<AgingBand> aging_bands(const BillingPolicy& policy);

// Days `as_of` is past `due_date`; 0 when not yet past (due today or later).
int64_t days_overdue(absl::CivilDay due_date, absl::CivilDay as_of);

// Index into aging_bands() for an amount `days` overdue, or -1 when it is not overdue (days <= 0).
int aging_band_index(int64_t days, const BillingPolicy& policy);

}  // namespace aftercare::billing::domain
