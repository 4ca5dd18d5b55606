// Life cycle of a ticket:
//
//   open -> dispatched -> in_progress -> resolved -> closed
//   resolved -> reopened (unsatisfied callback, or the owner calls again before closing)
//   reopened -> dispatched | in_progress | resolved
//   open | dispatched | in_progress | reopened -> cancelled
//
// Some steps may be skipped forward: a complaint or a consultation is answered by an agent
// without any work order (open/reopened -> in_progress or straight to resolved), and a signed-off
// work order resolves a dispatched ticket whose start was never reported. in_progress may go
// back to dispatched when the work order is rerouted to another party.
//
// closed and cancelled are final. An unsatisfied callback reopens a *resolved* ticket; once a
// ticket is closed the owner was satisfied (or the agent closed it), so the same issue reported
// again is a NEW ticket with recurrence + 1, which keeps each closed ticket's archive and KPIs
// (on-time resolution, satisfaction) fixed once reported. A resolved ticket cannot be cancelled:
// the work was done and must stay in the statistics.
#pragma once

#include <string>

#include "aftercare/v1/common.pb.h"

namespace aftercare::intake::domain {

bool can_transition(aftercare::v1::TicketStatus from, aftercare::v1::TicketStatus to);

// "" when allowed, else e.g. "cannot go from closed to in_progress" (closed is final).
std::string transition_error(aftercare::v1::TicketStatus from, aftercare::v1::TicketStatus to);

// No transition leaves a final status.
bool is_final(aftercare::v1::TicketStatus status);

// Counts toward "open tickets of the same issue" (duplicates are linked to it, not dispatched).
bool is_active(aftercare::v1::TicketStatus status);

}  // namespace aftercare::intake::domain
