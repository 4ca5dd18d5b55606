#include "intake/domain/merge_split.h"

#include <algorithm>

#include "intake/domain/names.h"
#include "intake/domain/ticket_status.h"

namespace aftercare::intake::domain {

using aftercare::v1::Ticket;

std::string check_merge(const Ticket& survivor, const Ticket& source) {
  if (survivor.ticket_id() == source.ticket_id()) return "source_ticket_id is the ticket itself";
  if (survivor.project_id() != source.project_id())
    return "source_ticket_id belongs to another project";
  if (survivor.unit_id() != source.unit_id())
    return "source_ticket_id is a ticket of another unit (" + source.unit_id() + ", not " +
           survivor.unit_id() + ")";
  if (!source.merged_into_ticket_id().empty())
    return "source_ticket_id was already merged into another ticket";
  if (!can_transition(source.status(), aftercare::v1::TICKET_STATUS_CANCELLED))
    return "source_ticket_id is " + public_name(source.status()) + " and cannot be merged";
  if (!is_active(survivor.status()))
    return "ticket_id is " + public_name(survivor.status()) + " and cannot take a merge";
  return "";
}

bool merge_uncounts_source(const Ticket& source) {
  return source.duplicate_of().empty();
}

int reports_after_merge(int reports) {
  return std::max(0, reports - 1);
}

std::string check_splittable(const Ticket& original) {
  if (is_final(original.status()))
    return "ticket_id is " + public_name(original.status()) +
           ": report the second problem as a new ticket";
  return "";
}

std::string check_split_issue(const Ticket& original, aftercare::v1::TicketCategory category,
                              aftercare::v1::Component component) {
  if (original.category() == category && original.component() == component)
    return "component must differ from the ticket's (same category and component is the same "
           "issue, not a second problem)";
  return "";
}

}  // namespace aftercare::intake::domain
