// The dispatch.TechnicianAssigned event's payload, filled from the order and its assignment.
#pragma once

#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/events.pb.h"

namespace aftercare::dispatch {

inline void fill_technician_assigned(aftercare::v1::Event& event, const aftercare::v1::WorkOrder& o,
                                     const aftercare::v1::TechnicianAssignment& a) {
  auto* p = event.mutable_technician_assigned();
  p->set_work_order_id(o.work_order_id());
  p->set_ticket_id(o.ticket_id());
  p->set_party_id(o.party_id());
  p->set_technician_id(a.technician_id());
  p->set_previous_technician_id(a.previous_technician_id());
  p->set_automatic(a.automatic());
  p->set_over_cap(a.over_cap());
  p->set_reason(a.reason());
  p->set_day(a.day());
}

}  // namespace aftercare::dispatch
