// Who may do what in intake. "service" is another AfterCare service acting on its own behalf.
#pragma once

#include <set>
#include <string>

#include "aftercare/v1/intake.pb.h"
#include "common/call.h"

namespace aftercare::intake {

inline constexpr kit::Roles kStaff = {
    kit::Role::agent,   kit::Role::verifier, kit::Role::dispatcher, kit::Role::supervisor,
    kit::Role::finance, kit::Role::admin,    kit::Role::service};
inline constexpr kit::Roles kTicketEditors = {kit::Role::agent, kit::Role::supervisor,
                                              kit::Role::admin, kit::Role::service};
inline constexpr kit::Roles kRegistryWriters = {kit::Role::admin};
// Merge and split re-shape the service archive: agents and their supervisors only.
inline constexpr kit::Roles kMergers = {kit::Role::agent, kit::Role::supervisor, kit::Role::admin};
// Besides owners (their units' tickets), the staff who add photos and documents.
inline constexpr kit::Roles kAttachmentStaff = {kit::Role::agent, kit::Role::supervisor,
                                                kit::Role::admin, kit::Role::dispatcher};
// Owners may withdraw their own reports.
inline constexpr kit::Roles kCancellers = {kit::Role::agent, kit::Role::supervisor,
                                           kit::Role::admin, kit::Role::service, kit::Role::owner};
inline constexpr kit::Roles kEscalators = {kit::Role::supervisor, kit::Role::admin};

inline bool has_role(const kit::Caller& c, kit::Roles roles) {
  return roles.contains(c.role);
}

// Staff see their projects; services see everything.
inline bool staff_sees(const kit::Caller& c, const std::string& project_id) {
  return kStaff.contains(c.role) && (c.is(kit::Role::service) || c.sees_project(project_id));
}

// Who reads a project's ticket KPIs (MonthlyStats, GroupStats): its staff, and hq (issue 20).
inline bool sees_project_stats(const kit::Caller& c, const std::string& project_id) {
  return (c.is(kit::Role::hq) && c.sees_project(project_id)) || staff_sees(c, project_id);
}

// Owners see the tickets of their units; staff those of their projects.
inline bool sees_ticket(const kit::Caller& c, const v1::Ticket& t) {
  if (c.is(kit::Role::owner)) return c.owns_unit(t.unit_id());
  return staff_sees(c, t.project_id());
}

}  // namespace aftercare::intake
