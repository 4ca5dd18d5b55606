// When a callback after a repair or a resolved complaint is due (DOMAIN §3, 001): safety-related
// 2 days, leaks 3 days, everything else 7 days after completion.
//
// Decisions (README "Callback"):
// - Days are CALENDAR days of the project's time zone, not working days: DOMAIN says "working
//   days" where it means them (§1) and only "days" here, and a callback is a phone call that
//   agents make every day (日清日结). The day of completion is day 0; the callback is due by the
//   end (23:59:59 local) of day N.
// - "Completion" is the sign-off (the repair is finished once owner and maintenance signed,
//   DOMAIN §2); for a complaint it is the resolution.
// - The kind comes from the component (policy.safety_components / leak_components), an
//   emergency counts as safety, and dispatch's own safety_related / leak flags on the
//   sign-off are honoured too (dispatch may know more, e.g. a leaking heating pipe). Safety wins
//   over leak (the shorter deadline). The ticket category is not used: public_facility mixes
//   safety items (gas, elevator) with heating, and house_quality mixes structure with insulation.
#pragma once

#include "absl/time/time.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/common.pb.h"
#include "callback/domain/policy.h"

namespace aftercare::callback::domain {

struct DueInput {
  aftercare::v1::Component component = aftercare::v1::COMPONENT_UNSPECIFIED;
  aftercare::v1::Urgency urgency = aftercare::v1::URGENCY_UNSPECIFIED;
  bool safety_flag = false;  // WorkOrderSignedOff.safety_related
  bool leak_flag = false;    // WorkOrderSignedOff.leak
};

aftercare::v1::CallbackDueKind classify(const DueInput& input, const CallbackPolicy& policy);

// Calendar days of the kind (policy.safety_due_days, leak_due_days, default_due_days).
int due_days(aftercare::v1::CallbackDueKind kind, const CallbackPolicy& policy);

// The end of the N-th local calendar day after the local day of `completed_at`.
absl::Time callback_due_at(absl::Time completed_at, aftercare::v1::CallbackDueKind kind,
                           const CallbackPolicy& policy, absl::TimeZone zone);

}  // namespace aftercare::callback::domain
