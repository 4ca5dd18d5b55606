// Incidents and announcements (issue 23): the use cases behind the incident and announcement
// routes, the link of a new report to an incident (called from open_report) and the
// announcement sweeper. Rules are domain/incidents.h's; SQL is store/incident_store.h's.
#pragma once

#include <optional>

#include "intake/app/context.h"
#include "intake/app/ticket.h"
#include "intake/domain/policy.h"
#include "intake/store/incident_store.h"

namespace aftercare::intake::app {

// Staff who open incidents, resolve them, post announcements (the contract's lists).
inline constexpr kit::Roles kIncidentOpeners = {kit::Role::agent, kit::Role::dispatcher,
                                                kit::Role::supervisor, kit::Role::admin};
inline constexpr kit::Roles kIncidentResolvers = {kit::Role::dispatcher, kit::Role::supervisor,
                                                  kit::Role::admin};
inline constexpr kit::Roles kAnnouncers = {kit::Role::agent, kit::Role::supervisor,
                                           kit::Role::admin};

Status open_incident(const Context& ctx, const v1::OpenIncidentRequest& r, v1::Incident* out);
Status get_incident(const Context& ctx, const v1::GetIncidentRequest& r, v1::Incident* out);
Status list_incidents(const Context& ctx, const v1::ListIncidentsRequest& r,
                      const std::optional<store::IncidentCursor>& before, int limit,
                      v1::ListIncidentsResponse* out);
Status resolve_incident(const Context& ctx, const v1::ResolveIncidentRequest& r, v1::Incident* out);
// A pending proposal: confirmed (IncidentConfirmed: the owners in scope are told), or dismissed
// (its reports unlinked, the followers dispatched one by one).
Status confirm_incident(const Context& ctx, const v1::ConfirmIncidentRequest& r, v1::Incident* out);
Status dismiss_incident(const Context& ctx, const v1::DismissIncidentRequest& r, v1::Incident* out);
// An unsatisfied callback reopened the ticket `t` linked to an incident: a resolved incident is
// reopened once and its work order sent back as one rework (IncidentReopened).
void incident_after_unsatisfied(Tickets& tickets, const v1::Ticket& t,
                                const std::string& callback_id, const std::string& actor);

Status post_announcement(const Context& ctx, const v1::PostAnnouncementRequest& r,
                         v1::Announcement* out);
// Owners: the sent announcements of their buildings, each marked read by them.
Status list_announcements(const Context& ctx, const v1::ListAnnouncementsRequest& r,
                          const std::optional<store::IncidentCursor>& before, int limit,
                          v1::ListAnnouncementsResponse* out);
// Sends the scheduled announcements due by `now` (AnnouncementPublished); returns how many.
int sweep_announcements(kit::PgPool& db, const kit::Outbox& outbox, absl::Time now);

// How a new report (not a duplicate) joins an incident.
struct IncidentLink {
  std::string incident_id;  // "" = none: an ordinary ticket
  bool lead = false;        // dispatched for the incident
  // Set when the report makes other units' recent reports an incident proposal: incident_id is
  // the proposal's, opened by open_proposed_incident once the report is stored.
  std::optional<domain::Proposal> proposal;
};
// Before the report `t` of `unit` is stored (its writes collected in `write`): links it to an
// open incident in scope (t.incident_id, the follower flag, the incident's lead and the
// history entry), or finds that other units of its building reported the same public component
// within the window (a proposal). The incident component lock of a public report is held.
IncidentLink link_report(Tickets& tickets, const domain::IntakePolicy& policy, const v1::Unit& unit,
                         v1::Ticket& t, const std::string& actor, store::ReportWrite& write);
// After the report is stored: opens the proposed incident with its reports (history and
// IncidentOpened).
void open_proposed_incident(Tickets& tickets, const domain::IntakePolicy& policy,
                            const v1::Unit& unit, const v1::Ticket& t, const std::string& actor,
                            const IncidentLink& link);

}  // namespace aftercare::intake::app
