// Warranty of a component, counted from the unit's handover date (DOMAIN §1). In warranty a
// repair is free to the owner and the builder's liability; after it, a paid repair.
#pragma once

#include "absl/time/civil_time.h"
#include "aftercare/v1/common.pb.h"
#include "intake/domain/policy.h"

namespace aftercare::intake::domain {

// The first day no longer covered: handover + N years on the same month and day. A handover
// on 29 February ends on 28 February of a common year, so the period never runs into March.
absl::CivilDay warranty_ends(absl::CivilDay handover, aftercare::v1::Component component,
                             const IntakePolicy& policy);

// A report made on warranty_ends itself is already out of warranty. The report day is the
// project-local day of reported_at (dates.h local_day), not the UTC day.
bool in_warranty(absl::CivilDay report_local_day, absl::CivilDay ends);

}  // namespace aftercare::intake::domain
