#include "intake/domain/progress.h"

namespace aftercare::intake::domain {

CallbackEffects effects_of_callback(v1::TicketStatus status, const v1::CallbackRecorded& c) {
  CallbackEffects effects;
  if (!c.reached()) return effects;
  effects.resolve_first = !c.work_order_id().empty() && (status == v1::TICKET_STATUS_DISPATCHED ||
                                                         status == v1::TICKET_STATUS_IN_PROGRESS);
  effects.reopen = c.satisfaction() == v1::SATISFACTION_UNSATISFIED;
  effects.close = !effects.reopen && c.satisfaction() != v1::SATISFACTION_UNSPECIFIED;
  return effects;
}

}  // namespace aftercare::intake::domain
