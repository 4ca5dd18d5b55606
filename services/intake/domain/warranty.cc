#include "intake/domain/warranty.h"

#include "intake/domain/dates.h"

namespace aftercare::intake::domain {

absl::CivilDay warranty_ends(absl::CivilDay handover, aftercare::v1::Component component,
                             const IntakePolicy& policy) {
  absl::civil_year_t year = handover.year() + policy.warranty_years_of(component);
  int day = handover.day();
  // CivilDay would normalise 29 February of a common year to 1 March.
  if (handover.month() == 2 && day == 29 && !is_leap_year(year)) day = 28;
  return absl::CivilDay(year, handover.month(), day);
}

bool in_warranty(absl::CivilDay report_local_day, absl::CivilDay ends) {
  return report_local_day < ends;
}

}  // namespace aftercare::intake::domain
