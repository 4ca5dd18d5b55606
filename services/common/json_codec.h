// JSON <-> protobuf with the public contract's conventions (DESIGN "Public HTTP API"):
// snake_case names as in the .proto, enums as lower-case names without their type prefix
// ("TICKET_KIND_REPAIR" -> "repair"), int64 as JSON numbers (never strings), Timestamp as
// RFC 3339, aftercare.v1.Date as "YYYY-MM-DD", YearMonth as "YYYY-MM", and *_centi_m2 fields
// exposed as *_m2 numbers with up to 2 decimals. Decoding is strict: unknown fields, wrong types,
// unknown enum values and fractional integers are errors naming the field.
#pragma once

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>
#include <string>

namespace aftercare::kit {

nlohmann::json to_json(const google::protobuf::Message& message);

// Fills `message` from `json` (an object). `from_url`: values came from a path or query string,
// so numbers and booleans arrive as strings. Returns "" or an error naming the field.
std::string from_json(const nlohmann::json& json, google::protobuf::Message* message,
                      bool from_url = false);

// "repair" for TICKET_KIND_REPAIR of enum TicketKind.
std::string enum_public_name(const google::protobuf::EnumValueDescriptor& value);

}  // namespace aftercare::kit
