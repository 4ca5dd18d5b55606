#include "callback/domain/attempts.h"

namespace aftercare::callback::domain {

AttemptDecision after_unanswered_call(int attempts_before, absl::Time at,
                                      std::optional<absl::Time> requested_retry_at,
                                      const CallbackPolicy& policy) {
  AttemptDecision d;
  d.attempt_no = attempts_before + 1;
  if (d.attempt_no >= policy.max_attempts) {
    d.gave_up = true;
    return d;
  }
  if (requested_retry_at) {
    d.next_attempt_at = *requested_retry_at;
    return d;
  }
  int minutes = 0;
  if (!policy.retry_after_minutes.empty()) {
    size_t i = static_cast<size_t>(d.attempt_no - 1);
    if (i >= policy.retry_after_minutes.size()) i = policy.retry_after_minutes.size() - 1;
    minutes = policy.retry_after_minutes[i];
  }
  d.next_attempt_at = at + absl::Minutes(minutes);
  return d;
}

std::string check_retry_at(absl::Time retry_at, absl::Time now, absl::Duration max_ahead) {
  if (retry_at <= now) return "retry_at must be in the future";
  if (retry_at > now + max_ahead) {
    return "retry_at must be within " + std::to_string(absl::ToInt64Hours(max_ahead) / 24) +
           " days";
  }
  return "";
}

}  // namespace aftercare::callback::domain
