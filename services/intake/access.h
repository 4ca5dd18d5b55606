// Who may do what in intake. "service" is another AfterCare service acting on its own behalf.
#pragma once

#include <set>
#include <string>

#include "aftercare/v1/intake.pb.h"
#include "common/call.h"

namespace aftercare::intake {

inline const std::set<std::string> kStaff = {"agent",   "verifier", "dispatcher", "supervisor",
                                             "finance", "admin",    "service"};
inline const std::set<std::string> kTicketEditors = {"agent", "supervisor", "admin", "service"};
inline const std::set<std::string> kRegistryWriters = {"admin"};
// Merge and split re-shape the service archive: agents and their supervisors only.
inline const std::set<std::string> kMergers = {"agent", "supervisor", "admin"};
// Besides owners (their units' tickets), the staff who add photos and documents.
inline const std::set<std::string> kAttachmentStaff = {"agent", "supervisor", "admin",
                                                       "dispatcher"};
// Owners may withdraw their own reports.
inline const std::set<std::string> kCancellers = {"agent", "supervisor", "admin", "service",
                                                  "owner"};
inline const std::set<std::string> kEscalators = {"supervisor", "admin"};

inline bool has_role(const kit::Caller& c, const std::set<std::string>& roles) {
  return roles.contains(c.role);
}

// Staff see their projects; services see everything.
inline bool staff_sees(const kit::Caller& c, const std::string& project_id) {
  return kStaff.contains(c.role) && (c.is("service") || c.sees_project(project_id));
}

// Who reads a project's ticket KPIs (MonthlyStats, GroupStats): its staff, and hq (issue 20).
inline bool sees_project_stats(const kit::Caller& c, const std::string& project_id) {
  return (c.is("hq") && c.sees_project(project_id)) || staff_sees(c, project_id);
}

// Owners see the tickets of their units; staff those of their projects.
inline bool sees_ticket(const kit::Caller& c, const v1::Ticket& t) {
  if (c.is("owner")) return c.owns_unit(t.unit_id());
  return staff_sees(c, t.project_id());
}

}  // namespace aftercare::intake
