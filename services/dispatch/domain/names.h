// Public names of the shared enums, as the contract spells them (PARTY_KIND_BUILDER <-> "builder",
// WORK_ORDER_STATUS_IN_PROGRESS <-> "in_progress"). Error messages, SQL columns and logs use the
// same words, so a partner reads the status it sees in the API.
#pragma once

#include <google/protobuf/generated_enum_reflection.h>

#include <optional>
#include <string>
#include <string_view>

#include "aftercare/v1/common.pb.h"
#include "common/input.h"

namespace aftercare::dispatch::domain {

// "builder" for PARTY_KIND_BUILDER; "unspecified" for 0; the number for an unknown value.
template <typename Enum>
std::string public_name(Enum value) {
  return kit::enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(),
                               static_cast<int>(value));
}

// The inverse of public_name; nullopt for unknown words and for "unspecified".
template <typename Enum>
std::optional<Enum> parse_public_name(std::string_view name) {
  auto number = kit::parse_enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(), name);
  if (!number) return std::nullopt;
  return static_cast<Enum>(*number);
}

// "one of builder, crew, contractor": the valid words of an enum, for error messages.
template <typename Enum>
std::string one_of() {
  const auto* descriptor = google::protobuf::GetEnumDescriptor<Enum>();
  std::string out = "one of ";
  bool first = true;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    int number = descriptor->value(i)->number();
    if (number == 0) continue;
    out += (first ? "" : ", ") + kit::enum_public_name(*descriptor, number);
    first = false;
  }
  return out;
}

}  // namespace aftercare::dispatch::domain
