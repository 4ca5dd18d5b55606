// Recurrence and escalation (投诉上移制, DOMAIN §1). The same issue of a unit (same category and
// component) reported again means the earlier handling failed: repairs turn into complaints to
// the developer's project department (level 1), then to HQ (level 2); complaints climb the
// same ladder sooner.
#pragma once

#include <cstdint>
#include <string>

#include "aftercare/v1/common.pb.h"
#include "intake/domain/policy.h"

namespace aftercare::intake::domain {

struct EscalationDecision {
  aftercare::v1::TicketKind kind;  // a repair reported too often becomes a complaint
  int level;                       // 0 none, 1 developer's project department, 2 HQ
  // The fine (累计处罚制) requested from billing against the party at fault (agent, property
  // crew, or builder when construction quality is the cause) if this escalation is still
  // unsolved: 0 at level 0, fine_min_fen at level 1, times level2_fine_multiplier at level 2.
  // It is a proposal; the service records it as a billing entry once the party is known.
  int64_t fine_fen;
};

// `recurrence` counts reports of the issue: 1 for the first, +1 for each reopening or new
// report (values below 1 count as 1). Repairs escalate from policy.repair_level1_at_report
// (default the 3rd report) and repair_level2_at_report (4th); complaints from
// complaint_level1_at_report (2nd) and complaint_level2_at_report (3rd). Consultations,
// suggestions and praise never escalate: nobody failed anyone.
EscalationDecision escalate(aftercare::v1::TicketKind reported_kind, int recurrence,
                            const IntakePolicy& policy);

// A fine set by a supervisor (EscalateTicket): 0, or within [fine_min_fen, fine_max_fen] at
// level 1 and that range times the multiplier at level 2. Returns "" or an error naming
// fine_fen.
std::string check_fine(int64_t fine_fen, int level, const IntakePolicy& policy);

}  // namespace aftercare::intake::domain
