#include "loyalty/loyalty_service.h"

namespace aftercare::loyalty {
// The RPCs arrive with the loyalty issue; until then the generated base class refuses every call.
}  // namespace aftercare::loyalty
