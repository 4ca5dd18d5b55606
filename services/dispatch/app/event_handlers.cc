// Dispatch's handlers of intake and callback events (the consumer's table, apply) and the
// routing of new tickets in batches (issue 21: open_tickets).
#include <spdlog/spdlog.h>

#include <optional>
#include <set>

#include "common/trace.h"
#include "dispatch/app/workflows.h"
#include "dispatch/store/attachment_store.h"

namespace aftercare::dispatch {

using aftercare::v1::Event;
using aftercare::v1::WorkOrder;
using store::from_timestamp;
using store::to_timestamp;

void Workflows::apply(pqxx::work& tx, const Event& event, absl::Time now) {
  switch (event.payload_case()) {
    case Event::kTicketOpened:
      open_tickets(tx, {{&event, ""}}, now);
      return;
    case Event::kProjectUpserted: {
      const aftercare::v1::ProjectUpserted& p = event.project_upserted();
      std::string project = p.project_id().empty() ? event.project_id() : p.project_id();
      absl::TimeZone zone;
      // An unknown zone keeps the previous one (or the default) rather than blocking the topic.
      if (!p.timezone().empty() && absl::LoadTimeZone(p.timezone(), &zone)) {
        store::save_project_timezone(tx, project, p.timezone());
      } else {
        spdlog::warn("project {}: unknown time zone '{}' ignored", project, p.timezone());
      }
      return;
    }
    case Event::kPolicyUpdated: {
      const aftercare::v1::Policy& policy = event.policy_updated().policy();
      std::string project = policy.project_id().empty() ? event.project_id() : policy.project_id();
      domain::DispatchPolicy effective;
      std::string error = effective.apply_overrides(policy);
      if (!error.empty()) throw std::runtime_error("PolicyUpdated for " + project + ": " + error);
      aftercare::v1::DispatchPolicy stored;
      effective.to_proto(&stored);
      store::save_policy(tx, project, policy.version(), stored);
      return;
    }
    case Event::kTicketReopened:
      on_ticket_reopened(tx, event, now);
      return;
    case Event::kDeadlineExtended:
      on_resolve_due(tx, event.deadline_extended().ticket_id(),
                     from_timestamp(event.deadline_extended().new_resolve_due()), now);
      return;
    case Event::kTicketCancelled:
      store::mark_ticket_cancelled(tx, event.ticket_cancelled().ticket_id());
      cancel_orders_of_ticket(tx, event.ticket_cancelled().ticket_id(),
                              "ticket cancelled: " + event.ticket_cancelled().reason(),
                              /*only_unstarted=*/false, now);
      return;
    case Event::kTicketsLinked:
      cancel_orders_of_ticket(tx, event.tickets_linked().ticket_id(),
                              "duplicate of ticket " + event.tickets_linked().duplicate_of(),
                              /*only_unstarted=*/true, now);
      return;
    case Event::kReworkRequested:
      on_rework_requested(tx, event, now);
      return;
    case Event::kTicketUnlinked:  // issue 23
      on_ticket_unlinked(tx, event, now);
      return;
    case Event::kIncidentReopened:
      on_incident_reopened(tx, event, now);
      return;
    case Event::kAttachmentAdded:  // issue 23: paper slips of owners without the app
      if (!event.attachment_added().attachment_id().empty())
        store::record_attachment(tx, event.attachment_added());
      return;
    case Event::kRectificationRequested:  // issue 19
      on_rectification_requested(tx, event, now);
      return;
    case Event::kDefectClosed:
      on_defect_closed(tx, event, now);
      return;
    default:
      return;  // not ours to handle
  }
}

void Workflows::apply_all(pqxx::work& tx, const std::vector<kit::FetchedEvent>& events,
                          absl::Time now) {
  // Order is kept: a run of TicketOpened is written before the event after it is applied.
  std::vector<kit::FetchedEvent> opened;
  for (const kit::FetchedEvent& f : events) {
    if (f.event->payload_case() == Event::kTicketOpened) {
      opened.push_back(f);
      continue;
    }
    open_tickets(tx, opened, now);
    opened.clear();
    kit::TraceScope trace = kit::TraceScope::from_header(f.traceparent);
    apply(tx, *f.event, now);
  }
  open_tickets(tx, opened, now);
}

void Workflows::open_tickets(pqxx::work& tx, const std::vector<kit::FetchedEvent>& events,
                             absl::Time now) {
  if (events.empty()) return;
  std::vector<store::NewTicket> tickets;
  for (const kit::FetchedEvent& f : events) {
    const aftercare::v1::TicketOpened& t = f.event->ticket_opened();
    if (t.ticket_id().empty() || f.event->project_id().empty())
      throw std::runtime_error("TicketOpened without ticket_id or project_id");
    tickets.push_back({f.event->project_id(), &t});
  }
  // The first delivery of a ticket wins; it knows the row it stored without reading it back.
  std::set<std::string> fresh = store::insert_tickets(tx, tickets);
  std::set<std::string> projects;
  for (const kit::FetchedEvent& f : events)
    if (fresh.contains(f.event->ticket_opened().ticket_id()))
      projects.insert(f.event->project_id());
  auto references = references_.get(tx, projects);

  std::vector<DraftOrder> drafts;
  std::vector<const Event*> known;
  for (const kit::FetchedEvent& f : events) {
    const aftercare::v1::TicketOpened& t = f.event->ticket_opened();
    if (fresh.erase(t.ticket_id()) == 0) {  // known before, or earlier in this batch
      known.push_back(f.event);
      continue;
    }
    store::Ticket ticket = store::ticket_as_inserted(f.event->project_id(), t);
    std::string skip = domain::dispatch_skip_reason(ticket.facts);
    if (!skip.empty()) {
      spdlog::info("ticket {} not dispatched: {}", t.ticket_id(), skip);
      continue;
    }
    const ProjectReference& reference = *references.at(f.event->project_id());
    domain::Routing routing =
        domain::route_ticket(ticket.facts, reference.parties, reference.policy);
    std::optional<kit::TraceScope> trace;
    if (!f.traceparent.empty()) trace.emplace(kit::TraceScope::from_header(f.traceparent));
    drafts.push_back(
        draft_order(ticket, routing, aftercare::v1::WORK_ORDER_ORIGIN_INITIAL, now, {}));
  }
  // Every new order with its WorkOrderCreated and feed appends, in one statement. The unique
  // source key (and the one-original-order-per-ticket index) make a second delivery, even under
  // another event id, create nothing.
  std::vector<store::NewOrder> orders;
  std::vector<store::EventRow> created;
  for (const DraftOrder& d : drafts) {
    orders.push_back({&d.order, "ticket:" + d.order.ticket_id()});
    created.push_back(d.created);
  }
  std::set<std::string> written = store::insert_orders_with_events(tx, orders, created);
  for (DraftOrder& d : drafts) {
    // A crew or contractor with technicians gets one at once (the order is written again).
    if (written.contains(d.order.work_order_id()) &&
        references.at(d.order.project_id())->with_technicians.contains(d.order.party_id()))
      auto_assign_technician(tx, d.order, now);
  }
  for (const Event* e : known) route_known_ticket(tx, *e, now);
}

void Workflows::route_known_ticket(pqxx::work& tx, const Event& event, absl::Time now) {
  const aftercare::v1::TicketOpened& t = event.ticket_opened();
  std::optional<store::Ticket> ticket = store::load_ticket(tx, t.ticket_id());
  if (!ticket || ticket->cancelled) return;
  std::string skip = domain::dispatch_skip_reason(ticket->facts);
  if (!skip.empty()) {
    spdlog::info("ticket {} not dispatched: {}", t.ticket_id(), skip);
    return;
  }
  domain::Routing routing =
      domain::route_ticket(ticket->facts, store::routing_parties(tx, event.project_id()),
                           store::load_policy(tx, event.project_id()));
  create_order(tx, *ticket, routing, aftercare::v1::WORK_ORDER_ORIGIN_INITIAL,
               "ticket:" + t.ticket_id(), now);
}

void Workflows::on_ticket_unlinked(pqxx::work& tx, const Event& event, absl::Time now) {
  const aftercare::v1::TicketUnlinked& u = event.ticket_unlinked();
  std::optional<store::Ticket> ticket = store::load_ticket(tx, u.ticket_id());
  // TicketOpened comes first on the ticket's partition; a ticket unknown here was never ours.
  if (!ticket) throw std::runtime_error("TicketUnlinked for unknown ticket " + u.ticket_id());
  if (ticket->opened.incident_id().empty()) return;  // applied already
  aftercare::v1::TicketOpened opened = ticket->opened;
  opened.clear_incident_id();
  opened.clear_incident_lead();
  store::update_ticket_opened(tx, u.ticket_id(), opened);
  if (!u.dispatch() || ticket->cancelled) return;
  std::optional<store::Ticket> now_alone = store::load_ticket(tx, u.ticket_id());
  std::string skip = domain::dispatch_skip_reason(now_alone->facts);
  if (!skip.empty()) {
    spdlog::info("unlinked ticket {} not dispatched: {}", u.ticket_id(), skip);
    return;
  }
  domain::Routing routing =
      domain::route_ticket(now_alone->facts, store::routing_parties(tx, event.project_id()),
                           store::load_policy(tx, event.project_id()));
  create_order(tx, *now_alone, routing, aftercare::v1::WORK_ORDER_ORIGIN_INITIAL,
               "ticket:" + u.ticket_id(), now);
}

void Workflows::on_incident_reopened(pqxx::work& tx, const Event& event, absl::Time now) {
  const aftercare::v1::IncidentReopened& r = event.incident_reopened();
  if (r.work_order_id().empty()) return;  // an outage: nothing was repaired
  std::optional<WorkOrder> original = store::load_work_order(tx, r.work_order_id(), true);
  if (!original) {
    throw std::runtime_error("IncidentReopened for unknown work order " + r.work_order_id());
  }
  // Work still under way on the incident (its order not finished, or a rework the lead's own
  // callback asked for) needs no second order.
  if (!store::lock_open_orders_of_ticket(tx, original->ticket_id()).empty()) return;
  create_rework(tx, *original,
                "incident:" + r.incident_id() + ":reopen:" + std::to_string(r.reopen_count()), now);
}

void Workflows::on_rework_requested(pqxx::work& tx, const Event& event, absl::Time now) {
  const aftercare::v1::ReworkRequested& r = event.rework_requested();
  std::optional<WorkOrder> original = store::load_work_order(tx, r.work_order_id(), false);
  if (!original) {
    throw std::runtime_error("ReworkRequested for unknown work order " + r.work_order_id());
  }
  // One rework per callback; without a callback id, one per event.
  create_rework(tx, *original,
                "rework:" + (r.callback_id().empty() ? event.event_id() : r.callback_id()), now);
}

void Workflows::on_ticket_reopened(pqxx::work& tx, const Event& event, absl::Time now) {
  const aftercare::v1::TicketReopened& r = event.ticket_reopened();
  if (r.has_resolve_due()) on_resolve_due(tx, r.ticket_id(), from_timestamp(r.resolve_due()), now);
  // An unsatisfied callback also sends ReworkRequested, which creates the rework.
  if (!r.callback_id().empty()) return;
  // Work still under way needs no new order; a ticket never dispatched gets none either.
  if (!store::lock_open_orders_of_ticket(tx, r.ticket_id()).empty()) return;
  std::optional<WorkOrder> last = store::latest_signed_off_order(tx, r.ticket_id());
  if (!last) return;
  std::string reopening = r.recurrence() > 0 ? std::to_string(r.recurrence()) : event.event_id();
  create_rework(tx, *last, "reopen:" + r.ticket_id() + ":" + reopening, now);
}

void Workflows::create_rework(pqxx::work& tx, const WorkOrder& original,
                              const std::string& source_key, absl::Time now) {
  std::optional<store::Ticket> ticket = store::load_ticket(tx, original.ticket_id());
  if (!ticket) throw std::runtime_error("ticket " + original.ticket_id() + " is not known");
  if (ticket->cancelled) return;
  domain::ReworkSource source;
  source.assignee_kind = original.assignee_kind();
  source.party_id = original.party_id();
  source.builder_party_id = original.builder_party_id();
  if (original.has_estimate_fen()) source.estimate_fen = original.estimate_fen();
  source.verifier_large = original.verification().large_job();
  domain::DispatchPolicy policy = store::load_policy(tx, original.project_id());
  domain::Routing routing = domain::route_rework(
      ticket->facts, source, store::routing_parties(tx, original.project_id()), now, policy);
  create_order(tx, *ticket, routing, aftercare::v1::WORK_ORDER_ORIGIN_REWORK, source_key, now,
               [&](WorkOrder& o) {
                 o.set_rework_of(original.work_order_id());
                 o.set_rework_count(domain::rework_count_after(original));
                 if (original.has_estimate_fen()) o.set_estimate_fen(original.estimate_fen());
               });
}

void Workflows::on_resolve_due(pqxx::work& tx, const std::string& ticket_id, absl::Time resolve_due,
                               absl::Time now) {
  store::set_ticket_resolve_due(tx, ticket_id, resolve_due);
  for (WorkOrder& o : store::lock_open_orders_of_ticket(tx, ticket_id)) {
    // Crews and contractors work to the resolve deadline; a builder's on-site deadline stays.
    bool finish_deadline = o.assignee_kind() != aftercare::v1::PARTY_KIND_BUILDER &&
                           from_timestamp(o.deadline()) < resolve_due;
    *o.mutable_resolve_due() = to_timestamp(resolve_due);
    if (finish_deadline) *o.mutable_deadline() = to_timestamp(resolve_due);
    save(tx, o, now);
  }
}

void Workflows::cancel_orders_of_ticket(pqxx::work& tx, const std::string& ticket_id,
                                        const std::string& reason, bool only_unstarted,
                                        absl::Time now) {
  for (WorkOrder& o : store::lock_open_orders_of_ticket(tx, ticket_id)) {
    if (only_unstarted && o.status() == aftercare::v1::WORK_ORDER_STATUS_IN_PROGRESS) continue;
    cancel(tx, o, reason, now);
  }
}

}  // namespace aftercare::dispatch
