#include "gateway/authorize.h"

namespace aftercare::gateway {

std::optional<HttpResponse> authorize(const Route& route, const kit::Caller& caller) {
  // Headquarters reads and never writes (issue 20), whatever a route's own roles say.
  if (caller.is(kit::Role::hq) && route.method != "GET")
    return error_response(
        403, "permission_denied",
        "role hq reads only and may not call " + route.method + " " + route.pattern);
  if (route.roles.empty() || route.roles.contains(caller.role)) return std::nullopt;
  return error_response(
      403, "permission_denied",
      "role " + caller.role_name() + " may not call " + route.method + " " + route.pattern);
}

std::optional<HttpResponse> authorize_partner_feed(const kit::Caller& caller,
                                                   const std::string& party_id) {
  bool partner = caller.is(kit::Role::builder) || caller.is(kit::Role::crew) ||
                 caller.is(kit::Role::contractor);
  if (!partner && !caller.is(kit::Role::admin))
    return error_response(403, "permission_denied",
                          "role " + caller.role_name() + " may not read partner event streams");
  if (partner && caller.party_id != party_id)
    return error_response(404, "not_found", "party " + party_id + " not found");
  return std::nullopt;
}

std::optional<HttpResponse> authorize_report(const kit::Caller& caller) {
  if (!caller.is(kit::Role::supervisor) && !caller.is(kit::Role::finance) &&
      !caller.is(kit::Role::admin) && !caller.is(kit::Role::hq))
    return error_response(403, "permission_denied",
                          "reports are for supervisors, finance, admins and hq");
  return std::nullopt;
}

std::optional<HttpResponse> authorize_project(const kit::Caller& caller,
                                              const std::string& project_id) {
  if (!caller.sees_project(project_id))
    return error_response(404, "not_found", "project " + project_id + " not found");
  return std::nullopt;
}

}  // namespace aftercare::gateway
