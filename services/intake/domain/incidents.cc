#include "intake/domain/incidents.h"

#include <algorithm>
#include <set>

#include "intake/domain/validation.h"

namespace aftercare::intake::domain {
namespace {

namespace v1 = aftercare::v1;

const absl::Time kEarliest = absl::FromCivil(absl::CivilDay(2000, 1, 1), absl::UTCTimeZone());

std::string check_instant(std::optional<absl::Time> t, const std::string& field, absl::Time now,
                          absl::Duration ahead) {
  if (!t) return "";
  if (*t < kEarliest) return field + " must not be before 2000-01-01";
  if (*t > now + ahead)
    return field + " must be at most " + std::to_string(ahead / absl::Hours(24)) + " days ahead";
  return "";
}

const char* component_zh(v1::Component c) {
  switch (c) {
    case v1::COMPONENT_STRUCTURE:
      return "主体结构";
    case v1::COMPONENT_ROOF_WATERPROOFING:
      return "屋面防水";
    case v1::COMPONENT_BATHROOM_WATERPROOFING:
      return "卫生间防水";
    case v1::COMPONENT_EXTERIOR_WALL:
      return "外墙";
    case v1::COMPONENT_ELECTRICAL:
      return "供电";
    case v1::COMPONENT_PLUMBING:
      return "给排水";
    case v1::COMPONENT_HEATING:
      return "供暖";
    case v1::COMPONENT_DECORATION:
      return "装修";
    case v1::COMPONENT_DOOR_WINDOW:
      return "门窗";
    case v1::COMPONENT_ELEVATOR:
      return "电梯";
    case v1::COMPONENT_FIRE_SAFETY:
      return "消防设施";
    case v1::COMPONENT_GAS:
      return "燃气";
    default:
      return "公共设施";
  }
}

}  // namespace

IncidentRule incident_rule(int min_units, int window_minutes) {
  return IncidentRule{min_units, absl::Minutes(window_minutes)};
}

std::string check_proposal_decision(v1::IncidentStatus status, v1::ProposalStatus proposal) {
  if (proposal != v1::PROPOSAL_STATUS_PENDING)
    return proposal == v1::PROPOSAL_STATUS_NOT_PROPOSED
               ? "the incident was opened by staff, not proposed by the platform"
               : "the proposal was already decided";
  if (status != v1::INCIDENT_STATUS_OPEN) return "the incident is no longer open";
  return "";
}

std::vector<Unlink> unlink_on_dismissal(const std::vector<LinkedReport>& reports) {
  std::vector<Unlink> out;
  for (const LinkedReport& r : reports) out.push_back({r.ticket_id, r.active && !r.lead});
  return out;
}

ReopenEffects after_unsatisfied(const UnsatisfiedReporter& r) {
  ReopenEffects e;
  if (r.incident_status != v1::INCIDENT_STATUS_RESOLVED) return e;  // open: waits with it
  e.reopen_incident = true;
  if (r.kind == v1::INCIDENT_KIND_FAILURE && !r.lead) e.rework_of = r.work_order_id;
  return e;
}

std::string check_dismissal_reason(const std::string& reason) {
  return check_text(reason, "reason", 2000);
}

bool building_in_scope(const std::vector<std::string>& buildings, const std::string& building) {
  return buildings.empty() ||
         std::find(buildings.begin(), buildings.end(), building) != buildings.end();
}

bool links_to_incidents(v1::TicketKind kind) {
  return kind == v1::TICKET_KIND_REPAIR || kind == v1::TICKET_KIND_COMPLAINT;
}

std::optional<Link> link_to_incident(const ReportView& report,
                                     const std::vector<OpenIncident>& open) {
  if (!links_to_incidents(report.kind) || report.component == v1::COMPONENT_UNSPECIFIED)
    return std::nullopt;
  const OpenIncident* best = nullptr;
  for (const OpenIncident& i : open) {
    if (i.component != report.component || !building_in_scope(i.buildings, report.building))
      continue;
    if (!best || i.created_at < best->created_at ||
        (i.created_at == best->created_at && i.incident_id < best->incident_id))
      best = &i;
  }
  if (!best) return std::nullopt;
  return Link{best->incident_id, best->kind == v1::INCIDENT_KIND_FAILURE && !best->has_lead};
}

std::optional<Proposal> propose_incident(const ReportView& report,
                                         const std::vector<RecentReport>& recent,
                                         const IncidentRule& rule) {
  if (!links_to_incidents(report.kind) || report.area != v1::REPAIR_AREA_PUBLIC ||
      report.component == v1::COMPONENT_UNSPECIFIED || report.building.empty())
    return std::nullopt;
  std::vector<const RecentReport*> in_window;
  std::set<std::string> units = {report.unit_id};
  for (const RecentReport& r : recent) {
    if (r.unit_id == report.unit_id) continue;  // the same home again is a duplicate, not a spread
    if (r.reported_at > report.reported_at || report.reported_at - r.reported_at > rule.window)
      continue;
    in_window.push_back(&r);
    units.insert(r.unit_id);
  }
  if (static_cast<int>(units.size()) < rule.min_units) return std::nullopt;
  std::sort(in_window.begin(), in_window.end(), [](const RecentReport* a, const RecentReport* b) {
    return a->reported_at != b->reported_at ? a->reported_at < b->reported_at
                                            : a->ticket_id < b->ticket_id;
  });
  Proposal p;
  p.lead_ticket_id = in_window.front()->ticket_id;
  for (size_t i = 1; i < in_window.size(); ++i) p.followers.push_back(in_window[i]->ticket_id);
  return p;
}

std::string proposed_title(const std::string& building, v1::Component component) {
  return building + " " + component_zh(component) + "故障（多户报修）";
}

std::string check_buildings(const std::vector<std::string>& buildings) {
  if (buildings.size() > 200) return "buildings must name at most 200 buildings";
  std::set<std::string> seen;
  for (const std::string& b : buildings) {
    if (auto e = check_text(b, "buildings", 50); !e.empty()) return e;
    if (!seen.insert(b).second) return "buildings names " + b + " twice";
  }
  return "";
}

std::string check_incident(v1::IncidentKind kind, v1::TicketCategory category,
                           v1::Component component, const std::string& title,
                           const std::string& description, std::optional<absl::Time> starts_at,
                           std::optional<absl::Time> expected_end, absl::Time now) {
  if (auto e = check_enum(kind, "kind"); !e.empty()) return e;
  if (auto e = check_enum(category, "category"); !e.empty()) return e;
  if (auto e = check_enum(component, "component"); !e.empty()) return e;
  if (auto e = check_text(title, "title", 200); !e.empty()) return e;
  if (!description.empty())
    if (auto e = check_text(description, "description", 2000); !e.empty()) return e;
  if (auto e = check_instant(starts_at, "starts_at", now, absl::Hours(24 * 730)); !e.empty())
    return e;
  if (auto e = check_instant(expected_end, "expected_end", now, absl::Hours(24 * 730)); !e.empty())
    return e;
  if (starts_at && expected_end && *expected_end <= *starts_at)
    return "expected_end must be after starts_at";
  return "";
}

std::string check_announcement(const std::string& title, const std::string& body,
                               std::optional<absl::Time> send_at, absl::Time now) {
  if (auto e = check_text(title, "title", 200); !e.empty()) return e;
  if (auto e = check_text(body, "body", 5000); !e.empty()) return e;
  return check_instant(send_at, "send_at", now, absl::Hours(24 * 90));
}

bool sends_now(std::optional<absl::Time> send_at, absl::Time now) {
  return !send_at || *send_at <= now;
}

}  // namespace aftercare::intake::domain
