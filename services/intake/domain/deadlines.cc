#include "intake/domain/deadlines.h"

#include <algorithm>

#include "intake/domain/dates.h"

namespace aftercare::intake::domain {

Deadlines compute_deadlines(absl::Time reported_at, aftercare::v1::Urgency urgency,
                            aftercare::v1::TicketCategory category, aftercare::v1::TicketKind kind,
                            const IntakePolicy& policy, const WorkingDayCalendar& calendar,
                            absl::TimeZone zone) {
  absl::CivilDay day0 = local_day(reported_at, zone);
  Deadlines due;
  due.resolve_due = end_of_local_day(
      calendar.nth_working_day_after(day0, policy.resolve_working_days_of(category)), zone);
  if (urgency == aftercare::v1::URGENCY_EMERGENCY) {
    due.response_due = reported_at + absl::Minutes(policy.emergency_response_minutes);
  } else {
    due.response_due = end_of_local_day(
        calendar.nth_working_day_after(day0, policy.normal_response_working_days), zone);
  }
  if (kind == aftercare::v1::TICKET_KIND_COMPLAINT) {
    due.response_due =
        std::min(due.response_due, reported_at + absl::Hours(policy.complaint_reply_hours));
  }
  return due;
}

absl::Time extended_resolve_due(absl::Time current_due, int extra_working_days,
                                const WorkingDayCalendar& calendar, absl::TimeZone zone) {
  return end_of_local_day(
      calendar.nth_working_day_after(local_day(current_due, zone), extra_working_days), zone);
}

std::string check_deadline_extension(absl::Time current_due, absl::Time new_resolve_due,
                                     absl::Time notice_sent_at, absl::Time now,
                                     const IntakePolicy& policy) {
  if (new_resolve_due <= current_due) {
    return "new_resolve_due must be after the current resolve_due";
  }
  if (notice_sent_at >= current_due) {
    return "notice_sent_at must be before the current resolve_due";
  }
  if (notice_sent_at > now + policy.clock_skew_allowance) {
    return "notice_sent_at must not be in the future";
  }
  return "";
}

std::string check_reported_at(absl::Time reported_at, absl::Time now, const IntakePolicy& policy) {
  if (reported_at > now + policy.clock_skew_allowance) {
    return "reported_at must not be in the future";
  }
  if (reported_at < now - absl::Hours(24) * policy.max_backdate_days) {
    return "reported_at must be at most " + std::to_string(policy.max_backdate_days) + " days back";
  }
  return "";
}

}  // namespace aftercare::intake::domain
