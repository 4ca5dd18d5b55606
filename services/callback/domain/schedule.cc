#include "callback/domain/schedule.h"

#include <map>

#include "absl/time/time.h"
#include "callback/domain/dates.h"

namespace aftercare::callback::domain {

std::vector<HandoverMilestone> handover_milestones(absl::CivilDay handover,
                                                   const CallbackPolicy& policy) {
  static constexpr aftercare::v1::CallbackReason kReasons[] = {
      aftercare::v1::CALLBACK_REASON_HANDOVER_1_MONTH,
      aftercare::v1::CALLBACK_REASON_HANDOVER_3_MONTHS,
      aftercare::v1::CALLBACK_REASON_HANDOVER_6_MONTHS,
  };
  std::vector<HandoverMilestone> out;
  for (size_t i = 0; i < policy.handover_callback_months.size() && i < std::size(kReasons); ++i) {
    int months = policy.handover_callback_months[i];
    out.push_back({kReasons[i], months, add_months_clamped(handover, months)});
  }
  return out;
}

absl::CivilDay warranty_ends(absl::CivilDay handover, aftercare::v1::Component component,
                             const CallbackPolicy& policy) {
  return add_months_clamped(handover, 12 * policy.warranty_years_of(component));
}

std::vector<WarrantyReminder> warranty_reminders(absl::CivilDay handover,
                                                 const CallbackPolicy& policy) {
  std::map<absl::CivilDay, std::vector<aftercare::v1::Component>> by_end;
  for (int c = aftercare::v1::Component_MIN; c <= aftercare::v1::Component_MAX; ++c) {
    auto component = static_cast<aftercare::v1::Component>(c);
    if (component == aftercare::v1::COMPONENT_UNSPECIFIED || !aftercare::v1::Component_IsValid(c)) {
      continue;
    }
    by_end[warranty_ends(handover, component, policy)].push_back(component);
  }
  std::vector<WarrantyReminder> out;
  for (auto& [ends, components] : by_end) {
    out.push_back({ends, ends - policy.warranty_reminder_lead_days, components});
  }
  return out;
}

bool in_creation_window(absl::CivilDay day, absl::CivilDay today, const CallbackPolicy& policy) {
  return day <= today + policy.create_ahead_days && day >= today - policy.backfill_days;
}

std::string handover_source_key(const std::string& unit_id, int months) {
  return "handover:" + unit_id + ":" + std::to_string(months);
}

std::string warranty_source_key(const std::string& unit_id, absl::CivilDay ends) {
  return "warranty:" + unit_id + ":" + format_day(ends);
}

std::string work_order_source_key(const std::string& work_order_id) {
  return "work_order:" + work_order_id;
}

std::string incident_source_key(const std::string& incident_id, const std::string& ticket_id,
                                int round) {
  return "incident:" + incident_id + ":" + ticket_id +
         (round > 0 ? ":round:" + std::to_string(round) : "");
}

std::string complaint_source_key(const std::string& ticket_id, absl::Time resolved_at) {
  return "complaint:" + ticket_id + ":" + std::to_string(absl::ToUnixMicros(resolved_at));
}

}  // namespace aftercare::callback::domain
