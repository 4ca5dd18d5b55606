// The event-handler table of intake: one function per payload case it acts on. Every handler
// runs on the ticket the event names, locked, inside the inbox transaction; the ticket is stored
// after it. An event that no longer fits the ticket's state (e.g. a late start after resolution)
// is recorded in the history and otherwise ignored: the ticket's own state machine wins.
#include <spdlog/spdlog.h>

#include <map>

#include "common/time.h"
#include "intake/app/app.h"
#include "intake/app/handover.h"
#include "intake/app/incidents.h"
#include "intake/app/ticket.h"
#include "intake/domain/names.h"
#include "intake/domain/progress.h"
#include "intake/domain/ticket_status.h"
#include "intake/domain/validation.h"
#include "intake/store/incident_store.h"

namespace aftercare::intake::app {
namespace {

using kit::from_timestamp;
using kit::to_timestamp;

// One event applied to its ticket.
struct Progress {
  const v1::Event& e;
  v1::Ticket& t;
  Tickets& tickets;
  const std::string actor;

  pqxx::work& tx() { return tickets.tx(); }
  void ignored(const Status& s) {
    tickets.history(t, actor, "event_ignored", e.type() + ": " + s.error_message());
  }
  // Moves the ticket to `to` unless it is there already; false when it did not move.
  bool advance(v1::TicketStatus to, const std::string& why) {
    if (t.status() == to) return false;
    Status s = tickets.move(t, to, actor, why);
    if (!s.ok()) ignored(s);
    return s.ok();
  }
};

void on_work_order_created(Progress& p) {
  const auto& w = p.e.work_order_created();
  store::set_assignee(p.tx(), p.t.ticket_id(), w.party_id());
  store::set_work_order(p.tx(), p.t.ticket_id(), w.work_order_id());  // an incident's lead's
  p.tickets.history(
      p.t, p.actor, "work_order_created",
      w.work_order_id() + " -> " + domain::public_name(w.assignee_kind()) + " " + w.party_id());
  if (p.t.status() == v1::TICKET_STATUS_OPEN || p.t.status() == v1::TICKET_STATUS_REOPENED)
    p.advance(v1::TICKET_STATUS_DISPATCHED, "work order " + w.work_order_id());
  else if (p.t.status() == v1::TICKET_STATUS_RESOLVED && !w.rework_of().empty())
    store::set_rework_waiting(p.tx(), p.t.ticket_id(), true);  // the reopening is on its way
}

void on_work_order_rerouted(Progress& p) {
  const auto& w = p.e.work_order_rerouted();
  store::set_assignee(p.tx(), p.t.ticket_id(), w.to_party_id());
  p.tickets.history(p.t, p.actor, "rerouted", w.from_party_id() + " -> " + w.to_party_id());
}

void on_work_order_reassigned(Progress& p) {
  const auto& w = p.e.work_order_reassigned();
  store::set_assignee(p.tx(), p.t.ticket_id(), w.to_party_id());
  p.tickets.history(p.t, p.actor, "reassigned", w.from_party_id() + " -> " + w.to_party_id());
}

// The repair side accepting or booking a visit is the owner's first contact (DOMAIN §1: an
// engineer contacts the owner within 1 working day to book a visit).
void first_contact(Progress& p, const char* what) {
  if (is_set(p.t.responded_at()) || !domain::is_active(p.t.status())) return;
  absl::Time now = p.tickets.now();
  *p.t.mutable_responded_at() = to_timestamp(now);
  p.tickets.history(p.t, p.actor, "responded", std::string("repair side ") + what);
  p.tickets.responded(p.t, now, p.actor);
}
void on_work_order_accepted(Progress& p) {
  first_contact(p, "accepted");
}
void on_work_order_scheduled(Progress& p) {
  first_contact(p, "booked a visit");
}

void on_work_order_started(Progress& p) {
  if (p.t.status() == v1::TICKET_STATUS_DISPATCHED || p.t.status() == v1::TICKET_STATUS_REOPENED)
    p.advance(v1::TICKET_STATUS_IN_PROGRESS, "work started");
}

void on_work_order_signed_off(Progress& p) {
  const auto& w = p.e.work_order_signed_off();
  if (!w.work_order_id().empty() &&
      store::resolved_from_callback(p.tx(), p.t.ticket_id()) == w.work_order_id()) {
    // Its callback came first and already resolved the ticket: nothing more to do.
    store::set_resolved_from_callback(p.tx(), p.t.ticket_id(), "");
    p.tickets.history(p.t, p.actor, "signed_off",
                      "work order " + w.work_order_id() + " (already applied)");
    return;
  }
  std::string why = "work order " + w.work_order_id() + " signed off";
  if (w.has_owner_on_behalf()) {  // issue 23: an owner without the app
    why += " (the owner's signature by " + domain::public_name(w.owner_on_behalf().method()) +
           ", recorded by " + w.owner_recorded_by() + ")";
  }
  if (p.advance(v1::TICKET_STATUS_RESOLVED, why)) {
    if (w.has_signed_off_at()) *p.t.mutable_resolved_at() = w.signed_off_at();
    p.tickets.resolved(p.t, "work order " + w.work_order_id() + " signed off", w.work_order_id());
  }
}

void on_callback_recorded(Progress& p) {
  const auto& c = p.e.callback_recorded();
  domain::CallbackEffects effects = domain::effects_of_callback(p.t.status(), c);
  if (effects.resolve_first &&
      p.advance(v1::TICKET_STATUS_RESOLVED,
                "work order " + c.work_order_id() + " signed off (learnt from its callback)")) {
    p.tickets.resolved(p.t, "work order " + c.work_order_id() + " signed off", c.work_order_id());
    store::set_resolved_from_callback(p.tx(), p.t.ticket_id(), c.work_order_id());
  }
  if (effects.reopen) {
    auto project = store::find_project(p.tx(), p.t.project_id());
    Status s = p.tickets.reopen(p.t, load_rules(p.tx(), *project, p.tickets.now()), p.actor,
                                "unsatisfied callback " + c.callback_id(), c.callback_id());
    if (!s.ok()) p.ignored(s);
    // Issue 23: a report resolved with its incident reopens the incident (once) and its work
    // order goes back as one rework.
    if (s.ok() && !p.t.incident_id().empty())
      incident_after_unsatisfied(p.tickets, p.t, c.callback_id(), p.actor);
    if (s.ok() && store::rework_waiting(p.tx(), p.t.ticket_id())) {
      store::set_rework_waiting(p.tx(), p.t.ticket_id(), false);
      p.advance(v1::TICKET_STATUS_DISPATCHED, "rework order created before the reopening arrived");
    }
  } else if (effects.close) {
    if (p.advance(v1::TICKET_STATUS_CLOSED,
                  "callback " + c.callback_id() + " " + domain::public_name(c.satisfaction())))
      p.tickets.closed(p.t, "callback " + domain::public_name(c.satisfaction()), c.callback_id());
  }
}

// Issue 23: the owner approved the repair plan (in person, or recorded by staff for them).
void on_plan_approved(Progress& p) {
  const auto& a = p.e.plan_approved();
  std::string how = a.has_on_behalf() ? " (the owner's approval by " +
                                            domain::public_name(a.on_behalf().method()) +
                                            ", recorded by " + a.recorded_by() + ")"
                                      : " (by the owner)";
  p.tickets.history(p.t, p.actor, "plan_approved",
                    "repair plan of work order " + a.work_order_id() + " approved" + how);
}

struct Handler {
  const std::string& (*ticket_id)(const v1::Event&);
  void (*apply)(Progress&);
};

const std::map<v1::Event::PayloadCase, Handler>& handlers() {
  using E = v1::Event;
  static const std::map<E::PayloadCase, Handler> table = {
      {E::kWorkOrderCreated, {[](const E& e) -> auto& {return e.work_order_created().ticket_id();
}
, on_work_order_created
}  // namespace
}  // namespace aftercare::intake::app
, {E::kWorkOrderStarted, {[](const E& e) -> auto& {return e.work_order_started().ticket_id();
}
, on_work_order_started
}
}
, {E::kWorkOrderAccepted, {[](const E& e) -> auto& {return e.work_order_accepted().ticket_id();
}
, on_work_order_accepted
}
}
, {E::kWorkOrderScheduled, {[](const E& e) -> auto& {return e.work_order_scheduled().ticket_id();
}
, on_work_order_scheduled
}
}
, {E::kWorkOrderSignedOff, {[](const E& e) -> auto& {return e.work_order_signed_off().ticket_id();
}
, on_work_order_signed_off
}
}
, {E::kWorkOrderRerouted, {[](const E& e) -> auto& {return e.work_order_rerouted().ticket_id();
}
, on_work_order_rerouted
}
}
, {E::kWorkOrderReassigned, {[](const E& e) -> auto& {return e.work_order_reassigned().ticket_id();
}
, on_work_order_reassigned
}
}
, {E::kCallbackRecorded, {[](const E& e) -> auto& {return e.callback_recorded().ticket_id();
}
, on_callback_recorded
}
}
, {E::kPlanApproved, {[](const E& e) -> auto& {return e.plan_approved().ticket_id();
}
, on_plan_approved
}
}
,
}
;
return table;
}

}  // namespace

void apply_event(pqxx::work& tx, const kit::Outbox& outbox, absl::Time now, const v1::Event& e) {
  if (apply_defect_event(tx, outbox, now, e)) return;  // an inspection defect's order (issue 19)
  auto handler = handlers().find(e.payload_case());
  if (handler == handlers().end()) return;  // not ours to act on
  const std::string& ticket_id = handler->second.ticket_id(e);
  if (!domain::check_uuid(ticket_id, "ticket_id").empty()) return;
  auto found = store::find_ticket(tx, ticket_id, /*for_update=*/true);
  if (!found) {
    spdlog::warn("{} for unknown ticket {}", e.type(), ticket_id);
    return;
  }
  v1::Ticket t = *found;
  Tickets tickets(tx, outbox, now);
  Progress progress{e, t, tickets,
                    "service:" + (e.producer().empty() ? std::string("event") : e.producer())};
  handler->second.apply(progress);
  store::update_ticket(tx, t);
}

}  // namespace aftercare::intake::app
