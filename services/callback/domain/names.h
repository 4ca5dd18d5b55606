// Public names of the contract's enums (CALLBACK_REASON_REPAIR_COMPLETED <-> "repair_completed"):
// the kit's one set (common/enum_names.h), named in callback's domain. The callback tables store
// these names so an operator reading SQL sees words, not numbers.
#pragma once

#include "common/enum_names.h"

namespace aftercare::callback::domain {

using kit::public_name;

// Callback's stored columns and filters read "" and "unspecified" as the zero value.
template <typename Enum>
std::optional<Enum> parse_public_name(std::string_view name) {
  return kit::parse_public_name_or_zero<Enum>(name);
}

}  // namespace aftercare::callback::domain
