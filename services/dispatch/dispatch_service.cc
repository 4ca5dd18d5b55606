#include "dispatch/dispatch_service.h"

namespace aftercare::dispatch {
// The RPCs arrive with the dispatch issue; until then the generated base class refuses every call.
}  // namespace aftercare::dispatch
