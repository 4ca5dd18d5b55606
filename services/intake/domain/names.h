// Public names of the contract's enums (TICKET_KIND_REPAIR <-> "repair"): the kit's one set
// (common/enum_names.h), named in intake's domain.
#pragma once

#include "aftercare/v1/common.pb.h"
#include "common/enum_names.h"

namespace aftercare::intake::domain {

using kit::parse_public_name;  // nullopt for unknown words and for "unspecified"
using kit::public_name;

}  // namespace aftercare::intake::domain
