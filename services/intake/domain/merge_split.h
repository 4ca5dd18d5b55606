// Merging duplicate tickets and splitting a report that holds two problems (DOMAIN §1: every
// ticket keeps its history; recurrence counts reports of an issue, not tickets).
#pragma once

#include <string>

#include "aftercare/v1/common.pb.h"
#include "aftercare/v1/intake.pb.h"

namespace aftercare::intake::domain {

// Whether `source` may be merged into `survivor`; "" or the reason (FAILED_PRECONDITION), naming
// the request field concerned. Both must be of the same project and unit. The survivor must not
// be final (closed or cancelled), as for LinkDuplicate: it carries the work on. The source must be
// able to end cancelled: active, so not closed, cancelled (withdrawn, a linked duplicate or
// merged already) nor resolved (done work stays in the statistics).
std::string check_merge(const aftercare::v1::Ticket& survivor, const aftercare::v1::Ticket& source);

// Whether the source's report is taken back from its issue's recurrence count when it is merged:
// a report counted when opened (not a linked duplicate, which never counted) was the same request
// as the survivor's, so it must not count twice.
bool merge_uncounts_source(const aftercare::v1::Ticket& source);

// The issue's report count after a merge took one report back (never below 0).
int reports_after_merge(int reports);

// Whether `original` may have a second problem split off; "" or the reason (FAILED_PRECONDITION).
// Closed and cancelled reports are final: a problem found later is a new report.
std::string check_splittable(const aftercare::v1::Ticket& original);

// The split-off problem must be another issue of the unit (category + component): the same issue
// is the same problem. "" or a message naming component (INVALID_ARGUMENT).
std::string check_split_issue(const aftercare::v1::Ticket& original,
                              aftercare::v1::TicketCategory category,
                              aftercare::v1::Component component);

}  // namespace aftercare::intake::domain
