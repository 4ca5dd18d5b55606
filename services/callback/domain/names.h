// Public names of the shared enums: the contract spells an enum value as the rest of its proto
// name in lower case (CALLBACK_REASON_REPAIR_COMPLETED <-> "repair_completed"). The callback
// tables store these names so an operator reading SQL sees words, not numbers.
#pragma once

#include <google/protobuf/generated_enum_reflection.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/input.h"

namespace aftercare::callback::domain {

// "repair_completed" for CALLBACK_REASON_REPAIR_COMPLETED; "unspecified" for 0; the number for a
// value the descriptor does not know.
template <typename Enum>
std::string public_name(Enum value) {
  return kit::enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(),
                               static_cast<int>(value));
}

// The inverse of public_name; "unspecified" and "" give the zero value, unknown words nullopt.
template <typename Enum>
std::optional<Enum> parse_public_name(std::string_view name) {
  if (name.empty() || name == "unspecified") return static_cast<Enum>(0);
  auto number = kit::parse_enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(), name);
  if (!number) return std::nullopt;
  return static_cast<Enum>(*number);
}

}  // namespace aftercare::callback::domain
