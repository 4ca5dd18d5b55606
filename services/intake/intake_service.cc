#include "intake/intake_service.h"

namespace aftercare::intake {
// The RPCs arrive with the intake issue; until then the generated base class refuses every call.
}  // namespace aftercare::intake
