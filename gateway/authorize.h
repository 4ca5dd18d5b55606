// Stage 2: may this caller use this route? The route's roles (403), and for the two hand-written
// routes their own rules. Scoping to projects and units is the services' (they re-check the
// caller); the gateway refuses only what it can tell from the token.
#pragma once

#include <optional>
#include <string>

#include "common/call.h"
#include "gateway/http_message.h"
#include "gateway/route.h"

namespace aftercare::gateway {

std::optional<HttpResponse> authorize(const Route& route, const kit::Caller& caller);

// Partner feeds are for partners (and admins, for support): any other role is refused as a
// role; a partner asking for another party's feed learns nothing about it (404).
std::optional<HttpResponse> authorize_partner_feed(const kit::Caller& caller,
                                                   const std::string& party_id);

// The KPI report: supervisors, finance, admins and hq (the project is checked after the period,
// so a malformed period is a 400 whoever asks).
std::optional<HttpResponse> authorize_report(const kit::Caller& caller);
// 404 for a project outside the caller's token.
std::optional<HttpResponse> authorize_project(const kit::Caller& caller,
                                              const std::string& project_id);

}  // namespace aftercare::gateway
