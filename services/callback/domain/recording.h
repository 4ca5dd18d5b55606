// Recording a callback (DOMAIN §3, 001): what the owner said, and what follows from it.
//
// Rules:
// - Reached: satisfaction or a 1-5 score is required. Only one given: the other is derived
//   (score <= 2 unsatisfied, 3 basically satisfied, >= 4 satisfied; satisfied -> 5, basically
//   satisfied -> 3, unsatisfied -> 1). Both given: satisfaction decides, but an outright
//   contradiction (satisfied with 1-2, unsatisfied with 4-5) is refused as a typing error.
// - attitude 0 (not asked) or 1-5; comment up to 2000 characters.
// - Unsatisfied, or the charge was not correct (charge_ok = false), on a callback about a work
//   order -> rework: the problem goes back to the repair side within rework_return_hours.
//   Callbacks without a work order (periodic, warranty, complaints resolved without a repair)
//   have nothing to rework: an unsatisfied answer still reaches intake via CallbackRecorded.
// - Satisfied or basically satisfied -> the satisfaction survey is completed (loyalty points).
#pragma once

#include <string>

#include "absl/time/time.h"
#include "aftercare/v1/callback.pb.h"
#include "callback/domain/policy.h"

namespace aftercare::callback::domain {

inline constexpr size_t kMaxCommentChars = 2000;

// Checks a reached record and fills `out` (satisfaction and score both set). Returns "" or an
// error naming the field. `in.reached` must be true (unreached calls are attempts).
std::string check_and_derive(const aftercare::v1::RecordCallbackRequest& in,
                             aftercare::v1::CallbackOutcome* out);

aftercare::v1::Satisfaction satisfaction_of_score(int score);
int score_of_satisfaction(aftercare::v1::Satisfaction satisfaction);

struct RecordEffects {
  bool rework = false;            // ReworkRequested
  std::string rework_reason;      // "unsatisfied", "charge not correct", or both
  bool survey_completed = false;  // SurveyCompleted
};
RecordEffects effects_of(const aftercare::v1::CallbackOutcome& outcome, bool has_work_order);

// When the rework must have reached the repair side.
absl::Time rework_return_due(absl::Time recorded_at, const CallbackPolicy& policy);

// Recorded by the end of the due day: counts for the on-time rate.
bool recorded_on_time(absl::Time recorded_at, absl::Time due_at);

}  // namespace aftercare::callback::domain
