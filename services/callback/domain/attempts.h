// Unanswered calls (DOMAIN §3: "reached or not (retry)"). Each unanswered call is an attempt;
// the next try is scheduled by the policy's retry delays, and after max_attempts unanswered calls
// the callback is given up (status failed) with the attempts kept as its record.
#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "callback/domain/policy.h"

namespace aftercare::callback::domain {

struct AttemptDecision {
  int attempt_no = 0;                         // 1 for the first unanswered call
  bool gave_up = false;                       // the callback is now failed
  std::optional<absl::Time> next_attempt_at;  // unset when given up
};

// `attempts_before` unanswered calls were made already; one more happened at `at`. A requested
// retry time (the owner said "call me tomorrow at 10") replaces the policy delay.
AttemptDecision after_unanswered_call(int attempts_before, absl::Time at,
                                      std::optional<absl::Time> requested_retry_at,
                                      const CallbackPolicy& policy);

// A requested retry time must be after `now` and at most `max_ahead` later. "" or an error
// naming the field.
std::string check_retry_at(absl::Time retry_at, absl::Time now, absl::Duration max_ahead);

}  // namespace aftercare::callback::domain
