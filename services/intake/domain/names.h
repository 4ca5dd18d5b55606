// Public names of the shared enums. The contract spells an enum value as the rest of its proto
// name in lower case (TICKET_KIND_REPAIR <-> "repair"); error messages and ticket history use the
// same spelling so an owner or agent reads the words they typed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/generated_enum_reflection.h>

#include "aftercare/v1/common.pb.h"
#include "common/input.h"

namespace aftercare::intake::domain {

// "repair" for TICKET_KIND_REPAIR; "unspecified" for 0; the number itself for a value the
// descriptor does not know (a newer client), so messages never lose information.
template <typename Enum>
std::string public_name(Enum value) {
  return kit::enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(),
                               static_cast<int>(value));
}

// The inverse of public_name; nullopt for unknown words and for "unspecified", which is never
// a valid input.
template <typename Enum>
std::optional<Enum> parse_public_name(std::string_view name) {
  auto number = kit::parse_enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(), name);
  if (!number) return std::nullopt;
  return static_cast<Enum>(*number);
}

}  // namespace aftercare::intake::domain
