// Who may do what in dispatch: each capability's roles, listed once. "service" is another
// AfterCare service (or a sweeper) acting on its own behalf; it sees every project.
#pragma once

#include <string>

#include "aftercare/v1/dispatch.pb.h"
#include "common/call.h"

namespace aftercare::dispatch {

using kit::Role;

// The parties that do the work: the builder in warranty, in-house crews, contractors.
inline constexpr kit::Roles kPartners{Role::builder, Role::crew, Role::contractor};
// Property staff, who see every work order of their projects.
inline constexpr kit::Roles kStaff{Role::admin,    Role::dispatcher, Role::supervisor,
                                   Role::verifier, Role::agent,      Role::finance};
// Dispatchers (and admins) assign, reassign, book and register technicians and webhooks.
inline constexpr kit::Roles kDispatchers{Role::dispatcher, Role::admin};
// Parties are registered by admins or by another service.
inline constexpr kit::Roles kPartyRegistrars{Role::admin, Role::service};
// A party's event feed: the party itself, admins, another service.
inline constexpr kit::Roles kFeedReaders = kPartners | kit::Roles{Role::admin, Role::service};
// The verifier accepts finished work (and prices the rework); admins may stand in.
inline constexpr kit::Roles kVerifiers{Role::verifier, Role::admin};
// The maintenance side's sign-off of a finished order.
inline constexpr kit::Roles kMaintenanceSigners{Role::dispatcher, Role::supervisor, Role::admin,
                                                Role::service};
// Repair reports (a project's and the group's): managers, finance, dispatchers, headquarters.
inline constexpr kit::Roles kReportReaders{Role::supervisor, Role::finance, Role::admin,
                                           Role::dispatcher, Role::service, Role::hq};

inline bool is_partner(const kit::Caller& c) {
  return c.is_any(kPartners);
}
inline bool is_staff(const kit::Caller& c) {
  return c.is_any(kStaff);
}
inline bool is_dispatcher(const kit::Caller& c) {
  return c.is_any(kDispatchers);
}
// A dispatcher of the platform or another service (a sweeper, a consumer).
inline bool dispatches(const kit::Caller& c) {
  return is_dispatcher(c) || c.is(Role::service);
}
// Another service sees every project; a person the projects of their token.
inline bool in_scope(const kit::Caller& c, const std::string& project_id) {
  return c.is(Role::service) || c.sees_project(project_id);
}

// Staff of the project, the assigned party, the owner of the unit, or another service.
inline bool sees_order(const kit::Caller& c, const aftercare::v1::WorkOrder& o) {
  if (c.is(Role::service)) return true;
  if (is_staff(c)) return c.sees_project(o.project_id());
  if (is_partner(c)) return !c.party_id.empty() && c.party_id == o.party_id();
  if (c.is(Role::owner)) return c.owns_unit(o.unit_id());
  return false;
}

// The assigned party, or a dispatcher of the project.
inline bool acts_for_assignee(const kit::Caller& c, const aftercare::v1::WorkOrder& o) {
  if (c.is(Role::service)) return true;
  if (is_partner(c)) return !c.party_id.empty() && c.party_id == o.party_id();
  return is_dispatcher(c) && c.sees_project(o.project_id());
}

}  // namespace aftercare::dispatch
