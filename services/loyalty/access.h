// Who may do what in loyalty: each capability's roles, listed once. "service" is another
// AfterCare service acting on its own behalf; hq reads reports and writes nothing (issue 20).
#pragma once

#include "common/call.h"

namespace aftercare::loyalty {

using kit::Role;

// Staff who change members' points (earn by hand, adjust, redeem at the desk).
inline constexpr kit::Roles kPointsWriters{Role::agent, Role::supervisor, Role::admin,
                                           Role::service};
// Staff who read members and their projects' statements: the writers and finance.
inline constexpr kit::Roles kMemberReaders = kPointsWriters | kit::Roles{Role::finance};
// A project's points summary: managers, finance, headquarters and other services.
inline constexpr kit::Roles kSummaryReaders{Role::supervisor, Role::finance, Role::admin,
                                            Role::service, Role::hq};
// The expiry sweep on demand: admins and other services.
inline constexpr kit::Roles kExpiryRunners{Role::admin, Role::service};

}  // namespace aftercare::loyalty
