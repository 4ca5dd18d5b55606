// The OpenAPI 3.0 document of the public HTTP API, generated from the route table (routes()) and
// the protobuf descriptors of each route's request and response messages, with json_codec's
// conventions (enums as lower-case names, int64 as integers, Timestamp as date-time, Date as
// date, YearMonth as YYYY-MM, *_centi_m2 as *_m2 numbers). Served at GET /openapi.json; a copy is
// kept in the repo at gateway/openapi.json (`aftercare-gateway --print-openapi`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace aftercare::gateway {

nlohmann::json openapi_document();

// The document as committed in gateway/openapi.json: 2-space indent and a final newline.
std::string openapi_text();

}  // namespace aftercare::gateway
