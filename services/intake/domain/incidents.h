// Incidents and announcements (issue 23): which open incident a new report links to, when
// several reports of one public component in one building make the platform open one, and the
// checks of the staff's incident and announcement requests. Pure: times are passed in.
//
// Rules:
// - A repair or complaint links to an open incident of its project when it concerns the
//   incident's component and its unit's building is in the incident's buildings (none = the
//   whole project). The oldest such incident wins.
// - The first report linked to a failure incident without a lead becomes its lead: it is
//   dispatched, and its work order is the incident's one work order. Every other linked report
//   is a follower: not dispatched, not counted in the ticket KPIs, not swept for SLA breaches,
//   resolved with the incident. Outages have no lead (nothing to repair): all are followers.
// - The platform opens a failure incident (proposed) when a public-area repair or complaint
//   (repair_area public) arrives while other units of the same building have active public
//   reports of the same component reported within the window: project policy
//   Policy.incidents, by default 2 units in 120 minutes. The oldest of those reports becomes the
//   lead; the others and the new one are followers.
// - A proposal is pending until staff confirm it (the owners in scope are then told the failure
//   is known) or dismiss it: its reports are unlinked; the followers are dispatched one by one,
//   the lead keeps its work order, and none of them makes a new proposal again.
// - An unsatisfied reporter reopens a resolved incident once: the incident's work order goes
//   back as one rework (the lead's own callback asks for it itself). While the incident is open
//   again, other unsatisfied reporters wait with it.
#pragma once

#include <absl/time/time.h>

#include <optional>
#include <string>
#include <vector>

#include "aftercare/v1/common.pb.h"

namespace aftercare::intake::domain {

struct IncidentRule {
  int min_units = 2;                       // distinct units, the new report's included
  absl::Duration window = absl::Hours(2);  // between the oldest report and the new one
};
inline const IncidentRule kIncidentRule{};
// The rule of a project's policy (Policy.incidents).
IncidentRule incident_rule(int min_units, int window_minutes);

// Buildings: empty = every building of the project.
bool building_in_scope(const std::vector<std::string>& buildings, const std::string& building);
// Only repairs and complaints are about a failure; questions, suggestions and praise never link.
bool links_to_incidents(aftercare::v1::TicketKind kind);

// A new report, as the linking decisions see it.
struct ReportView {
  aftercare::v1::TicketKind kind = aftercare::v1::TICKET_KIND_UNSPECIFIED;
  aftercare::v1::Component component = aftercare::v1::COMPONENT_UNSPECIFIED;
  aftercare::v1::RepairArea area = aftercare::v1::REPAIR_AREA_UNSPECIFIED;
  std::string unit_id;
  std::string building;
  absl::Time reported_at;
};

// An open incident of the report's project.
struct OpenIncident {
  std::string incident_id;
  aftercare::v1::IncidentKind kind = aftercare::v1::INCIDENT_KIND_UNSPECIFIED;
  aftercare::v1::Component component = aftercare::v1::COMPONENT_UNSPECIFIED;
  std::vector<std::string> buildings;
  bool has_lead = false;
  absl::Time created_at;
  std::string title;
};

struct Link {
  std::string incident_id;
  bool lead = false;  // the report is dispatched for the incident
};
// The open incident the report links to, if any.
std::optional<Link> link_to_incident(const ReportView& report,
                                     const std::vector<OpenIncident>& open);

// An active public report of the same component in the same building, not linked to anything.
struct RecentReport {
  std::string ticket_id;
  std::string unit_id;
  absl::Time reported_at;
};
struct Proposal {
  std::string lead_ticket_id;          // the oldest recent report
  std::vector<std::string> followers;  // the other recent reports (the new one is a follower too)
};
// Whether the report and the recent ones make an incident (see the rules above).
std::optional<Proposal> propose_incident(const ReportView& report,
                                         const std::vector<RecentReport>& recent,
                                         const IncidentRule& rule = kIncidentRule);
// "3栋 电梯故障（多户报修）".
std::string proposed_title(const std::string& building, aftercare::v1::Component component);

// ---- proposals, dismissal, reopening ----------------------------------------------------------

// Staff may confirm or dismiss only a pending proposal of an open incident: "" or why not.
std::string check_proposal_decision(aftercare::v1::IncidentStatus status,
                                    aftercare::v1::ProposalStatus proposal);

// A report of a dismissed proposal: what becomes of it.
struct LinkedReport {
  std::string ticket_id;
  bool active = false;  // not resolved, closed or cancelled
  bool lead = false;    // it has the incident's work order
};
struct Unlink {
  std::string ticket_id;
  bool dispatch = false;  // an active follower: route it on its own now
};
std::vector<Unlink> unlink_on_dismissal(const std::vector<LinkedReport>& reports);

// An unsatisfied callback of a report linked to the incident.
struct UnsatisfiedReporter {
  aftercare::v1::IncidentStatus incident_status = aftercare::v1::INCIDENT_STATUS_UNSPECIFIED;
  aftercare::v1::IncidentKind kind = aftercare::v1::INCIDENT_KIND_UNSPECIFIED;
  bool lead = false;
  std::string work_order_id;  // the incident's
};
struct ReopenEffects {
  bool reopen_incident = false;
  std::string rework_of;  // "" = no rework from the incident (none to redo, or the lead's own)
};
ReopenEffects after_unsatisfied(const UnsatisfiedReporter& r);

// ---- requests ----------------------------------------------------------------------------------

// Buildings named by staff: each 1-50 characters, no duplicates, at most 200.
std::string check_buildings(const std::vector<std::string>& buildings);
// kind, category, component specified; title 1-200, description <= 2000 characters; when both
// are given, expected_end after starts_at; no instant before 2000 or more than 2 years ahead.
// Dismissal reason 1-2000 characters; a confirmation note at most 2000.
std::string check_dismissal_reason(const std::string& reason);
std::string check_incident(aftercare::v1::IncidentKind kind, aftercare::v1::TicketCategory category,
                           aftercare::v1::Component component, const std::string& title,
                           const std::string& description, std::optional<absl::Time> starts_at,
                           std::optional<absl::Time> expected_end, absl::Time now);
// title 1-200, body 1-5000 characters; send_at at most 90 days ahead (a past one means now).
std::string check_announcement(const std::string& title, const std::string& body,
                               std::optional<absl::Time> send_at, absl::Time now);
// An announcement goes out at once unless send_at is in the future.
bool sends_now(std::optional<absl::Time> send_at, absl::Time now);

}  // namespace aftercare::intake::domain
