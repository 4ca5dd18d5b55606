// Who may do what in callback: each capability's roles, listed once. "service" is another
// AfterCare service acting on its own behalf; hq reads figures and writes nothing (issue 20).
#pragma once

#include "common/call.h"

namespace aftercare::callback {

using kit::Role;

// Agents call owners back, supervisors review; admins may stand in for either. They also read
// survey campaigns and owners' messages of their projects.
inline constexpr kit::Roles kCallbackStaff{Role::agent, Role::supervisor, Role::admin};
// Survey campaigns are started by supervisors and admins.
inline constexpr kit::Roles kCampaignStarters{Role::supervisor, Role::admin};
// Callback statistics: managers, finance, headquarters and other services.
inline constexpr kit::Roles kStatsReaders{Role::supervisor, Role::finance, Role::admin, Role::hq,
                                          Role::service};

inline bool is_callback_staff(const kit::Caller& c) {
  return c.is_any(kCallbackStaff);
}

}  // namespace aftercare::callback
