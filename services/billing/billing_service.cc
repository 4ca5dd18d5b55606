#include "billing/billing_service.h"

namespace aftercare::billing {
// The RPCs arrive with the billing issue; until then the generated base class refuses every call.
}  // namespace aftercare::billing
