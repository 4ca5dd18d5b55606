#include "gateway/authenticate.h"

#include <set>

namespace aftercare::gateway {
namespace {

constexpr kit::Roles kRoles = {kit::Role::owner,      kit::Role::agent,      kit::Role::verifier,
                               kit::Role::dispatcher, kit::Role::crew,       kit::Role::contractor,
                               kit::Role::builder,    kit::Role::supervisor, kit::Role::finance,
                               kit::Role::admin,      kit::Role::hq};  // issue 20: reads every
                                                                       // project, writes nothing

}  // namespace

bool known_role(const std::string& role) {
  return kRoles.contains(kit::role_from_name(role));
}

kit::Caller caller_of(const Claims& c) {
  return {c.sub, kit::role_from_name(c.role), c.projects, c.units, c.party_id};
}

std::variant<kit::Caller, HttpResponse> authenticate(const std::string& authorization,
                                                     const std::string& secret,
                                                     std::chrono::system_clock::time_point now) {
  if (!authorization.starts_with("Bearer "))
    return error_response(401, "unauthenticated", "missing bearer token");
  std::string why;
  auto claims = verify_token(secret, authorization.substr(7), now, &why);
  if (!claims) return error_response(401, "unauthenticated", why);
  if (!known_role(claims->role))
    return error_response(401, "unauthenticated", "unknown role in token");
  return caller_of(*claims);
}

std::optional<HttpResponse> admit(const kit::Caller& caller, const RateCheck& check) {
  int retry_after = 1;
  if (check(caller.sub.empty() ? "anonymous" : caller.sub, &retry_after)) return std::nullopt;
  auto res = error_response(429, "rate_limited",
                            "too many requests, retry after " + std::to_string(retry_after) + " s");
  res.set_header("Retry-After", std::to_string(retry_after));
  return res;
}

}  // namespace aftercare::gateway
