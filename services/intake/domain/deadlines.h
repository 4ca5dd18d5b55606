// Response and resolution deadlines of a ticket (DOMAIN §1, DESIGN "Working-day deadlines").
// Everything counts from reported_at, the moment the owner actually reported, in the project's
// time zone: the local day of the report is day 0 whatever the UTC date is.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "intake/domain/calendar.h"
#include "intake/domain/policy.h"

namespace aftercare::intake::domain {

struct Deadlines {
  absl::Time response_due;  // first contact / reply / someone on site
  absl::Time resolve_due;   // the defect fixed or the request answered
};

// resolve_due: 23:59:59 local of the N-th working day after the report day, N by category.
// response_due: emergency -> reported_at + emergency minutes, around the clock; normal -> 23:59:59
// local of the policy's working day after the report day. A complaint must moreover be
// answered within complaint_reply_hours, which wins when it comes first (a Friday-evening
// complaint cannot wait for Monday).
Deadlines compute_deadlines(absl::Time reported_at, aftercare::v1::Urgency urgency,
                            aftercare::v1::TicketCategory category, aftercare::v1::TicketKind kind,
                            const IntakePolicy& policy, const WorkingDayCalendar& calendar,
                            absl::TimeZone zone);

// An extension (which needs a reason and advance notice, checked by the service) moves the
// deadline by whole working days: the end of the extra_working_days-th working day after the
// local day of the current deadline.
absl::Time extended_resolve_due(absl::Time current_due, int extra_working_days,
                                const WorkingDayCalendar& calendar, absl::TimeZone zone);

// An explicit new deadline is only an extension if it is later, and the owner must have been
// told before the old deadline passed (not after the fact, nor from the future). Returns "" or
// an error naming new_resolve_due or notice_sent_at.
std::string check_deadline_extension(absl::Time current_due, absl::Time new_resolve_due,
                                     absl::Time notice_sent_at, absl::Time now,
                                     const IntakePolicy& policy);

// reported_at may lie in the past (a call typed in later) but not in the future beyond the
// clock-skew allowance, and not more than max_backdate_days back. Returns "" or an error
// naming reported_at.
std::string check_reported_at(absl::Time reported_at, absl::Time now, const IntakePolicy& policy);

}  // namespace aftercare::intake::domain
