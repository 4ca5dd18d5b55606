// Dispatch's transactional operations: each combines the domain rules with the store and writes
// its events (outbox + partner feeds) in the caller's transaction. Used by the gRPC handlers,
// the consumer of intake/callback events and the background workers.
#pragma once

#include <pqxx/pqxx>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/events.pb.h"
#include "common/consumer.h"
#include "common/outbox.h"
#include "common/pg.h"
#include "dispatch/app/reference_cache.h"
#include "dispatch/app/technician_event.h"
#include "dispatch/store/batch_store.h"
#include "dispatch/store/dispatch_store.h"

namespace aftercare::dispatch {

// Writes dispatch events: completes the envelope (id, type from the payload, time, project,
// aggregate = the work order, its version, trace), stores it in the outbox and appends the same
// envelope to the feed of each listed party, all in `tx`.
class EventWriter {
 public:
  explicit EventWriter(const kit::Outbox& outbox) : outbox_(outbox) {}
  std::string emit(pqxx::work& tx, const aftercare::v1::WorkOrder& order,
                   aftercare::v1::Event event, const std::vector<std::string>& feed_parties,
                   absl::Time now) const;
  // The rows emit() writes (the outbox row in the current trace), for a caller that writes them
  // together with others (store/batch_store.h).
  store::EventRow row(const aftercare::v1::WorkOrder& order, aftercare::v1::Event event,
                      const std::vector<std::string>& feed_parties, absl::Time now) const;
  // PartyUpserted (aggregate party_id; no feed).
  std::string emit_party(pqxx::work& tx, const aftercare::v1::Party& party, absl::Time now) const;

 private:
  const kit::Outbox& outbox_;
};

// Who asks for a technician and how.
struct TechnicianRequest {
  std::string technician_id;  // "" = automatic
  std::string reason;         // required to exceed a daily cap
  std::string assigned_by;    // sub of the caller; "" = automatic on creation
  bool may_exceed_cap = false;
};
struct TechnicianOutcome {
  std::string error;     // refused (FAILED_PRECONDITION): nothing changed
  bool changed = false;  // false: the order already had that technician that day
};

class Workflows {
 public:
  explicit Workflows(const kit::Outbox& outbox) : events_(outbox) {}
  const EventWriter& events() const { return events_; }

  // The consumer's handler for intake and callback events (inside the inbox transaction):
  // TicketOpened -> one work order per ticket (not for duplicates); PolicyUpdated -> policy;
  // ProjectUpserted -> the project's time zone (report periods);
  // TicketReopened / DeadlineExtended -> resolve deadlines; TicketCancelled / TicketsLinked ->
  // open orders cancelled; ReworkRequested -> a rework order linked to the original; a
  // TicketReopened without a callback (the owner called again) -> the same rework of the last
  // signed-off order. Other types are skipped. Throws (retry, then DLQ) on events it cannot
  // apply.
  void apply(pqxx::work& tx, const aftercare::v1::Event& event, absl::Time now);
  // The consumer's batch: the same effects as apply() of each event in order. The TicketOpened
  // events that follow each other are routed together (app/ticket_opening.cc): their tickets,
  // orders, events and feed appends each written by one statement, routing with the projects'
  // reference data held in the process (ReferenceCache).
  void apply_all(pqxx::work& tx, const std::vector<kit::FetchedEvent>& events, absl::Time now);

  // Inserts a new order for the ticket as routed and emits WorkOrderCreated (to the assignee's
  // feed and to routing.notify). `extra` may set links (rework_of, rerouted_from...) before the
  // insert. nullopt when an order with source_key exists already.
  std::optional<aftercare::v1::WorkOrder> create_order(
      pqxx::work& tx, const store::Ticket& ticket, const domain::Routing& routing,
      aftercare::v1::WorkOrderOrigin origin, const std::string& source_key, absl::Time now,
      const std::function<void(aftercare::v1::WorkOrder&)>& extra = {});

  // Replaces the locked builder order `from` by an order to the crew (small job) or contractor
  // (large job), links both, frees its appointment and emits WorkOrderRerouted. `from` becomes
  // rerouted, or stays declined when the builder declined.
  aftercare::v1::Reroute reroute(pqxx::work& tx, aftercare::v1::WorkOrder& from,
                                 aftercare::v1::RerouteReason reason, absl::Time now);

  // One sweep: every builder order late at as_of is rerouted exactly once, also when sweepers
  // run concurrently (rows are claimed FOR UPDATE SKIP LOCKED; the reroute source key is unique).
  std::vector<aftercare::v1::Reroute> reroute_late_builders(kit::PgPool& db, absl::Time as_of,
                                                            const std::string& project_id);

  // Emits AppointmentReminderDue for appointments whose reminder time has come; returns how many.
  int send_due_reminders(kit::PgPool& db, absl::Time now);

  // Cancels an open, locked order with its event.
  void cancel(pqxx::work& tx, aftercare::v1::WorkOrder& order, const std::string& reason,
              absl::Time now);

  // Puts a technician of the order's party on the locked, open order (automatic choice or a
  // named one, see domain/technicians.h), moves its appointment to that technician, records the
  // assignment on the order and publishes it. The party's technicians are locked, so concurrent
  // assignments never exceed a cap.
  TechnicianOutcome assign_technician(pqxx::work& tx, aftercare::v1::WorkOrder& order,
                                      const TechnicianRequest& request, absl::Time now);
  // After creation or reassignment of a crew/contractor order: the automatic choice when the
  // party has technicians; nobody fitting leaves the order without technician (logged).
  void auto_assign_technician(pqxx::work& tx, aftercare::v1::WorkOrder& order, absl::Time now);

  // Inspection defects (issue 19, app/rectification.cc): RectificationRequested -> a builder
  // order for the defect (ticket_id = defect_id); DefectClosed -> its open orders cancelled.
  void on_rectification_requested(pqxx::work& tx, const aftercare::v1::Event& event,
                                  absl::Time now);
  void on_defect_closed(pqxx::work& tx, const aftercare::v1::Event& event, absl::Time now);

  // Bumps version and updated_at, then writes the order.
  static void save(pqxx::work& tx, aftercare::v1::WorkOrder& order, absl::Time now);

 private:
  // TicketOpened events (each with its traceparent; "" = the current trace): the first delivery
  // of a ticket stores it and creates its order, a ticket known before is routed as
  // route_known_ticket does.
  void open_tickets(pqxx::work& tx, const std::vector<kit::FetchedEvent>& events, absl::Time now);
  void route_known_ticket(pqxx::work& tx, const aftercare::v1::Event& event, absl::Time now);
  // A new order for the ticket as routed, with its WorkOrderCreated, not yet written.
  struct DraftOrder {
    aftercare::v1::WorkOrder order;
    store::EventRow created;
  };
  DraftOrder draft_order(const store::Ticket& ticket, const domain::Routing& routing,
                         aftercare::v1::WorkOrderOrigin origin, absl::Time now,
                         const std::function<void(aftercare::v1::WorkOrder&)>& extra) const;
  void on_rework_requested(pqxx::work& tx, const aftercare::v1::Event& event, absl::Time now);
  void on_ticket_reopened(pqxx::work& tx, const aftercare::v1::Event& event, absl::Time now);
  // Issue 23: a report unlinked from a dismissed incident is dispatched on its own; an incident
  // reopened by an unsatisfied reporter sends its work order back as one rework.
  void on_ticket_unlinked(pqxx::work& tx, const aftercare::v1::Event& event, absl::Time now);
  void on_incident_reopened(pqxx::work& tx, const aftercare::v1::Event& event, absl::Time now);
  // A rework order redoing `original`, once per source key.
  void create_rework(pqxx::work& tx, const aftercare::v1::WorkOrder& original,
                     const std::string& source_key, absl::Time now);
  void on_resolve_due(pqxx::work& tx, const std::string& ticket_id, absl::Time resolve_due,
                      absl::Time now);
  void cancel_orders_of_ticket(pqxx::work& tx, const std::string& ticket_id,
                               const std::string& reason, bool only_unstarted, absl::Time now);

  EventWriter events_;
  ReferenceCache references_;
};

// Sets the order's technician and the local day it counts for; a change of technician is
// appended to technician_assignments (`entry` with technician ids, day and time filled in).
// Returns true when the technician changed.
bool set_order_technician(aftercare::v1::WorkOrder& order, const std::string& technician_id,
                          const std::string& day, aftercare::v1::TechnicianAssignment entry,
                          absl::Time now);
// YYYY-MM-DD of `t` in the project's time zone.
std::string local_day(pqxx::work& tx, const std::string& project_id, absl::Time t);
absl::TimeZone project_zone(pqxx::work& tx, const std::string& project_id);

// The current instant as stored (microseconds).
absl::Time now_micros();

}  // namespace aftercare::dispatch
