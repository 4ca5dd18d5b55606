#include "intake/domain/policy.h"

#include <set>

#include "common/policy_defaults.h"
#include "intake/domain/names.h"

namespace aftercare::intake::domain {
namespace {

using aftercare::v1::Component;
using aftercare::v1::TicketCategory;

// Bounds of an override. They only exclude nonsense (a zero-day deadline, a fine that could
// overflow once multiplied); anything a real project might choose stays possible.
constexpr int kMaxWarrantyYears = 100;
constexpr int kMaxResolveWorkingDays = 365;
constexpr int kMaxEmergencyMinutes = 24 * 60;
constexpr int kMaxResponseWorkingDays = 30;
constexpr int kMaxReplyHours = 30 * 24;
constexpr int kMaxBackdateDays = 365;
constexpr int kMaxReportThreshold = 100;
constexpr int64_t kMaxFineFen = 100'000'000;  // 1 000 000 yuan
constexpr int kMaxFineMultiplier = 10;

}  // namespace

using kit::check_range;

std::string IntakePolicy::apply_overrides(const aftercare::v1::Policy& policy) {
  const aftercare::v1::TicketPolicy& t = policy.ticket();
  IntakePolicy next = *this;
  std::string error;

  std::set<TicketCategory> categories;
  for (const aftercare::v1::CategoryDays& entry : t.resolve_working_days()) {
    TicketCategory category = entry.category();
    if (category == aftercare::v1::TICKET_CATEGORY_UNSPECIFIED ||
        !aftercare::v1::TicketCategory_IsValid(category)) {
      return "ticket.resolve_working_days.category must be one of house_quality, decoration, "
             "public_facility, other";
    }
    std::string field = "ticket.resolve_working_days." + public_name(category);
    if (!categories.insert(category).second) return field + " is given more than once";
    error = check_range(field, entry.working_days(), 1, kMaxResolveWorkingDays);
    if (!error.empty()) return error;
    next.resolve_working_days[category] = entry.working_days();
  }

  std::set<Component> components;
  for (const aftercare::v1::ComponentWarranty& entry : t.warranty_years()) {
    Component component = entry.component();
    if (component == aftercare::v1::COMPONENT_UNSPECIFIED ||
        !aftercare::v1::Component_IsValid(component)) {
      return "ticket.warranty_years.component must be a known component";
    }
    std::string field = "ticket.warranty_years." + public_name(component);
    if (!components.insert(component).second) return field + " is given more than once";
    error = check_range(field, entry.years(), 1, kMaxWarrantyYears);
    if (!error.empty()) return error;
    next.warranty_years[component] = entry.years();
  }

  error = kit::apply_int_overrides({
      {t.has_emergency_response_minutes(), t.emergency_response_minutes(),
       "ticket.emergency_response_minutes", 1, kMaxEmergencyMinutes,
       &next.emergency_response_minutes},
      {t.has_normal_response_working_days(), t.normal_response_working_days(),
       "ticket.normal_response_working_days", 1, kMaxResponseWorkingDays,
       &next.normal_response_working_days},
      {t.has_complaint_reply_hours(), t.complaint_reply_hours(), "ticket.complaint_reply_hours", 1,
       kMaxReplyHours, &next.complaint_reply_hours},
      {t.has_max_backdate_days(), t.max_backdate_days(), "ticket.max_backdate_days", 0,
       kMaxBackdateDays, &next.max_backdate_days},
      // The first report of an issue is never an escalation, hence the lower bound 2.
      {t.has_repair_level1_at_report(), t.repair_level1_at_report(),
       "ticket.repair_level1_at_report", 2, kMaxReportThreshold, &next.repair_level1_at_report},
      {t.has_repair_level2_at_report(), t.repair_level2_at_report(),
       "ticket.repair_level2_at_report", 2, kMaxReportThreshold, &next.repair_level2_at_report},
      {t.has_complaint_level1_at_report(), t.complaint_level1_at_report(),
       "ticket.complaint_level1_at_report", 2, kMaxReportThreshold,
       &next.complaint_level1_at_report},
      {t.has_complaint_level2_at_report(), t.complaint_level2_at_report(),
       "ticket.complaint_level2_at_report", 2, kMaxReportThreshold,
       &next.complaint_level2_at_report},
      {t.has_level2_fine_multiplier(), t.level2_fine_multiplier(), "ticket.level2_fine_multiplier",
       1, kMaxFineMultiplier, &next.level2_fine_multiplier},
      {t.has_rectification_working_days(), t.rectification_working_days(),
       "ticket.rectification_working_days", 1, 365, &next.rectification_working_days},
      // Issue 23: at least two homes make a spread; at most a week apart.
      {policy.incidents().has_proposal_min_units(), policy.incidents().proposal_min_units(),
       "incidents.proposal_min_units", 2, 100, &next.incident_proposal_min_units},
      {policy.incidents().has_proposal_window_minutes(),
       policy.incidents().proposal_window_minutes(), "incidents.proposal_window_minutes", 5, 10080,
       &next.incident_proposal_window_minutes},
      // A project that does not fine at all sets both bounds to 0.
      {t.has_fine_min_fen(), t.fine_min_fen(), "ticket.fine_min_fen", 0, kMaxFineFen,
       &next.fine_min_fen},
      {t.has_fine_max_fen(), t.fine_max_fen(), "ticket.fine_max_fen", 0, kMaxFineFen,
       &next.fine_max_fen},
  });
  if (!error.empty()) return error;

  // Checked on the merged result: overriding one threshold may contradict another's default.
  if (next.repair_level2_at_report <= next.repair_level1_at_report) {
    return "ticket.repair_level2_at_report must be greater than ticket.repair_level1_at_report";
  }
  if (next.complaint_level2_at_report <= next.complaint_level1_at_report) {
    return "ticket.complaint_level2_at_report must be greater than "
           "ticket.complaint_level1_at_report";
  }
  if (next.fine_max_fen < next.fine_min_fen) {
    return "ticket.fine_max_fen must not be less than ticket.fine_min_fen";
  }

  *this = std::move(next);
  return "";
}

void IntakePolicy::to_proto(aftercare::v1::TicketPolicy* out) const {
  out->Clear();
  for (const auto& [category, days] : resolve_working_days) {
    aftercare::v1::CategoryDays* entry = out->add_resolve_working_days();
    entry->set_category(category);
    entry->set_working_days(days);
  }
  for (const auto& [component, years] : warranty_years) {
    aftercare::v1::ComponentWarranty* entry = out->add_warranty_years();
    entry->set_component(component);
    entry->set_years(years);
  }
  out->set_emergency_response_minutes(emergency_response_minutes);
  out->set_normal_response_working_days(normal_response_working_days);
  out->set_complaint_reply_hours(complaint_reply_hours);
  out->set_max_backdate_days(max_backdate_days);
  out->set_repair_level1_at_report(repair_level1_at_report);
  out->set_repair_level2_at_report(repair_level2_at_report);
  out->set_complaint_level1_at_report(complaint_level1_at_report);
  out->set_complaint_level2_at_report(complaint_level2_at_report);
  out->set_fine_min_fen(fine_min_fen);
  out->set_fine_max_fen(fine_max_fen);
  out->set_level2_fine_multiplier(level2_fine_multiplier);
  out->set_rectification_working_days(rectification_working_days);
}

void IntakePolicy::to_proto(aftercare::v1::IncidentPolicy* out) const {
  out->Clear();
  out->set_proposal_min_units(incident_proposal_min_units);
  out->set_proposal_window_minutes(incident_proposal_window_minutes);
}

int IntakePolicy::warranty_years_of(Component component) const {
  auto it = warranty_years.find(component);
  if (it == warranty_years.end()) it = warranty_years.find(aftercare::v1::COMPONENT_OTHER);
  return it == warranty_years.end() ? 0 : it->second;
}

int IntakePolicy::resolve_working_days_of(TicketCategory category) const {
  auto it = resolve_working_days.find(category);
  if (it == resolve_working_days.end()) {
    it = resolve_working_days.find(aftercare::v1::TICKET_CATEGORY_OTHER);
  }
  return it == resolve_working_days.end() ? 0 : it->second;
}

}  // namespace aftercare::intake::domain
