// The route table's row type: one fixed or added route of the public API (gateway/routes.cc).
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/role.h"

namespace aftercare::gateway {

// One fixed or added route.
struct Route {
  std::string method;        // GET PUT POST
  std::string pattern;       // /v1/tickets/{ticket_id}
  std::string rpc;           // aftercare.v1.IntakeService.GetTicket
  kit::Roles roles = {};     // empty = any signed-in caller (the service scopes)
  int created_status = 200;  // 201 for creates
  bool idempotent_create = false;
  std::string owner_param = {};  // owners may only use their own id in this path parameter
  std::map<std::string, std::string> renames = {};  // path/query name -> request field name
  size_t max_body_bytes = 0;                        // 0 = GatewayConfig::max_body_bytes
  // No JWT: the caller is a provider that signs its body (X-AfterCare-Signature); the raw body
  // and the header go to the service as fields raw_body and signature, the path parameters as
  // usual. The service checks the signature.
  bool provider_signed = false;
};

const std::vector<Route>& routes();

// The KPI report's sections (DOMAIN §6): section name -> the gRPC method of the service that
// reports those figures.
const std::vector<std::pair<std::string, std::string>>& report_sections();

}  // namespace aftercare::gateway
