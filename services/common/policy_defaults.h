// The platform defaults of the per-project policy sections owned by dispatch, callback, loyalty
// and billing (DOMAIN). Intake stores a project's overrides and answers GetPolicy with the
// effective values, so it needs the defaults too; a unit test keeps this list equal to each
// service's own domain defaults.
#pragma once

#include "aftercare/v1/common.pb.h"

namespace aftercare::kit {

// Sets every field the project did not override to its platform default.
void fill_platform_defaults(aftercare::v1::Policy* policy);

}  // namespace aftercare::kit
