#include "intake/domain/ticket_status.h"

#include "intake/domain/names.h"

namespace aftercare::intake::domain {

using aftercare::v1::TicketStatus;

bool can_transition(TicketStatus from, TicketStatus to) {
  using enum aftercare::v1::TicketStatus;
  switch (from) {
    case TICKET_STATUS_OPEN:
    case TICKET_STATUS_REOPENED:
      return to == TICKET_STATUS_DISPATCHED || to == TICKET_STATUS_IN_PROGRESS ||
             to == TICKET_STATUS_RESOLVED || to == TICKET_STATUS_CANCELLED;
    case TICKET_STATUS_DISPATCHED:
      return to == TICKET_STATUS_IN_PROGRESS || to == TICKET_STATUS_RESOLVED ||
             to == TICKET_STATUS_CANCELLED;
    case TICKET_STATUS_IN_PROGRESS:
      return to == TICKET_STATUS_DISPATCHED || to == TICKET_STATUS_RESOLVED ||
             to == TICKET_STATUS_CANCELLED;
    case TICKET_STATUS_RESOLVED:
      return to == TICKET_STATUS_CLOSED || to == TICKET_STATUS_REOPENED;
    default:
      return false;
  }
}

std::string transition_error(TicketStatus from, TicketStatus to) {
  if (can_transition(from, to)) return "";
  std::string message = "cannot go from " + public_name(from) + " to " + public_name(to);
  if (is_final(from)) message += " (" + public_name(from) + " is final)";
  return message;
}

bool is_final(TicketStatus status) {
  return status == aftercare::v1::TICKET_STATUS_CLOSED ||
         status == aftercare::v1::TICKET_STATUS_CANCELLED;
}

bool is_active(TicketStatus status) {
  return status != aftercare::v1::TICKET_STATUS_UNSPECIFIED && !is_final(status) &&
         aftercare::v1::TicketStatus_IsValid(status);
}

}  // namespace aftercare::intake::domain
