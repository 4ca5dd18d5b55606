// Public (and database) names of enum values: the rest of the proto name in lower case
// (INVOICE_STATUS_PARTIALLY_PAID <-> "partially_paid"), the vocabulary of the HTTP contract.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/generated_enum_reflection.h>

#include "aftercare/v1/billing.pb.h"
#include "common/input.h"

namespace aftercare::billing::domain {

// "paid" for INVOICE_STATUS_PAID; "unspecified" for 0; the number for an unknown value.
template <typename Enum>
std::string public_name(Enum value) {
  return kit::enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(),
                               static_cast<int>(value));
}

// The inverse; nullopt for unknown words and for "unspecified".
template <typename Enum>
std::optional<Enum> parse_public_name(std::string_view name) {
  auto number = kit::parse_enum_public_name(*google::protobuf::GetEnumDescriptor<Enum>(), name);
  if (!number) return std::nullopt;
  return static_cast<Enum>(*number);
}

}  // namespace aftercare::billing::domain
