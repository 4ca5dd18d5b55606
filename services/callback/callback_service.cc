#include "callback/callback_service.h"

namespace aftercare::callback {
// The RPCs arrive with the callback issue; until then the generated base class refuses every call.
}  // namespace aftercare::callback
