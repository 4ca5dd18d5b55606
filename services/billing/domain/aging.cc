#include "billing/domain/aging.h"

namespace aftercare::billing::domain {

std::vector<AgingBand> aging_bands(const BillingPolicy& policy) {
  return {{1, policy.aging_bound_1},
          {policy.aging_bound_1 + 1, policy.aging_bound_2},
          {policy.aging_bound_2 + 1, policy.aging_bound_3},
          {policy.aging_bound_3 + 1, 0}};
}

int64_t days_overdue(absl::CivilDay due_date, absl::CivilDay as_of) {
  int64_t days = as_of - due_date;
  return days > 0 ? days : 0;
}

int aging_band_index(int64_t days, const BillingPolicy& policy) {
  if (days <= 0) return -1;
  if (days <= policy.aging_bound_1) return 0;
  if (days <= policy.aging_bound_2) return 1;
  if (days <= policy.aging_bound_3) return 2;
  return 3;
}

}  // namespace aftercare::billing::domain
