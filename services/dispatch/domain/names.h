// Public names of the contract's enums (TICKET_KIND_REPAIR <-> "repair"): the kit's one set
// (common/enum_names.h), named in dispatch's domain.
#pragma once

#include "aftercare/v1/common.pb.h"
#include "common/enum_names.h"

namespace aftercare::dispatch::domain {

using kit::parse_public_name;  // nullopt for unknown words and for "unspecified"
using kit::public_name;

// "one of builder, crew, contractor": the valid words of an enum, for error messages.
template <typename Enum>
std::string one_of() {
  return kit::one_of_public_names<Enum>();
}

}  // namespace aftercare::dispatch::domain
