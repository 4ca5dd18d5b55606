// Booking an order's appointment: the store's exclusion constraint has the last word, and an
// overlap is the caller's FAILED_PRECONDITION.
#pragma once

#include <pqxx/pqxx>

#include <string>

#include "absl/time/time.h"
#include "common/refusal.h"
#include "dispatch/domain/work_order.h"
#include "dispatch/store/dispatch_store.h"

namespace aftercare::dispatch {

// Books or moves the appointment of `work_order_id` on `resource` (a technician or party);
// refuses (FAILED_PRECONDITION, rolling `tx` back) when it overlaps another of the resource's.
inline void book_appointment(pqxx::work& tx, const std::string& work_order_id,
                             const std::string& resource, const domain::Window& window,
                             absl::Time reminder_due) {
  if (!store::put_appointment(tx, work_order_id, resource, window, reminder_due))
    throw kit::failed_precondition("the appointment overlaps another appointment of " + resource);
}

}  // namespace aftercare::dispatch
