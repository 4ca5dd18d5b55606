#include "callback/domain/due.h"

#include "callback/domain/dates.h"

namespace aftercare::callback::domain {

using aftercare::v1::CallbackDueKind;

CallbackDueKind classify(const DueInput& input, const CallbackPolicy& policy) {
  if (input.safety_flag || policy.safety_components.contains(input.component) ||
      (policy.emergency_is_safety && input.urgency == aftercare::v1::URGENCY_EMERGENCY)) {
    return aftercare::v1::CALLBACK_DUE_KIND_SAFETY;
  }
  if (input.leak_flag || policy.leak_components.contains(input.component)) {
    return aftercare::v1::CALLBACK_DUE_KIND_LEAK;
  }
  return aftercare::v1::CALLBACK_DUE_KIND_OTHER;
}

int due_days(CallbackDueKind kind, const CallbackPolicy& policy) {
  switch (kind) {
    case aftercare::v1::CALLBACK_DUE_KIND_SAFETY:
      return policy.safety_due_days;
    case aftercare::v1::CALLBACK_DUE_KIND_LEAK:
      return policy.leak_due_days;
    default:
      return policy.default_due_days;
  }
}

absl::Time callback_due_at(absl::Time completed_at, CallbackDueKind kind,
                           const CallbackPolicy& policy, absl::TimeZone zone) {
  absl::CivilDay day0 = local_day(completed_at, zone);
  return end_of_local_day(day0 + due_days(kind, policy), zone);
}

}  // namespace aftercare::callback::domain
