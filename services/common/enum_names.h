// Public names of the contract's enums: the rest of the proto name in lower case
// (INVOICE_STATUS_PARTIALLY_PAID <-> "partially_paid", PARTY_KIND_BUILDER <-> "builder"). The
// HTTP contract, error messages, history, logs and the SQL columns use the same words, so an
// owner, agent or partner reads what they typed or saw. One set for every service (issue 24;
// billing, callback, dispatch and intake each had a names.h).
#pragma once

#include <google/protobuf/generated_enum_reflection.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/input.h"

namespace aftercare::kit {

// "repair" for TICKET_KIND_REPAIR; "unspecified" for 0; the number itself for a value the
// descriptor does not know (a newer client), so messages never lose information.
template <typename Enum>
std::string public_name(Enum value) {
  return enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(), static_cast<int>(value));
}

// The inverse of public_name; nullopt for unknown words and for "unspecified", which is never a
// valid input.
template <typename Enum>
std::optional<Enum> parse_public_name(std::string_view name) {
  auto number = parse_enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(), name);
  if (!number) return std::nullopt;
  return static_cast<Enum>(*number);
}

// As parse_public_name, but "" and "unspecified" read as the zero value: for stored columns and
// filters where "not set" is a value (callback's tables).
template <typename Enum>
std::optional<Enum> parse_public_name_or_zero(std::string_view name) {
  if (name.empty() || name == "unspecified") return static_cast<Enum>(0);
  return parse_public_name<Enum>(name);
}

// "" for a known, specified enum value; else "kind must be one of repair, complaint, ...".
template <typename Enum>
std::string check_enum(Enum value, std::string_view field) {
  return check_enum_value(*google::protobuf::GetEnumDescriptor<Enum>(), static_cast<int>(value),
                          field);
}

// "one of builder, crew, contractor": the valid words of an enum, for error messages.
template <typename Enum>
std::string one_of_public_names() {
  const auto* descriptor = google::protobuf::GetEnumDescriptor<Enum>();
  std::string out = "one of ";
  bool first = true;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    int number = descriptor->value(i)->number();
    if (number == 0) continue;
    out += (first ? "" : ", ") + enum_public_name(*descriptor, number);
    first = false;
  }
  return out;
}

}  // namespace aftercare::kit
