// What a callback's outcome does to its ticket (DOMAIN §3): a pure decision that returns its
// effects; app/events.cc applies them.
//
// Rules:
// - An unreached callback changes nothing.
// - Callbacks are scheduled when a work order is signed off, so a reached callback about a work
//   order whose ticket is still dispatched or in progress means the sign-off event is behind
//   (another topic): the ticket is resolved from the callback first and that sign-off is skipped
//   when it arrives.
// - Unsatisfied: the ticket is reopened (a new report of the issue). Satisfied or basically
//   satisfied: the ticket is closed.
#pragma once

#include "aftercare/v1/events.pb.h"
#include "aftercare/v1/intake.pb.h"

namespace aftercare::intake::domain {

struct CallbackEffects {
  bool resolve_first = false;  // resolve from the callback, remember to skip the sign-off
  bool reopen = false;
  bool close = false;
};
CallbackEffects effects_of_callback(v1::TicketStatus status, const v1::CallbackRecorded& c);

}  // namespace aftercare::intake::domain
