#include "callback/domain/policy.h"

#include <set>

#include "callback/domain/names.h"
#include "common/policy_defaults.h"

namespace aftercare::callback::domain {
namespace {

// Bounds of an override: they exclude nonsense (a zero-day deadline, a negative lead), not any
// choice a real project might make.
constexpr int kMaxDueDays = 90;
constexpr int kMaxHandoverMonths = 120;
constexpr int kMaxHandoverMilestones = 3;  // three periodic reasons exist
constexpr int kMaxReminderLeadDays = 366;
constexpr int kMaxReturnHours = 30 * 24;
constexpr int kMaxAttempts = 20;
constexpr int kMaxWeeklyTarget = 1000;
constexpr int kMaxWarrantyYears = 100;

}  // namespace

using kit::check_range;

std::string CallbackPolicy::apply_overrides(const aftercare::v1::Policy& policy) {
  const aftercare::v1::CallbackPolicy& c = policy.callback();
  CallbackPolicy next = *this;
  std::string error = kit::apply_int_overrides({
      {c.has_safety_due_days(), c.safety_due_days(), "callback.safety_due_days", 1, kMaxDueDays,
       &next.safety_due_days},
      {c.has_leak_due_days(), c.leak_due_days(), "callback.leak_due_days", 1, kMaxDueDays,
       &next.leak_due_days},
      {c.has_default_due_days(), c.default_due_days(), "callback.default_due_days", 1, kMaxDueDays,
       &next.default_due_days},
      {c.has_warranty_reminder_lead_days(), c.warranty_reminder_lead_days(),
       "callback.warranty_reminder_lead_days", 1, kMaxReminderLeadDays,
       &next.warranty_reminder_lead_days},
      {c.has_rework_return_hours(), c.rework_return_hours(), "callback.rework_return_hours", 1,
       kMaxReturnHours, &next.rework_return_hours},
      {c.has_max_attempts(), c.max_attempts(), "callback.max_attempts", 1, kMaxAttempts,
       &next.max_attempts},
      {c.has_agent_weekly_target(), c.agent_weekly_target(), "callback.agent_weekly_target", 1,
       kMaxWeeklyTarget, &next.agent_weekly_target},
  });
  if (!error.empty()) return error;

  // The same format checks intake makes before it stores the policy.
  error = kit::check_platform_overrides(policy);
  if (!error.empty()) return error;
  if (c.has_quiet_hours_start())
    next.quiet_start_minute = *kit::minute_of_day(c.quiet_hours_start());
  if (c.has_quiet_hours_end()) next.quiet_end_minute = *kit::minute_of_day(c.quiet_hours_end());
  if (c.has_owner_daily_message_cap()) next.owner_daily_message_cap = c.owner_daily_message_cap();

  if (c.handover_callback_months_size() > 0) {
    if (c.handover_callback_months_size() > kMaxHandoverMilestones) {
      return "callback.handover_callback_months has at most " +
             std::to_string(kMaxHandoverMilestones) + " entries";
    }
    std::vector<int> months;
    for (int m : c.handover_callback_months()) {
      error = check_range("callback.handover_callback_months", m, 1, kMaxHandoverMonths);
      if (!error.empty()) return error;
      if (!months.empty() && m <= months.back()) {
        return "callback.handover_callback_months must be strictly increasing";
      }
      months.push_back(m);
    }
    next.handover_callback_months = months;
  }

  std::set<aftercare::v1::Component> seen;
  for (const aftercare::v1::ComponentWarranty& entry : policy.ticket().warranty_years()) {
    aftercare::v1::Component component = entry.component();
    if (component == aftercare::v1::COMPONENT_UNSPECIFIED ||
        !aftercare::v1::Component_IsValid(component)) {
      return "ticket.warranty_years.component must be a known component";
    }
    std::string field = "ticket.warranty_years." + public_name(component);
    if (!seen.insert(component).second) return field + " is given more than once";
    error = check_range(field, entry.years(), 1, kMaxWarrantyYears);
    if (!error.empty()) return error;
    next.warranty_years[component] = entry.years();
  }

  *this = std::move(next);
  return "";
}

int CallbackPolicy::warranty_years_of(aftercare::v1::Component component) const {
  auto it = warranty_years.find(component);
  if (it != warranty_years.end()) return it->second;
  auto other = warranty_years.find(aftercare::v1::COMPONENT_OTHER);
  return other != warranty_years.end() ? other->second : 1;
}

}  // namespace aftercare::callback::domain
