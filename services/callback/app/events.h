// What callback does with other services' events: the event-handler table (app/events.cc), one
// function per payload case. It runs inside the kit consumer's inbox transaction, so each event
// applies once; the UNIQUE source keys make a re-published copy with a new event_id harmless too.
// - dispatch.WorkOrderSignedOff -> one repair callback per work order (2 / 3 / 7 days).
// - dispatch.WorkOrderCreated (origin rework) -> the requested rework reached the repair side.
// - intake.TicketResolved (complaints) -> one callback per resolution.
// - intake.UnitUpserted / ProjectUpserted / PolicyUpdated -> projections (handover dates and
//   owners, time zones, per-project policy).
// - Owner outreach (app/outreach.h): dispatch.WorkOrderScheduled, AppointmentReminderDue,
//   TechnicianLate, QuoteIssued, WorkOrderCompleted; intake.DeadlineExtended;
//   billing.PaymentReminderDue, InvoiceOverdue -> one message to the owner each (TicketOpened and
//   WorkOrderCreated keep the projections that find the owner).
// Other payload cases are skipped.
#pragma once

#include "aftercare/v1/events.pb.h"
#include "common/clock.h"
#include "common/outbox.h"

namespace aftercare::callback::app {

// Consumer group names (and inbox keys).
inline constexpr const char* kDispatchConsumer = "callback.dispatch";
inline constexpr const char* kIntakeConsumer = "callback.intake";
inline constexpr const char* kBillingConsumer = "callback.billing";

class EventApplier {
 public:
  explicit EventApplier(const kit::Outbox& outbox, kit::Clock clock = kit::system_clock())
      : outbox_(outbox), clock_(std::move(clock)) {}

  // The kit::EventHandler. Throws std::invalid_argument for an event it cannot use (it is
  // retried, then dead-lettered: never silently dropped).
  void operator()(pqxx::work& tx, const aftercare::v1::Event& event) const;

 private:
  const kit::Outbox& outbox_;
  kit::Clock clock_;
};

}  // namespace aftercare::callback::app
