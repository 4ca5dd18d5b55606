// What callback does with other services' events (it runs inside the kit consumer's inbox
// transaction, so each event applies once; the UNIQUE source keys make a re-published copy with
// a new event_id harmless too):
// - dispatch.WorkOrderSignedOff -> one repair callback per work order (2 / 3 / 7 days).
// - dispatch.WorkOrderCreated (origin rework) -> the requested rework reached the repair side.
// - intake.TicketResolved (complaints) -> one callback per resolution.
// - intake.UnitUpserted / ProjectUpserted / PolicyUpdated -> projections (handover dates and
//   owners, time zones, per-project policy).
// - Owner outreach (app/outreach.h): dispatch.WorkOrderScheduled, AppointmentReminderDue,
//   TechnicianLate, QuoteIssued, WorkOrderCompleted; intake.DeadlineExtended;
//   billing.PaymentReminderDue, InvoiceOverdue -> one message to the owner each (TicketOpened and
//   WorkOrderCreated keep the projections that find the owner).
// Other event types are skipped.
#pragma once

#include <functional>
#include <optional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "aftercare/v1/events.pb.h"
#include "callback/store/callback_store.h"
#include "common/outbox.h"

namespace aftercare::callback {

using Clock = std::function<absl::Time()>;

// Consumer group names (and inbox keys).
inline constexpr const char* kDispatchConsumer = "callback.dispatch";
inline constexpr const char* kIntakeConsumer = "callback.intake";
inline constexpr const char* kBillingConsumer = "callback.billing";

// Inserts the callback unless its source key exists, and writes CallbackScheduled in the same
// transaction. Returns the new callback, or nullopt when it existed already.
std::optional<aftercare::v1::Callback> schedule_callback(pqxx::transaction_base& tx,
                                                         const kit::Outbox& outbox,
                                                         const store::NewCallback& callback);

class EventApplier {
 public:
  explicit EventApplier(
      const kit::Outbox& outbox, Clock clock = [] { return absl::Now(); })
      : outbox_(outbox), clock_(std::move(clock)) {}

  // The kit::EventHandler. Throws std::invalid_argument for an event it cannot use (it is
  // retried, then dead-lettered: never silently dropped).
  void operator()(pqxx::work& tx, const aftercare::v1::Event& event) const;

 private:
  void work_order_signed_off(pqxx::work& tx, const aftercare::v1::Event& event) const;
  void work_order_created(pqxx::work& tx, const aftercare::v1::Event& event) const;
  void ticket_resolved(pqxx::work& tx, const aftercare::v1::Event& event) const;
  void unit_upserted(pqxx::work& tx, const aftercare::v1::Event& event) const;
  void project_upserted(pqxx::work& tx, const aftercare::v1::Event& event) const;
  void policy_updated(pqxx::work& tx, const aftercare::v1::Event& event) const;

  const kit::Outbox& outbox_;
  Clock clock_;
};

}  // namespace aftercare::callback
