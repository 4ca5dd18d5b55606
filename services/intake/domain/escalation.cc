#include "intake/domain/escalation.h"

namespace aftercare::intake::domain {
namespace {

int64_t level_factor(int level, const IntakePolicy& policy) {
  return level >= 2 ? policy.level2_fine_multiplier : 1;
}

}  // namespace

EscalationDecision escalate(aftercare::v1::TicketKind reported_kind, int recurrence,
                            const IntakePolicy& policy) {
  EscalationDecision decision{reported_kind, 0, 0};
  int level1_at = 0;
  int level2_at = 0;
  switch (reported_kind) {
    case aftercare::v1::TICKET_KIND_REPAIR:
      level1_at = policy.repair_level1_at_report;
      level2_at = policy.repair_level2_at_report;
      break;
    case aftercare::v1::TICKET_KIND_COMPLAINT:
      level1_at = policy.complaint_level1_at_report;
      level2_at = policy.complaint_level2_at_report;
      break;
    default:
      return decision;
  }
  if (recurrence >= level2_at) {
    decision.level = 2;
  } else if (recurrence >= level1_at) {
    decision.level = 1;
  } else {
    return decision;
  }
  decision.kind = aftercare::v1::TICKET_KIND_COMPLAINT;
  decision.fine_fen = policy.fine_min_fen * level_factor(decision.level, policy);
  return decision;
}

std::string check_fine(int64_t fine_fen, int level, const IntakePolicy& policy) {
  if (fine_fen == 0) return "";
  if (level < 1) return "fine_fen must be 0 when the ticket is not escalated";
  int64_t factor = level_factor(level, policy);
  int64_t low = policy.fine_min_fen * factor;
  int64_t high = policy.fine_max_fen * factor;
  if (fine_fen < low || fine_fen > high) {
    return "fine_fen must be 0 or between " + std::to_string(low) + " and " + std::to_string(high) +
           " at level " + std::to_string(level);
  }
  return "";
}

}  // namespace aftercare::intake::domain
