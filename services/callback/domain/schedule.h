// Outreach that is not caused by a repair: periodic callbacks 1, 3 and 6 months after a unit's
// handover (000) and warranty-expiry reminders before a component's warranty ends (003).
// A generator creates them from the unit projection; each has a stable source key (unit +
// milestone, unit + warranty end) so running the generator twice creates nothing new.
#pragma once

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "callback/domain/policy.h"

namespace aftercare::callback::domain {

struct HandoverMilestone {
  aftercare::v1::CallbackReason reason;  // by position: 1st HANDOVER_1_MONTH, 2nd _3_MONTHS, ...
  int months;                            // months after handover
  absl::CivilDay day;                    // handover + months, same day-of-month, clamped
};

// One milestone per entry of policy.handover_callback_months (at most three).
std::vector<HandoverMilestone> handover_milestones(absl::CivilDay handover,
                                                   const CallbackPolicy& policy);

// The first day a component is no longer covered: handover + N years, same month and day
// (29 February -> 28 February), exactly as intake computes warranty_ends.
absl::CivilDay warranty_ends(absl::CivilDay handover, aftercare::v1::Component component,
                             const CallbackPolicy& policy);

// One reminder per distinct warranty end: components that end on the same day share one phone
// call (the owner checks all of them), listed in enum order; `component` is the first of them.
struct WarrantyReminder {
  absl::CivilDay ends;
  absl::CivilDay remind_on;  // ends - warranty_reminder_lead_days
  std::vector<aftercare::v1::Component> components;
};
std::vector<WarrantyReminder> warranty_reminders(absl::CivilDay handover,
                                                 const CallbackPolicy& policy);

// Whether a periodic or warranty callback for `day` is created on `today`: from
// create_ahead_days before the day until backfill_days after it.
bool in_creation_window(absl::CivilDay day, absl::CivilDay today, const CallbackPolicy& policy);

// Stable idempotency keys of generated callbacks (UNIQUE in the callbacks table).
std::string handover_source_key(const std::string& unit_id, int months);
std::string warranty_source_key(const std::string& unit_id, absl::CivilDay ends);
std::string work_order_source_key(const std::string& work_order_id);
std::string complaint_source_key(const std::string& ticket_id, absl::Time resolved_at);
// A report resolved with its incident (issue 23): one callback per linked ticket.
// After the incident's n-th reopening (round n > 0) the reporter is called back again.
std::string incident_source_key(const std::string& incident_id, const std::string& ticket_id,
                                int round = 0);

}  // namespace aftercare::callback::domain
