#include "callback/domain/recording.h"

#include "callback/domain/validation.h"

namespace aftercare::callback::domain {

using aftercare::v1::Satisfaction;

Satisfaction satisfaction_of_score(int score) {
  if (score <= 2) return aftercare::v1::SATISFACTION_UNSATISFIED;
  if (score == 3) return aftercare::v1::SATISFACTION_BASICALLY_SATISFIED;
  return aftercare::v1::SATISFACTION_SATISFIED;
}

int score_of_satisfaction(Satisfaction satisfaction) {
  switch (satisfaction) {
    case aftercare::v1::SATISFACTION_SATISFIED:
      return 5;
    case aftercare::v1::SATISFACTION_BASICALLY_SATISFIED:
      return 3;
    default:
      return 1;
  }
}

std::string check_and_derive(const aftercare::v1::RecordCallbackRequest& in,
                             aftercare::v1::CallbackOutcome* out) {
  if (!in.reached()) return "reached must be true to record an answer";
  bool has_satisfaction = in.satisfaction() != aftercare::v1::SATISFACTION_UNSPECIFIED;
  if (has_satisfaction) {
    std::string error = check_enum(in.satisfaction(), "satisfaction");
    if (!error.empty()) return error;
  }
  if (in.score() != 0 && (in.score() < 1 || in.score() > 5)) {
    return "score must be between 1 and 5";
  }
  if (!has_satisfaction && in.score() == 0) {
    return "satisfaction is required when the owner was reached (or a score 1-5)";
  }
  if (has_satisfaction && in.score() != 0) {
    bool contradiction =
        (in.satisfaction() == aftercare::v1::SATISFACTION_SATISFIED && in.score() <= 2) ||
        (in.satisfaction() == aftercare::v1::SATISFACTION_UNSATISFIED && in.score() >= 4);
    if (contradiction) {
      return "score " + std::to_string(in.score()) + " contradicts the satisfaction given";
    }
  }
  if (in.attitude() < 0 || in.attitude() > 5) {
    return "attitude must be between 1 and 5 (0 = not asked)";
  }
  std::string error = check_text(in.comment(), "comment", kMaxCommentChars);
  if (!error.empty()) return error;

  out->Clear();
  out->set_reached(true);
  out->set_satisfaction(has_satisfaction ? in.satisfaction() : satisfaction_of_score(in.score()));
  out->set_score(in.score() != 0 ? in.score() : score_of_satisfaction(in.satisfaction()));
  out->set_attitude(in.attitude());
  out->set_timely(in.timely());
  out->set_charge_ok(!in.has_charge_ok() || in.charge_ok());
  out->set_comment(in.comment());
  out->set_owner_confirmed(in.owner_confirmed());
  return "";
}

RecordEffects effects_of(const aftercare::v1::CallbackOutcome& outcome, bool has_work_order) {
  RecordEffects effects;
  bool unsatisfied = outcome.satisfaction() == aftercare::v1::SATISFACTION_UNSATISFIED;
  if (has_work_order && (unsatisfied || !outcome.charge_ok())) {
    effects.rework = true;
    if (unsatisfied) effects.rework_reason = "unsatisfied";
    if (!outcome.charge_ok()) {
      if (!effects.rework_reason.empty()) effects.rework_reason += "; ";
      effects.rework_reason += "charge not correct";
    }
  }
  effects.survey_completed =
      outcome.satisfaction() == aftercare::v1::SATISFACTION_SATISFIED ||
      outcome.satisfaction() == aftercare::v1::SATISFACTION_BASICALLY_SATISFIED;
  return effects;
}

absl::Time rework_return_due(absl::Time recorded_at, const CallbackPolicy& policy) {
  return recorded_at + absl::Hours(policy.rework_return_hours);
}

bool recorded_on_time(absl::Time recorded_at, absl::Time due_at) {
  return recorded_at <= due_at;
}

}  // namespace aftercare::callback::domain
