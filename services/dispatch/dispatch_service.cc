#include "dispatch/dispatch_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "common/call.h"
#include "common/periodic.h"
#include "dispatch/domain/names.h"
#include "dispatch/domain/report.h"
#include "dispatch/domain/validation.h"
#include "dispatch/domain/work_order.h"
#include "dispatch/handler_support.h"

namespace aftercare::dispatch {
namespace {

using aftercare::v1::WorkOrder;
using grpc::Status;
using grpc::StatusCode;
using store::from_timestamp;
using store::to_timestamp;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
constexpr int kDefaultFeedLimit = 100;
constexpr int kMaxFeedLimit = 1000;
constexpr int kMaxWaitSeconds = 30;
// How often a waiting feed read looks whether its caller went away.
constexpr auto kCancelCheck = std::chrono::seconds(1);

using namespace handlers;  // NOLINT: the shared handler helpers

// ---- page tokens ----

std::string filter_hash(const aftercare::v1::ListWorkOrdersRequest& r) {
  std::string key = r.ticket_id() + "\x1f" + r.project_id() + "\x1f" + r.party_id() + "\x1f" +
                    std::to_string(r.status()) + "\x1f" + std::to_string(r.assignee_kind());
  return std::to_string(fnv1a(key));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Consumer and workers
// ---------------------------------------------------------------------------------------------

void DispatchServiceImpl::apply_event(pqxx::work& tx, const aftercare::v1::Event& event) {
  workflows_.apply(tx, event, now_micros());
}

void DispatchServiceImpl::sweep_once() {
  workflows_.reroute_late_builders(db_, now_micros(), "");
  workflows_.send_due_reminders(db_, now_micros());
}

void DispatchServiceImpl::run_sweeper(std::stop_token stop, std::chrono::seconds interval) {
  kit::PeriodicWorker({"reroute-sweeper", interval}, [this](std::stop_token) {
    sweep_once();
  }).run(stop);
}

// ---------------------------------------------------------------------------------------------
// Parties
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::UpsertParty(Ctx* context, const aftercare::v1::UpsertPartyRequest* req,
                                        aftercare::v1::Party* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("UpsertParty", [&] {
    const kit::Caller& caller = call.caller;
    require_role(caller.is("admin") || caller.is("service"), caller, "register parties");
    check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    check_input(domain::check_enum(req->kind(), "kind"), "kind");
    check_input(domain::check_text(req->name(), "name", 1, kMaxNameChars), "name");
    if (req->trades().empty())
      throw Refusal{kit::invalid_field("trades", "at least one category is required")};
    std::set<int> seen;
    for (int t : req->trades()) {
      check_input(domain::check_enum(static_cast<aftercare::v1::TicketCategory>(t), "trades"),
                  "trades");
      if (!seen.insert(t).second) {
        throw Refusal{kit::invalid_field(
            "trades", domain::public_name(static_cast<aftercare::v1::TicketCategory>(t)) +
                          " is listed twice")};
      }
    }
    if (!caller.is("service") && !caller.sees_project(req->project_id())) {
      refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
    }
    aftercare::v1::Party party;
    party.set_project_id(req->project_id());
    party.set_party_id(req->party_id());
    party.set_kind(req->kind());
    party.set_name(req->name());
    *party.mutable_trades() = req->trades();
    party.set_active(req->has_active() ? req->active() : true);
    party.set_on_duty(req->has_on_duty() ? req->on_duty()
                                         : req->kind() == aftercare::v1::PARTY_KIND_CREW);
    absl::Time now = now_micros();
    *party.mutable_updated_at() = to_timestamp(now);
    db_.in_transaction([&](pqxx::work& tx) {
      store::upsert_party(tx, party);
      workflows_.events().emit_party(tx, party, now);
    });
    *resp = party;
  });
}

Status DispatchServiceImpl::ListParties(Ctx* context, const aftercare::v1::ListPartiesRequest* req,
                                        aftercare::v1::ListPartiesResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListParties", [&] {
    const kit::Caller& caller = call.caller;
    require_role(is_staff(caller) || caller.is("service"), caller, "list parties");
    check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    if (req->kind() != aftercare::v1::PARTY_KIND_UNSPECIFIED) {
      check_input(domain::check_enum(req->kind(), "kind"), "kind");
    }
    if (req->trade() != aftercare::v1::TICKET_CATEGORY_UNSPECIFIED) {
      check_input(domain::check_enum(req->trade(), "trade"), "trade");
    }
    if (!caller.is("service") && !caller.sees_project(req->project_id())) {
      refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
    }
    auto parties = db_.in_transaction([&](pqxx::work& tx) {
      return store::list_parties(tx, req->project_id(), req->kind(), req->trade());
    });
    for (auto& p : parties) *resp->add_parties() = std::move(p);
  });
}

// ---------------------------------------------------------------------------------------------
// Work-order queries
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::GetWorkOrder(Ctx* context,
                                         const aftercare::v1::GetWorkOrderRequest* req,
                                         WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("GetWorkOrder", [&] {
    check_order_id(req->work_order_id());
    auto order = db_.in_transaction([&](pqxx::work& tx) {
      return store::load_work_order(tx, req->work_order_id(), /*for_update=*/false);
    });
    if (!order || !sees_order(call.caller, *order)) {
      refuse(StatusCode::NOT_FOUND, "work order " + req->work_order_id() + " not found");
    }
    *resp = *order;
  });
}

Status DispatchServiceImpl::ListWorkOrders(Ctx* context,
                                           const aftercare::v1::ListWorkOrdersRequest* req,
                                           aftercare::v1::ListWorkOrdersResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListWorkOrders", [&] {
    const kit::Caller& caller = call.caller;
    store::ListQuery q;
    if (caller.is("service")) {
      q.all_projects = true;
    } else if (is_staff(caller)) {
      q.all_projects = caller.sees_project("*");
      q.projects = caller.projects;
    } else if (is_partner(caller)) {
      q.all_projects = true;
      q.only_party = caller.party_id.empty() ? std::string("\x1f") : caller.party_id;
    } else if (caller.is("owner")) {
      q.all_projects = true;
      q.units_only = true;
      q.units = caller.units;
    } else {
      require_role(false, caller, "list work orders");
    }
    if (req->ticket_id().empty() && req->project_id().empty() && req->party_id().empty()) {
      throw Refusal{
          kit::invalid_field("ticket_id", "one of ticket_id, project_id, party_id is required")};
    }
    if (!req->ticket_id().empty())
      check_input(domain::check_id(req->ticket_id(), "ticket_id"), "ticket_id");
    if (!req->project_id().empty())
      check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    if (!req->party_id().empty())
      check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    if (req->status() != aftercare::v1::WORK_ORDER_STATUS_UNSPECIFIED) {
      check_input(domain::check_enum(req->status(), "status"), "status");
    }
    if (req->assignee_kind() != aftercare::v1::PARTY_KIND_UNSPECIFIED) {
      check_input(domain::check_enum(req->assignee_kind(), "assignee_kind"), "assignee_kind");
    }
    if (req->page_size() < 0 || req->page_size() > kMaxPageSize) {
      throw Refusal{
          kit::invalid_field("page_size", "must be between 0 and " + std::to_string(kMaxPageSize))};
    }
    q.ticket_id = req->ticket_id();
    q.project_id = req->project_id();
    q.party_id = req->party_id();
    q.status = req->status();
    q.assignee_kind = req->assignee_kind();
    int page = req->page_size() == 0 ? kDefaultPageSize : req->page_size();
    q.limit = page + 1;  // one more tells whether another page exists
    std::string hash = filter_hash(*req);
    if (!req->page_token().empty()) {
      std::string raw;
      aftercare::v1::PageCursor cursor;
      if (!absl::WebSafeBase64Unescape(req->page_token(), &raw) || !cursor.ParseFromString(raw) ||
          cursor.filter_hash() != hash) {
        throw Refusal{kit::invalid_field("page_token", "is not a token of this listing")};
      }
      q.after_time = from_timestamp(cursor.after_time());
      q.after_id = cursor.after_id();
    }
    auto orders = db_.in_transaction([&](pqxx::work& tx) {
      // Both queries below must see one snapshot: under read committed, a work order committed
      // between them made a ticket of the caller's own project answer 404 (seen by faults_suite).
      tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      auto rows = store::list_work_orders(tx, q);
      // A ticket whose work orders are all outside the caller's scope is not the caller's to
      // ask about: 404, as each of its work orders would answer.
      if (rows.empty() && !q.ticket_id.empty() && !q.after_time && !caller.is("service")) {
        store::ListQuery any;
        any.all_projects = true;
        any.ticket_id = q.ticket_id;
        any.limit = 1;
        if (!store::list_work_orders(tx, any).empty())
          refuse(StatusCode::NOT_FOUND, "ticket " + q.ticket_id + " not found");
      }
      return rows;
    });
    bool more = static_cast<int>(orders.size()) > page;
    if (more) orders.resize(page);
    for (auto& o : orders) *resp->add_work_orders() = o;
    if (more) {
      aftercare::v1::PageCursor cursor;
      *cursor.mutable_after_time() = orders.back().created_at();
      cursor.set_after_id(orders.back().work_order_id());
      cursor.set_filter_hash(hash);
      resp->set_next_page_token(absl::WebSafeBase64Escape(cursor.SerializeAsString()));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Work-order commands
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::CreateWorkOrder(Ctx* context,
                                            const aftercare::v1::CreateWorkOrderRequest* req,
                                            WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("CreateWorkOrder", [&] {
    const kit::Caller& caller = call.caller;
    require_role(is_dispatcher(caller) || caller.is("service"), caller, "create work orders");
    check_input(domain::check_id(req->ticket_id(), "ticket_id"), "ticket_id");
    check_input(domain::check_enum(req->assignee_kind(), "assignee_kind"), "assignee_kind");
    if (!req->party_id().empty())
      check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    if (req->has_estimate_fen())
      check_input(domain::check_fen(req->estimate_fen(), "estimate_fen", 0), "estimate_fen");
    check_input(domain::check_text(req->reason(), "reason", 0, kMaxReasonChars), "reason");
    std::string key = req->idempotency_key();
    if (key.empty()) {
      auto it = context->client_metadata().find("idempotency-key");
      if (it != context->client_metadata().end()) key.assign(it->second.data(), it->second.size());
    }
    check_input(domain::check_text(key, "idempotency_key", 0, 128), "idempotency_key");
    std::string source = "manual:" + (key.empty() ? kit::new_uuid() : req->ticket_id() + ":" + key);
    absl::Time now = now_micros();

    *resp = db_.in_transaction([&](pqxx::work& tx) {
      std::optional<store::Ticket> ticket = store::load_ticket(tx, req->ticket_id());
      if (!ticket || !(caller.is("service") || caller.sees_project(ticket->facts.project_id))) {
        refuse(StatusCode::NOT_FOUND, "ticket " + req->ticket_id() + " not found");
      }
      if (auto existing = store::find_by_source(tx, source)) return *existing;  // a repeat
      if (ticket->cancelled) refuse(StatusCode::FAILED_PRECONDITION, "the ticket is cancelled");
      const domain::TicketFacts& f = ticket->facts;
      std::vector<domain::PartyInfo> parties = store::routing_parties(tx, f.project_id);
      domain::DispatchPolicy policy = store::load_policy(tx, f.project_id);
      std::string kind = domain::public_name(req->assignee_kind());

      domain::Routing r;
      r.assignee_kind = req->assignee_kind();
      if (!req->party_id().empty()) {
        bool fits = std::any_of(parties.begin(), parties.end(), [&](const domain::PartyInfo& p) {
          return p.party_id == req->party_id() && p.kind == req->assignee_kind() && p.active;
        });
        if (!fits) {
          refuse(StatusCode::FAILED_PRECONDITION, "party " + req->party_id() +
                                                      " is not an active " + kind + " of project " +
                                                      f.project_id);
        }
        r.party_id = req->party_id();
      } else {
        std::vector<std::string> declined = store::decliners_of_ticket(tx, f.ticket_id);
        auto chosen = domain::choose_party(req->assignee_kind(), f.category, parties, false,
                                           {declined.begin(), declined.end()});
        if (!chosen) {
          refuse(StatusCode::FAILED_PRECONDITION,
                 "no active " + kind + " covers " + domain::public_name(f.category));
        }
        r.party_id = *chosen;
      }
      if (f.in_warranty) {
        r.builder_party_id =
            req->assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER
                ? r.party_id
                : domain::choose_party(aftercare::v1::PARTY_KIND_BUILDER, f.category, parties)
                      .value_or("");
      }
      r.paid = !f.in_warranty;
      std::optional<int64_t> estimate;
      if (req->has_estimate_fen()) estimate = req->estimate_fen();
      r.deadline =
          r.assignee_kind == aftercare::v1::PARTY_KIND_BUILDER
              ? domain::builder_deadline(now, f.resolve_due,
                                         domain::is_large_job(estimate, false, policy), policy)
              : domain::replacement_deadline(now, f.resolve_due, policy);
      r.rationale = "created by dispatcher " + caller.sub +
                    (req->reason().empty() ? std::string() : ": " + req->reason());
      auto created = workflows_.create_order(
          tx, *ticket, r, aftercare::v1::WORK_ORDER_ORIGIN_MANUAL, source, now, [&](WorkOrder& o) {
            if (estimate) o.set_estimate_fen(*estimate);
          });
      if (!created) {
        // A concurrent repeat of the same idempotency key won the race.
        if (auto existing = store::find_by_source(tx, source)) return *existing;
        refuse(StatusCode::ALREADY_EXISTS, "the work order exists already");
      }
      return *created;
    });
  });
}

Status DispatchServiceImpl::AcceptWorkOrder(Ctx* context,
                                            const aftercare::v1::AcceptWorkOrderRequest* req,
                                            WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("AcceptWorkOrder", [&] {
    check_order_id(req->work_order_id());
    if (!req->technician_id().empty())
      check_input(domain::check_id(req->technician_id(), "technician_id"), "technician_id");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, call.caller, req->work_order_id());
      require_assignee(call.caller, o, "accept this work order");
      check_action(domain::Action::kAccept, o);
      require_assigned(o);
      o.set_status(aftercare::v1::WORK_ORDER_STATUS_ACCEPTED);
      *o.mutable_accepted_at() = to_timestamp(now);
      if (!req->technician_id().empty()) {
        aftercare::v1::TechnicianAssignment entry;
        entry.set_assigned_by(call.caller.sub);
        entry.set_reason("named when accepting");
        set_order_technician(o, req->technician_id(), local_day(tx, o.project_id(), now), entry,
                             now);
      }
      Workflows::save(tx, o, now);
      aftercare::v1::Event e;
      auto* a = e.mutable_work_order_accepted();
      a->set_work_order_id(o.work_order_id());
      a->set_ticket_id(o.ticket_id());
      a->set_party_id(o.party_id());
      a->set_technician_id(o.technician_id());
      workflows_.events().emit(tx, o, e, feed_of(o), now);
      return o;
    });
  });
}

Status DispatchServiceImpl::DeclineWorkOrder(Ctx* context,
                                             const aftercare::v1::DeclineWorkOrderRequest* req,
                                             WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("DeclineWorkOrder", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_text(req->reason(), "reason", 1, kMaxReasonChars), "reason");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, call.caller, req->work_order_id());
      require_assignee(call.caller, o, "decline this work order");
      check_action(domain::Action::kDecline, o);
      o.set_status(aftercare::v1::WORK_ORDER_STATUS_DECLINED);
      o.set_decline_reason(req->reason());
      store::drop_appointment(tx, o.work_order_id());
      Workflows::save(tx, o, now);
      aftercare::v1::Event e;
      auto* d = e.mutable_work_order_declined();
      d->set_work_order_id(o.work_order_id());
      d->set_ticket_id(o.ticket_id());
      d->set_party_id(o.party_id());
      d->set_reason(req->reason());
      workflows_.events().emit(tx, o, e, feed_of(o), now);
      // A builder that declines is replaced at once like a late one; a crew or contractor
      // that declines leaves the choice to the dispatcher (CreateWorkOrder skips decliners).
      if (o.assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER) {
        workflows_.reroute(tx, o, aftercare::v1::REROUTE_REASON_BUILDER_DECLINED, now);
      }
      return o;
    });
  });
}

Status DispatchServiceImpl::ScheduleWorkOrder(Ctx* context,
                                              const aftercare::v1::ScheduleWorkOrderRequest* req,
                                              WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ScheduleWorkOrder", [&] {
    check_order_id(req->work_order_id());
    domain::Window window{required_time(req->start(), req->has_start(), "start"),
                          required_time(req->end(), req->has_end(), "end")};
    if (!req->technician_id().empty())
      check_input(domain::check_id(req->technician_id(), "technician_id"), "technician_id");
    check_input(domain::check_text(req->reason(), "reason", 0, kMaxReasonChars), "reason");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      const kit::Caller& caller = call.caller;
      WorkOrder o = lock_visible(tx, caller, req->work_order_id());
      require_assignee(caller, o, "schedule this work order");
      domain::DispatchPolicy policy = store::load_policy(tx, o.project_id());
      std::string window_error = domain::check_window(window, now, policy);
      check_input(window_error, window_error.starts_with("start") ? "start" : "end");
      check_action(domain::Action::kSchedule, o);
      require_assigned(o);
      bool reschedule = o.status() == aftercare::v1::WORK_ORDER_STATUS_SCHEDULED;
      if (reschedule && req->reason().empty()) {
        throw Refusal{kit::invalid_field("reason", "is required when rescheduling")};
      }
      std::string technician = req->technician_id();
      if (technician.empty()) technician = o.technician_id();
      if (technician.empty() && is_partner(caller)) technician = caller.sub;
      store::put_appointment(tx, o.work_order_id(),
                             domain::appointment_resource(technician, o.party_id()), window,
                             domain::reminder_due(window, policy));
      aftercare::v1::TimeWindow previous = o.appointment();
      o.mutable_appointment()->Clear();
      *o.mutable_appointment()->mutable_start() = to_timestamp(window.start);
      *o.mutable_appointment()->mutable_end() = to_timestamp(window.end);
      // The technician's assignment counts on the appointment's day.
      aftercare::v1::TechnicianAssignment entry;
      entry.set_assigned_by(caller.sub);
      entry.set_reason("named when scheduling");
      set_order_technician(o, technician, local_day(tx, o.project_id(), window.start), entry, now);
      o.set_status(aftercare::v1::WORK_ORDER_STATUS_SCHEDULED);
      if (reschedule) o.set_reschedule_count(o.reschedule_count() + 1);
      aftercare::v1::AppointmentChange* change = o.add_appointment_history();
      *change->mutable_appointment() = o.appointment();
      change->set_technician_id(technician);
      change->set_reason(req->reason());
      change->set_changed_by(caller.sub);
      *change->mutable_changed_at() = to_timestamp(now);
      Workflows::save(tx, o, now);
      aftercare::v1::Event e;
      auto* s = e.mutable_work_order_scheduled();
      s->set_work_order_id(o.work_order_id());
      s->set_ticket_id(o.ticket_id());
      s->set_party_id(o.party_id());
      s->set_technician_id(technician);
      *s->mutable_appointment() = o.appointment();
      s->set_rescheduled(reschedule);
      if (reschedule) *s->mutable_previous_appointment() = previous;
      s->set_reason(req->reason());
      workflows_.events().emit(tx, o, e, feed_of(o), now);
      return o;
    });
  });
}

Status DispatchServiceImpl::StartWorkOrder(Ctx* context,
                                           const aftercare::v1::StartWorkOrderRequest* req,
                                           WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("StartWorkOrder", [&] {
    check_order_id(req->work_order_id());
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, call.caller, req->work_order_id());
      require_assignee(call.caller, o, "start this work order");
      check_action(domain::Action::kStart, o);
      require_assigned(o);
      check_precondition(domain::start_error(o, store::load_policy(tx, o.project_id())));
      o.set_status(aftercare::v1::WORK_ORDER_STATUS_IN_PROGRESS);
      *o.mutable_started_at() = to_timestamp(now);
      Workflows::save(tx, o, now);
      aftercare::v1::Event e;
      auto* s = e.mutable_work_order_started();
      s->set_work_order_id(o.work_order_id());
      s->set_ticket_id(o.ticket_id());
      s->set_party_id(o.party_id());
      *s->mutable_started_at() = o.started_at();
      workflows_.events().emit(tx, o, e, feed_of(o), now);
      return o;
    });
  });
}

Status DispatchServiceImpl::CompleteWorkOrder(Ctx* context,
                                              const aftercare::v1::CompleteWorkOrderRequest* req,
                                              WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("CompleteWorkOrder", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_fen(req->cost_fen(), "cost_fen", 0), "cost_fen");
    check_input(domain::check_text(req->notes(), "notes", 0, kMaxNotesChars), "notes");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, call.caller, req->work_order_id());
      require_assignee(call.caller, o, "complete this work order");
      check_action(domain::Action::kComplete, o);
      o.set_status(aftercare::v1::WORK_ORDER_STATUS_COMPLETED);
      o.set_cost_fen(req->cost_fen());
      o.set_notes(req->notes());
      *o.mutable_completed_at() = to_timestamp(now);
      // The technician is free again; the window stays on the order as history.
      store::drop_appointment(tx, o.work_order_id());
      Workflows::save(tx, o, now);
      aftercare::v1::Event e;
      auto* c = e.mutable_work_order_completed();
      c->set_work_order_id(o.work_order_id());
      c->set_ticket_id(o.ticket_id());
      c->set_party_id(o.party_id());
      c->set_cost_fen(o.cost_fen());
      *c->mutable_completed_at() = o.completed_at();
      workflows_.events().emit(tx, o, e, feed_of(o), now);
      return o;
    });
  });
}

Status DispatchServiceImpl::SignOffWorkOrder(Ctx* context,
                                             const aftercare::v1::SignOffWorkOrderRequest* req,
                                             WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("SignOffWorkOrder", [&] {
    const kit::Caller& caller = call.caller;
    check_order_id(req->work_order_id());
    check_input(domain::check_enum(req->signer(), "signer"), "signer");
    check_input(domain::check_text(req->comment(), "comment", 0, kMaxReasonChars), "comment");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, caller, req->work_order_id());
      bool in_project = caller.sees_project(o.project_id()) || caller.is("service");
      switch (req->signer()) {
        case aftercare::v1::SIGNER_OWNER:
          require_role(caller.is("owner") && caller.owns_unit(o.unit_id()), caller,
                       "sign off as the owner");
          break;
        case aftercare::v1::SIGNER_MAINTENANCE:
          require_role((caller.is("dispatcher") || caller.is("supervisor") || caller.is("admin") ||
                        caller.is("service")) &&
                           in_project,
                       caller, "sign off as maintenance");
          break;
        default:
          require_role((caller.is("verifier") || caller.is("admin")) && in_project, caller,
                       "accept work as the verifier");
      }
      domain::SignOffVerdict verdict = domain::check_sign_off(o, req->signer());
      check_precondition(verdict.error);
      if (verdict.check == domain::SignOffCheck::kAlreadySigned) return o;  // a repeat
      aftercare::v1::SignOff* s = o.add_sign_offs();
      s->set_signer(req->signer());
      s->set_signed_by(caller.sub);
      *s->mutable_signed_at() = to_timestamp(now);
      s->set_comment(req->comment());
      bool finished = o.status() == aftercare::v1::WORK_ORDER_STATUS_COMPLETED &&
                      domain::sign_off_complete(domain::signers_of(o));
      if (finished) {
        o.set_status(aftercare::v1::WORK_ORDER_STATUS_SIGNED_OFF);
        *o.mutable_signed_off_at() = to_timestamp(now);
      }
      Workflows::save(tx, o, now);
      if (!finished) return o;

      std::string owner_id = owner_of(tx, o);
      aftercare::v1::Event e;
      auto* so = e.mutable_work_order_signed_off();
      so->set_work_order_id(o.work_order_id());
      so->set_ticket_id(o.ticket_id());
      so->set_unit_id(o.unit_id());
      so->set_owner_id(owner_id);
      for (auto signer : domain::signers_of(o)) so->add_signers(signer);
      so->set_cost_fen(o.cost_fen());
      so->set_in_warranty(o.in_warranty());
      so->set_paid(o.paid());
      so->set_assignee_kind(o.assignee_kind());
      so->set_party_id(o.party_id());
      so->set_builder_party_id(o.in_warranty() ? o.builder_party_id() : "");
      so->set_was_rerouted(!o.rerouted_from().empty());
      so->set_is_rework(!o.rework_of().empty());
      so->set_rework_of(o.rework_of());
      so->set_ticket_kind(o.ticket_kind());
      so->set_category(o.category());
      so->set_component(o.component());
      so->set_urgency(o.urgency());
      so->set_safety_related(domain::is_safety_related(o.component(), o.urgency()));
      so->set_leak(domain::is_leak(o.component()));
      *so->mutable_completed_at() = o.completed_at();
      *so->mutable_signed_off_at() = o.signed_off_at();
      workflows_.events().emit(tx, o, e, feed_of(o), now);

      if (domain::advances_warranty_cost(o)) {
        aftercare::v1::Event w;
        auto* c = w.mutable_warranty_cost_advanced();
        c->set_work_order_id(o.work_order_id());
        c->set_ticket_id(o.ticket_id());
        c->set_unit_id(o.unit_id());
        c->set_builder_party_id(o.builder_party_id());
        c->set_performed_by_kind(o.assignee_kind());
        c->set_performed_by_party_id(o.party_id());
        c->set_cost_fen(o.cost_fen());
        *c->mutable_signed_off_at() = o.signed_off_at();
        workflows_.events().emit(tx, o, w, {}, now);
      }
      return o;
    });
  });
}

Status DispatchServiceImpl::ReassignWorkOrder(Ctx* context,
                                              const aftercare::v1::ReassignWorkOrderRequest* req,
                                              WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ReassignWorkOrder", [&] {
    const kit::Caller& caller = call.caller;
    require_role(is_dispatcher(caller) || caller.is("service"), caller, "reassign work orders");
    check_order_id(req->work_order_id());
    check_input(domain::check_enum(req->assignee_kind(), "assignee_kind"), "assignee_kind");
    check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    check_input(domain::check_text(req->reason(), "reason", 0, kMaxReasonChars), "reason");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, caller, req->work_order_id());
      check_action(domain::Action::kReassign, o);
      std::optional<aftercare::v1::Party> party =
          store::find_party(tx, o.project_id(), req->party_id());
      if (!party || party->kind() != req->assignee_kind() || !party->active()) {
        refuse(StatusCode::FAILED_PRECONDITION, "party " + req->party_id() + " is not an active " +
                                                    domain::public_name(req->assignee_kind()) +
                                                    " of project " + o.project_id());
      }
      if (o.party_id() == req->party_id() && o.assignee_kind() == req->assignee_kind()) {
        refuse(StatusCode::FAILED_PRECONDITION,
               "the work order is already assigned to " + req->party_id());
      }
      domain::DispatchPolicy policy = store::load_policy(tx, o.project_id());
      aftercare::v1::PartyKind from_kind = o.assignee_kind();
      std::string from_party = o.party_id();
      absl::Time resolve_due = from_timestamp(o.resolve_due());
      std::optional<int64_t> estimate;
      if (o.has_estimate_fen()) estimate = o.estimate_fen();
      bool builder = req->assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER;
      absl::Time deadline =
          builder
              ? domain::builder_deadline(
                    now, resolve_due,
                    domain::is_large_job(estimate, o.verification().large_job(), policy), policy)
              : domain::replacement_deadline(now, resolve_due, policy);
      store::drop_appointment(tx, o.work_order_id());
      o.set_assignee_kind(req->assignee_kind());
      o.set_party_id(req->party_id());
      o.set_status(aftercare::v1::WORK_ORDER_STATUS_CREATED);
      *o.mutable_deadline() = to_timestamp(deadline);
      o.clear_appointment();
      aftercare::v1::TechnicianAssignment released;
      released.set_assigned_by(caller.sub);
      released.set_reason("work order reassigned to " + req->party_id());
      set_order_technician(o, "", "", released, now);
      o.clear_accepted_at();
      if (builder && o.in_warranty() && o.builder_party_id().empty())
        o.set_builder_party_id(req->party_id());
      o.set_routing_note("reassigned by " + caller.sub +
                         (req->reason().empty() ? std::string() : ": " + req->reason()));
      Workflows::save(tx, o, now);
      aftercare::v1::Event e;
      auto* r = e.mutable_work_order_reassigned();
      r->set_work_order_id(o.work_order_id());
      r->set_ticket_id(o.ticket_id());
      r->set_from_kind(from_kind);
      r->set_from_party_id(from_party);
      r->set_to_kind(o.assignee_kind());
      r->set_to_party_id(o.party_id());
      r->set_reason(req->reason());
      *r->mutable_deadline() = o.deadline();
      // The party that lost the order learns it, the new one receives it.
      workflows_.events().emit(tx, o, e, {from_party, o.party_id()}, now);
      // A crew or contractor with technicians gets one at once, as on creation.
      workflows_.auto_assign_technician(tx, o, now);
      return o;
    });
  });
}

Status DispatchServiceImpl::CancelWorkOrder(Ctx* context,
                                            const aftercare::v1::CancelWorkOrderRequest* req,
                                            WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("CancelWorkOrder", [&] {
    const kit::Caller& caller = call.caller;
    require_role(is_dispatcher(caller) || caller.is("service"), caller, "cancel work orders");
    check_order_id(req->work_order_id());
    check_input(domain::check_text(req->reason(), "reason", 1, kMaxReasonChars), "reason");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, caller, req->work_order_id());
      check_action(domain::Action::kCancel, o);
      workflows_.cancel(tx, o, req->reason(), now);
      return o;
    });
  });
}

Status DispatchServiceImpl::ReportLate(Ctx* context, const aftercare::v1::ReportLateRequest* req,
                                       WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ReportLate", [&] {
    check_order_id(req->work_order_id());
    absl::Time eta = required_time(req->new_eta(), req->has_new_eta(), "new_eta");
    check_input(domain::check_text(req->message(), "message", 1, kMaxReasonChars), "message");
    absl::Time now = now_micros();
    if (eta < now) throw Refusal{kit::invalid_field("new_eta", "must not be in the past")};
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, call.caller, req->work_order_id());
      require_assignee(call.caller, o, "report this work order late");
      check_action(domain::Action::kReportLate, o);
      aftercare::v1::Event e;
      auto* l = e.mutable_technician_late();
      l->set_work_order_id(o.work_order_id());
      l->set_ticket_id(o.ticket_id());
      l->set_owner_id(owner_of(tx, o));
      l->set_technician_id(o.technician_id());
      *l->mutable_new_eta() = to_timestamp(eta);
      workflows_.events().emit(tx, o, e, feed_of(o), now);
      return o;
    });
  });
}

Status DispatchServiceImpl::RecordVerification(Ctx* context,
                                               const aftercare::v1::RecordVerificationRequest* req,
                                               WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RecordVerification", [&] {
    const kit::Caller& caller = call.caller;
    require_role(caller.is("verifier") || caller.is("admin"), caller, "record verifications");
    check_order_id(req->work_order_id());
    check_input(domain::check_enum(req->liability(), "liability"), "liability");
    check_input(domain::check_fen(req->estimate_fen(), "estimate_fen", 0), "estimate_fen");
    check_input(domain::check_text(req->notes(), "notes", 0, kMaxNotesChars), "notes");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, caller, req->work_order_id());
      check_action(domain::Action::kVerify, o);
      aftercare::v1::Verification* v = o.mutable_verification();
      v->set_verifier_id(caller.sub);
      v->set_defect_confirmed(req->defect_confirmed());
      v->set_liability(req->liability());
      v->set_estimate_fen(req->estimate_fen());
      v->set_large_job(req->large_job());
      v->set_notes(req->notes());
      *v->mutable_verified_at() = to_timestamp(now);
      o.set_estimate_fen(req->estimate_fen());
      if (auto paid = domain::paid_after_verification(o, req->liability())) o.set_paid(*paid);
      Workflows::save(tx, o, now);
      aftercare::v1::Event e;
      auto* r = e.mutable_verification_recorded();
      r->set_work_order_id(o.work_order_id());
      r->set_ticket_id(o.ticket_id());
      r->set_verifier_id(caller.sub);
      r->set_defect_confirmed(req->defect_confirmed());
      r->set_liability(req->liability());
      r->set_estimate_fen(req->estimate_fen());
      r->set_large_job(req->large_job());
      workflows_.events().emit(tx, o, e, feed_of(o), now);
      return o;
    });
  });
}

Status DispatchServiceImpl::IssueQuote(Ctx* context, const aftercare::v1::IssueQuoteRequest* req,
                                       WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("IssueQuote", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_fen(req->amount_fen(), "amount_fen", 1), "amount_fen");
    check_input(domain::check_text(req->items(), "items", 1, kMaxNotesChars), "items");
    absl::Time now = now_micros();
    std::optional<absl::Time> valid_until;
    if (req->has_valid_until()) {
      valid_until = required_time(req->valid_until(), true, "valid_until");
      if (*valid_until <= now)
        throw Refusal{kit::invalid_field("valid_until", "must be in the future")};
    }
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, call.caller, req->work_order_id());
      require_assignee(call.caller, o, "quote this work order");
      check_action(domain::Action::kIssueQuote, o);
      check_precondition(domain::issue_quote_error(o));
      domain::DispatchPolicy policy = store::load_policy(tx, o.project_id());
      aftercare::v1::Quote* q = o.mutable_quote();
      q->Clear();
      q->set_quote_id(kit::new_uuid());
      q->set_amount_fen(req->amount_fen());
      q->set_items(req->items());
      q->set_status(aftercare::v1::QUOTE_STATUS_ISSUED);
      *q->mutable_issued_at() = to_timestamp(now);
      *q->mutable_valid_until() =
          to_timestamp(valid_until.value_or(now + absl::Hours(24 * policy.quote_valid_days)));
      Workflows::save(tx, o, now);
      aftercare::v1::Event e;
      auto* i = e.mutable_quote_issued();
      i->set_work_order_id(o.work_order_id());
      i->set_ticket_id(o.ticket_id());
      i->set_quote_id(q->quote_id());
      i->set_unit_id(o.unit_id());
      i->set_owner_id(owner_of(tx, o));
      i->set_amount_fen(q->amount_fen());
      *i->mutable_valid_until() = q->valid_until();
      workflows_.events().emit(tx, o, e, feed_of(o), now);
      return o;
    });
  });
}

Status DispatchServiceImpl::ConfirmQuote(Ctx* context,
                                         const aftercare::v1::ConfirmQuoteRequest* req,
                                         WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ConfirmQuote", [&] {
    const kit::Caller& caller = call.caller;
    check_order_id(req->work_order_id());
    check_input(domain::check_id(req->quote_id(), "quote_id"), "quote_id");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, caller, req->work_order_id());
      // The owner decides; an agent may record the decision the owner gave on the phone.
      require_role((caller.is("owner") && caller.owns_unit(o.unit_id())) ||
                       (caller.is("agent") && caller.sees_project(o.project_id())),
                   caller, "decide on quotes");
      check_action(domain::Action::kConfirmQuote, o);
      check_precondition(domain::confirm_quote_error(o, req->quote_id(), now));
      aftercare::v1::Quote* q = o.mutable_quote();
      q->set_status(req->accept() ? aftercare::v1::QUOTE_STATUS_CONFIRMED
                                  : aftercare::v1::QUOTE_STATUS_DECLINED);
      *q->mutable_decided_at() = to_timestamp(now);
      std::string owner_id = owner_of(tx, o);
      aftercare::v1::Event e;
      if (req->accept()) {
        Workflows::save(tx, o, now);
        auto* c = e.mutable_quote_confirmed();
        c->set_work_order_id(o.work_order_id());
        c->set_ticket_id(o.ticket_id());
        c->set_quote_id(q->quote_id());
        c->set_unit_id(o.unit_id());
        c->set_owner_id(owner_id);
        c->set_amount_fen(q->amount_fen());
        workflows_.events().emit(tx, o, e, feed_of(o), now);
      } else {
        auto* d = e.mutable_quote_declined();
        d->set_work_order_id(o.work_order_id());
        d->set_ticket_id(o.ticket_id());
        d->set_quote_id(q->quote_id());
        d->set_unit_id(o.unit_id());
        workflows_.events().emit(tx, o, e, feed_of(o), now);
        workflows_.cancel(tx, o, "the owner declined the quote", now);
      }
      return o;
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Partner feed
// ---------------------------------------------------------------------------------------------

namespace {

struct FeedRequest {
  std::string party_id;
  int64_t after = 0;
  int limit = kDefaultFeedLimit;
  int wait_seconds = 0;
};

FeedRequest check_feed_request(kit::PgPool& db, const kit::Caller& caller,
                               const aftercare::v1::ListPartnerEventsRequest& req) {
  require_role(is_partner(caller) || caller.is("admin") || caller.is("service"), caller,
               "read partner events");
  check_input(domain::check_id(req.party_id(), "party_id"), "party_id");
  FeedRequest f;
  f.party_id = req.party_id();
  if (!req.after().empty()) {
    try {
      size_t used = 0;
      f.after = std::stoll(req.after(), &used);
      if (used != req.after().size() || f.after < 0) throw std::invalid_argument("cursor");
    } catch (const std::exception&) {
      throw Refusal{kit::invalid_field("after", "is not a cursor of this feed")};
    }
  }
  if (req.limit() < 0 || req.limit() > kMaxFeedLimit) {
    throw Refusal{
        kit::invalid_field("limit", "must be between 0 and " + std::to_string(kMaxFeedLimit))};
  }
  if (req.limit() > 0) f.limit = req.limit();
  if (req.wait_seconds() < 0 || req.wait_seconds() > kMaxWaitSeconds) {
    throw Refusal{kit::invalid_field("wait_seconds",
                                     "must be between 0 and " + std::to_string(kMaxWaitSeconds))};
  }
  f.wait_seconds = req.wait_seconds();
  // A partner reads its own feed only; another party's feed does not exist for it.
  if (is_partner(caller) && caller.party_id != f.party_id) {
    refuse(StatusCode::NOT_FOUND, "party " + f.party_id + " not found");
  }
  // An admin reads the feeds of the parties of its projects (support); not others'.
  if (caller.is("admin") && !caller.sees_project("*")) {
    auto projects =
        db.in_transaction([&](pqxx::work& tx) { return store::party_projects(tx, f.party_id); });
    if (std::none_of(projects.begin(), projects.end(),
                     [&](const std::string& p) { return caller.sees_project(p); }))
      refuse(StatusCode::NOT_FOUND, "party " + f.party_id + " not found");
  }
  return f;
}

}  // namespace

bool DispatchServiceImpl::wait_for_feed(grpc::ServerContext& context, const std::string& party,
                                        FeedHeads::Seen& seen,
                                        std::chrono::steady_clock::time_point until) {
  for (;;) {
    if (context.IsCancelled()) return false;
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return false;
    // Slices of a second at most, so that a cancelled call is noticed without a notification.
    if (feed_heads_.wait_for_change(party, seen, std::min(until, now + kCancelCheck))) return true;
  }
}

Status DispatchServiceImpl::ListPartnerEvents(Ctx* context,
                                              const aftercare::v1::ListPartnerEventsRequest* req,
                                              aftercare::v1::ListPartnerEventsResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListPartnerEvents", [&] {
    FeedRequest f = check_feed_request(db_, call.caller, *req);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(f.wait_seconds);
    FeedHeads::Seen seen = feed_heads_.seen(f.party_id);
    std::vector<aftercare::v1::PartnerEvent> events;
    for (;;) {
      events = db_.in_transaction([&](pqxx::work& tx) {
        return store::read_partner_events(tx, f.party_id, f.after, f.limit);
      });
      if (!events.empty() || !wait_for_feed(*context, f.party_id, seen, until)) break;
    }
    for (auto& e : events) *resp->add_events() = std::move(e);
    resp->set_next_cursor(resp->events().empty() ? req->after()
                                                 : resp->events().rbegin()->cursor());
  });
}

Status DispatchServiceImpl::WatchPartnerEvents(
    Ctx* context, const aftercare::v1::ListPartnerEventsRequest* req,
    grpc::ServerWriter<aftercare::v1::PartnerEvent>* writer) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("WatchPartnerEvents", [&] {
    FeedRequest f = check_feed_request(db_, call.caller, *req);
    int64_t after = f.after;
    FeedHeads::Seen seen = feed_heads_.seen(f.party_id);
    for (;;) {
      auto events = db_.in_transaction([&](pqxx::work& tx) {
        return store::read_partner_events(tx, f.party_id, after, f.limit);
      });
      for (const auto& e : events) {
        if (!writer->Write(e)) return;  // the client went away
        after = std::stoll(e.cursor());
      }
      if (events.empty() &&
          !wait_for_feed(*context, f.party_id, seen, std::chrono::steady_clock::time_point::max()))
        return;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Rerouting
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::RerouteLateBuilders(
    Ctx* context, const aftercare::v1::RerouteLateBuildersRequest* req,
    aftercare::v1::RerouteLateBuildersResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RerouteLateBuilders", [&] {
    const kit::Caller& caller = call.caller;
    require_role(is_dispatcher(caller) || caller.is("service"), caller, "run the reroute sweeper");
    bool everywhere = caller.is("service") || caller.sees_project("*");
    if (req->project_id().empty()) {
      if (!everywhere) throw Refusal{kit::invalid_field("project_id", "is required")};
    } else {
      check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
      if (!everywhere && !caller.sees_project(req->project_id())) {
        refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
      }
    }
    absl::Time as_of = req->has_as_of() ? required_time(req->as_of(), true, "as_of") : now_micros();
    for (auto& r : workflows_.reroute_late_builders(db_, as_of, req->project_id())) {
      *resp->add_reroutes() = std::move(r);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::RepairReport(Ctx* context,
                                         const aftercare::v1::RepairReportRequest* req,
                                         aftercare::v1::RepairReportResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RepairReport", [&] {
    const kit::Caller& caller = call.caller;
    require_role(caller.is("supervisor") || caller.is("finance") || caller.is("admin") ||
                     caller.is("dispatcher") || caller.is("service"),
                 caller, "read repair reports");
    check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    std::string period_error = domain::check_period(req->period());
    if (!period_error.empty()) {
      size_t space = period_error.find(' ');  // "period.index must be ..."
      throw Refusal{
          kit::invalid_field(period_error.substr(0, space), period_error.substr(space + 1))};
    }
    if (!caller.is("service") && !caller.sees_project(req->project_id())) {
      refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
    }
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      absl::TimeZone zone;
      if (!absl::LoadTimeZone(store::project_timezone(tx, req->project_id()), &zone)) {
        zone = absl::UTCTimeZone();
      }
      domain::PeriodBounds bounds = domain::period_bounds(req->period(), zone);
      return domain::repair_report(
          store::report_orders(tx, req->project_id(), bounds.start, bounds.end), bounds, now);
    });
    resp->set_project_id(req->project_id());
    *resp->mutable_period() = req->period();
  });
}

}  // namespace aftercare::dispatch
