#include "dispatch/app/workflows.h"

#include <spdlog/spdlog.h>

#include "absl/time/clock.h"

#include <map>
#include <set>

#include "common/trace.h"
#include "dispatch/app/appointments.h"
#include "dispatch/app/technician_event.h"
#include "dispatch/domain/names.h"
#include "dispatch/domain/technicians.h"
#include "dispatch/store/attachment_store.h"
#include "dispatch/store/technician_store.h"

namespace aftercare::dispatch {
namespace {

using aftercare::v1::Event;
using aftercare::v1::WorkOrder;
using store::from_timestamp;
using store::to_timestamp;

constexpr int kSweepBatch = 50;
constexpr int kReminderBatch = 100;

// "dispatch.WorkOrderCreated" for an event whose payload is a WorkOrderCreated.

aftercare::v1::Event created_event(const WorkOrder& o, const std::string& description) {
  Event e;
  auto* c = e.mutable_work_order_created();
  c->set_work_order_id(o.work_order_id());
  c->set_ticket_id(o.ticket_id());
  c->set_ticket_no(o.ticket_no());
  c->set_unit_id(o.unit_id());
  c->set_assignee_kind(o.assignee_kind());
  c->set_party_id(o.party_id());
  c->set_origin(o.origin());
  c->set_ticket_kind(o.ticket_kind());
  c->set_category(o.category());
  c->set_component(o.component());
  c->set_urgency(o.urgency());
  c->set_in_warranty(o.in_warranty());
  c->set_paid(o.paid());
  if (o.has_estimate_fen()) c->set_estimate_fen(o.estimate_fen());
  *c->mutable_deadline() = o.deadline();
  *c->mutable_resolve_due() = o.resolve_due();
  c->set_rework_of(o.rework_of());
  c->set_rerouted_from(o.rerouted_from());
  c->set_description(description);  // intake masked digit runs already
  c->set_defect_id(o.defect_id());  // rectification of an inspection defect (issue 19)
  return e;
}

std::vector<std::string> assignee(const WorkOrder& o) {
  if (o.party_id().empty()) return {};
  return {o.party_id()};
}

}  // namespace

absl::TimeZone project_zone(pqxx::work& tx, const std::string& project_id) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(store::project_timezone(tx, project_id), &zone))
    zone = absl::UTCTimeZone();
  return zone;
}

std::string local_day(pqxx::work& tx, const std::string& project_id, absl::Time t) {
  return domain::format_day(absl::CivilDay(absl::ToCivilDay(t, project_zone(tx, project_id))));
}

bool set_order_technician(WorkOrder& order, const std::string& technician_id,
                          const std::string& day, aftercare::v1::TechnicianAssignment entry,
                          absl::Time now) {
  bool changed = order.technician_id() != technician_id;
  if (changed) {
    entry.set_technician_id(technician_id);
    entry.set_previous_technician_id(order.technician_id());
    entry.set_day(day);
    *entry.mutable_assigned_at() = to_timestamp(now);
    *order.add_technician_assignments() = std::move(entry);
  }
  order.set_technician_id(technician_id);
  order.set_technician_day(technician_id.empty() ? "" : day);
  return changed;
}

absl::Time now_micros() {
  return store::truncate_to_micros(absl::Now());
}

// ---- EventWriter ----

store::EventRow EventWriter::row(const WorkOrder& order, Event event,
                                 const std::vector<std::string>& feed_parties,
                                 absl::Time now) const {
  event.set_event_id(kit::new_uuid());
  event.set_type(kit::event_type_of("dispatch", event));  // the partner feed stores it too
  *event.mutable_occurred_at() = to_timestamp(now);
  event.set_project_id(order.project_id());
  event.set_aggregate_id(order.work_order_id());
  event.set_aggregate_version(order.version());
  event.set_producer("dispatch");
  if (event.trace_id().empty()) event.set_trace_id(kit::current_trace().trace_id);
  store::EventRow out{outbox_.row(event), order.work_order_id(), {}};
  // Each party once, in a fixed order (the feed heads are locked in party order anyway).
  std::set<std::string> parties(feed_parties.begin(), feed_parties.end());
  for (const std::string& party : parties)
    if (!party.empty()) out.feed_parties.push_back(party);
  return out;
}

std::string EventWriter::emit(pqxx::work& tx, const WorkOrder& order, Event event,
                              const std::vector<std::string>& feed_parties, absl::Time now) const {
  store::EventRow r = row(order, std::move(event), feed_parties, now);
  store::write_events(tx, {r});
  return r.outbox.event_id;
}

std::string EventWriter::emit_party(pqxx::work& tx, const aftercare::v1::Party& party,
                                    absl::Time now) const {
  Event e;
  auto* p = e.mutable_party_upserted();
  p->set_party_id(party.party_id());
  p->set_kind(party.kind());
  p->set_name(party.name());
  *p->mutable_trades() = party.trades();
  p->set_active(party.active());
  p->set_on_duty(party.on_duty());
  e.set_event_id(kit::new_uuid());
  *e.mutable_occurred_at() = to_timestamp(now);
  e.set_project_id(party.project_id());
  e.set_aggregate_id(party.party_id());
  e.set_producer("dispatch");
  return outbox_.add(tx, e);
}

// ---- Workflows ----

void Workflows::save(pqxx::work& tx, WorkOrder& order, absl::Time now) {
  order.set_version(order.version() + 1);
  *order.mutable_updated_at() = to_timestamp(now);
  store::update_work_order(tx, order);
}

Workflows::DraftOrder Workflows::draft_order(const store::Ticket& ticket,
                                             const domain::Routing& routing,
                                             aftercare::v1::WorkOrderOrigin origin, absl::Time now,
                                             const std::function<void(WorkOrder&)>& extra) const {
  const domain::TicketFacts& f = ticket.facts;
  WorkOrder o;
  o.set_work_order_id(kit::new_uuid());
  o.set_ticket_id(f.ticket_id);
  o.set_assignee_kind(routing.assignee_kind);
  o.set_party_id(routing.party_id);
  o.set_status(aftercare::v1::WORK_ORDER_STATUS_CREATED);
  *o.mutable_deadline() = to_timestamp(routing.deadline);
  *o.mutable_created_at() = to_timestamp(now);
  o.set_project_id(f.project_id);
  o.set_unit_id(f.unit_id);
  o.set_ticket_no(ticket.opened.ticket_no());
  o.set_ticket_kind(f.kind);
  o.set_category(f.category);
  o.set_component(f.component);
  o.set_urgency(f.urgency);
  o.set_in_warranty(f.in_warranty);
  o.set_paid(routing.paid);
  *o.mutable_resolve_due() = to_timestamp(f.resolve_due);
  o.set_builder_party_id(routing.builder_party_id);
  o.set_origin(origin);
  o.set_routing_note(routing.rationale);
  *o.mutable_updated_at() = to_timestamp(now);
  o.set_version(1);
  if (extra) extra(o);
  std::vector<std::string> feed = assignee(o);
  feed.insert(feed.end(), routing.notify.begin(), routing.notify.end());
  store::EventRow created =
      events_.row(o, created_event(o, ticket.opened.description()), feed, now);
  return {std::move(o), std::move(created)};
}

std::optional<WorkOrder> Workflows::create_order(pqxx::work& tx, const store::Ticket& ticket,
                                                 const domain::Routing& routing,
                                                 aftercare::v1::WorkOrderOrigin origin,
                                                 const std::string& source_key, absl::Time now,
                                                 const std::function<void(WorkOrder&)>& extra) {
  DraftOrder draft = draft_order(ticket, routing, origin, now, extra);
  // The order and its WorkOrderCreated in one statement; neither when the source key exists.
  if (store::insert_orders_with_events(tx, {{&draft.order, source_key}}, {draft.created}).empty())
    return std::nullopt;
  auto_assign_technician(tx, draft.order, now);
  return std::move(draft.order);
}

TechnicianOutcome Workflows::assign_technician(pqxx::work& tx, WorkOrder& o,
                                               const TechnicianRequest& request, absl::Time now) {
  TechnicianOutcome out;
  if (o.party_id().empty()) {
    out.error = "the work order is unassigned; a dispatcher must reassign it first";
    return out;
  }
  domain::DispatchPolicy policy = store::load_policy(tx, o.project_id());
  std::optional<domain::Window> window;
  if (o.status() == aftercare::v1::WORK_ORDER_STATUS_SCHEDULED && o.has_appointment()) {
    window = domain::Window{from_timestamp(o.appointment().start()),
                            from_timestamp(o.appointment().end())};
  }
  domain::Job job =
      domain::job_for(o.party_id(), o.category(), window, now, project_zone(tx, o.project_id()));

  std::vector<aftercare::v1::Technician> technicians;
  if (request.technician_id.empty()) {
    technicians = store::lock_party_technicians(tx, o.project_id(), o.party_id());
    if (technicians.empty()) {
      out.error = "party " + o.party_id() + " has no technicians registered";
      return out;
    }
  } else {
    std::optional<aftercare::v1::Technician> t =
        store::find_technician(tx, request.technician_id, /*for_update=*/true);
    if (!t || t->project_id() != o.project_id()) {
      out.error =
          "technician " + request.technician_id + " is not registered in project " + o.project_id();
      return out;
    }
    technicians.push_back(*t);
  }
  std::vector<std::string> ids;
  for (const auto& t : technicians) ids.push_back(t.technician_id());
  std::map<std::string, domain::TechnicianLoad> loads =
      store::technician_loads(tx, ids, job.day, o.work_order_id());
  std::set<std::string> busy;
  if (window)
    busy = store::busy_technicians(tx, ids, window->start, window->end, o.work_order_id());
  std::vector<domain::Candidate> candidates;
  for (const auto& t : technicians) {
    domain::Candidate c{store::technician_info(t, policy), loads[t.technician_id()]};
    c.load.busy = busy.contains(t.technician_id());
    candidates.push_back(std::move(c));
  }

  aftercare::v1::TechnicianAssignment entry;
  std::string chosen;
  if (request.technician_id.empty()) {
    domain::AutoChoice choice = domain::choose_technician(candidates, job);
    if (choice.technician_id.empty()) {
      out.error = choice.error;
      return out;
    }
    chosen = choice.technician_id;
    entry.set_automatic(true);
    entry.set_load_before(choice.load_before);
  } else {
    domain::ManualCheck check = domain::check_manual(
        candidates.front(), job, request.may_exceed_cap, !request.reason.empty());
    if (!check.error.empty()) {
      out.error = check.error;
      return out;
    }
    chosen = request.technician_id;
    entry.set_over_cap(check.over_cap);
    entry.set_load_before(candidates.front().load.assigned_on_day);
  }
  std::string day = domain::format_day(job.day);
  if (chosen == o.technician_id() && day == o.technician_day()) return out;  // as it is

  // The appointment goes with the technician; the exclusion constraint has the last word.
  if (window) {
    book_appointment(tx, o.work_order_id(), domain::appointment_resource(chosen, o.party_id()),
                     *window, domain::reminder_due(*window, policy));
  }
  entry.set_reason(request.reason);
  entry.set_assigned_by(request.assigned_by);
  bool new_technician = set_order_technician(o, chosen, day, entry, now);
  save(tx, o, now);
  out.changed = true;
  if (!new_technician) return out;  // the same technician, counted on the order's new day
  Event e;
  const aftercare::v1::TechnicianAssignment& recorded =
      o.technician_assignments(o.technician_assignments_size() - 1);
  fill_technician_assigned(e, o, recorded);
  events_.emit(tx, o, e, assignee(o), now);
  return out;
}

void Workflows::auto_assign_technician(pqxx::work& tx, WorkOrder& o, absl::Time now) {
  // Builders organise their own people; an order nobody holds has no technicians to pick from.
  if (o.assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER || o.party_id().empty()) return;
  if (store::list_technicians(tx, o.project_id(), o.party_id()).empty()) return;
  TechnicianOutcome outcome = assign_technician(tx, o, TechnicianRequest{}, now);
  if (!outcome.error.empty()) {
    spdlog::info("work order {} left without technician: {}", o.work_order_id(), outcome.error);
  }
}

aftercare::v1::Reroute Workflows::reroute(pqxx::work& tx, WorkOrder& from,
                                          aftercare::v1::RerouteReason reason, absl::Time now) {
  std::optional<store::Ticket> ticket = store::load_ticket(tx, from.ticket_id());
  if (!ticket) throw std::runtime_error("ticket " + from.ticket_id() + " is not known to dispatch");
  domain::DispatchPolicy policy = store::load_policy(tx, from.project_id());
  std::optional<int64_t> estimate;
  if (from.has_estimate_fen()) estimate = from.estimate_fen();
  domain::RerouteTarget target =
      domain::reroute_target(from.category(), estimate, from.verification().large_job(),
                             store::routing_parties(tx, from.project_id()), policy);

  domain::Routing r;
  r.assignee_kind = target.kind;
  r.party_id = target.party_id;
  r.paid = from.paid();
  r.deadline = domain::replacement_deadline(now, ticket->facts.resolve_due, policy);
  r.builder_party_id = from.builder_party_id().empty() ? from.party_id() : from.builder_party_id();
  r.rationale =
      std::string(reason == aftercare::v1::REROUTE_REASON_BUILDER_DECLINED ? "builder declined"
                                                                           : "builder late") +
      ": " + (target.large ? "large job" : "small job") + " to the " +
      domain::public_name(target.kind);

  std::optional<WorkOrder> created =
      create_order(tx, *ticket, r, aftercare::v1::WORK_ORDER_ORIGIN_REROUTE,
                   "reroute:" + from.work_order_id(), now, [&](WorkOrder& o) {
                     o.set_rerouted_from(from.work_order_id());
                     o.set_reroute_reason(reason);
                     if (from.has_estimate_fen()) o.set_estimate_fen(from.estimate_fen());
                     if (from.has_verification()) *o.mutable_verification() = from.verification();
                     o.set_rework_of(from.rework_of());
                     o.set_rework_count(from.rework_count());
                   });
  // `from` is locked and open, so it cannot have been rerouted before; the unique source key
  // (and rerouted_from) would refuse a second replacement anyway.
  if (!created)
    throw std::logic_error("work order " + from.work_order_id() + " was rerouted twice");

  if (reason != aftercare::v1::REROUTE_REASON_BUILDER_DECLINED) {
    from.set_status(aftercare::v1::WORK_ORDER_STATUS_REROUTED);
  }
  from.set_rerouted_to(created->work_order_id());
  from.set_reroute_reason(reason);
  store::drop_appointment(tx, from.work_order_id());
  save(tx, from, now);

  Event e;
  auto* p = e.mutable_work_order_rerouted();
  p->set_work_order_id(from.work_order_id());
  p->set_ticket_id(from.ticket_id());
  p->set_from_kind(from.assignee_kind());
  p->set_from_party_id(from.party_id());
  p->set_to_work_order_id(created->work_order_id());
  p->set_to_kind(created->assignee_kind());
  p->set_to_party_id(created->party_id());
  p->set_reason(reason);
  p->set_large_job(target.large);
  if (from.has_estimate_fen()) p->set_estimate_fen(from.estimate_fen());
  events_.emit(tx, from, e, assignee(from), now);

  aftercare::v1::Reroute out;
  out.set_from_work_order_id(from.work_order_id());
  out.set_to_work_order_id(created->work_order_id());
  out.set_to_kind(created->assignee_kind());
  out.set_to_party_id(created->party_id());
  out.set_reason(reason);
  return out;
}

std::vector<aftercare::v1::Reroute> Workflows::reroute_late_builders(
    kit::PgPool& db, absl::Time as_of, const std::string& project_id) {
  std::vector<aftercare::v1::Reroute> all;
  for (;;) {
    auto [claimed, done] = db.in_transaction([&](pqxx::work& tx) {
      std::vector<aftercare::v1::Reroute> rerouted;
      std::vector<WorkOrder> late =
          store::claim_late_builder_orders(tx, as_of, project_id, kSweepBatch);
      for (WorkOrder& o : late) {
        domain::Lateness lateness =
            domain::builder_lateness(o.assignee_kind(), o.status(), from_timestamp(o.deadline()),
                                     from_timestamp(o.resolve_due()), as_of);
        if (lateness == domain::Lateness::kOnTime) continue;
        rerouted.push_back(reroute(tx, o, aftercare::v1::REROUTE_REASON_BUILDER_LATE, as_of));
      }
      return std::pair(late.size(), rerouted);
    });
    all.insert(all.end(), done.begin(), done.end());
    if (claimed < static_cast<size_t>(kSweepBatch) || done.empty()) break;
  }
  for (const auto& r : all) {
    spdlog::info("rerouted late builder order {} to {} {} as {}", r.from_work_order_id(),
                 domain::public_name(r.to_kind()), r.to_party_id(), r.to_work_order_id());
  }
  return all;
}

int Workflows::send_due_reminders(kit::PgPool& db, absl::Time now) {
  return db.in_transaction([&](pqxx::work& tx) {
    int sent = 0;
    for (const std::string& id : store::claim_due_reminders(tx, now, kReminderBatch)) {
      std::optional<WorkOrder> o = store::load_work_order(tx, id, /*for_update=*/true);
      store::mark_reminded(tx, id, now);
      if (!o || o->status() != aftercare::v1::WORK_ORDER_STATUS_SCHEDULED) continue;
      if (from_timestamp(o->appointment().start()) <= now) continue;  // too late to remind
      std::optional<store::Ticket> ticket = store::load_ticket(tx, o->ticket_id());
      Event e;
      auto* r = e.mutable_appointment_reminder_due();
      r->set_work_order_id(o->work_order_id());
      r->set_ticket_id(o->ticket_id());
      r->set_unit_id(o->unit_id());
      r->set_owner_id(ticket ? ticket->owner_id : "");
      r->set_party_id(o->party_id());
      *r->mutable_appointment() = o->appointment();
      events_.emit(tx, *o, e, assignee(*o), now);
      ++sent;
    }
    return sent;
  });
}

void Workflows::cancel(pqxx::work& tx, WorkOrder& order, const std::string& reason,
                       absl::Time now) {
  order.set_status(aftercare::v1::WORK_ORDER_STATUS_CANCELLED);
  store::drop_appointment(tx, order.work_order_id());
  save(tx, order, now);
  Event e;
  auto* c = e.mutable_work_order_cancelled();
  c->set_work_order_id(order.work_order_id());
  c->set_ticket_id(order.ticket_id());
  c->set_party_id(order.party_id());
  c->set_reason(reason);
  events_.emit(tx, order, e, assignee(order), now);
}

}  // namespace aftercare::dispatch
