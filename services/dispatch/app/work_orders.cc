#include "dispatch/app/work_orders.h"

#include <algorithm>
#include <map>

#include "common/privacy.h"
#include "dispatch/app/appointments.h"
#include "dispatch/app/owner_acts.h"

#include "dispatch/domain/names.h"
#include "dispatch/domain/report.h"
#include "dispatch/domain/validation.h"
#include "dispatch/domain/work_order.h"
#include "dispatch/handler_support.h"

namespace aftercare::dispatch::app {

using namespace handlers;  // NOLINT: the shared handler helpers

void upsert_party(const Context& ctx, const aftercare::v1::Party& party) {
  ctx.db.in_transaction([&](pqxx::work& tx) {
    store::upsert_party(tx, party);
    ctx.workflows.events().emit_party(tx, party, ctx.now);
  });
}

WorkOrder create_work_order(const Context& ctx, const aftercare::v1::CreateWorkOrderRequest& req,
                            const std::string& source) {
  const kit::Caller& caller = ctx.caller;
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    std::optional<store::Ticket> ticket = store::load_ticket(tx, req.ticket_id());
    if (!ticket || !in_scope(caller, ticket->facts.project_id)) {
      refuse(StatusCode::NOT_FOUND, "ticket " + req.ticket_id() + " not found");
    }
    if (auto existing = store::find_by_source(tx, source)) return *existing;  // a repeat
    if (ticket->cancelled) refuse(StatusCode::FAILED_PRECONDITION, "the ticket is cancelled");
    const domain::TicketFacts& f = ticket->facts;
    std::vector<domain::PartyInfo> parties = store::routing_parties(tx, f.project_id);
    domain::DispatchPolicy policy = store::load_policy(tx, f.project_id);
    std::string kind = domain::public_name(req.assignee_kind());

    domain::Routing r;
    r.assignee_kind = req.assignee_kind();
    if (!req.party_id().empty()) {
      bool fits = std::any_of(parties.begin(), parties.end(), [&](const domain::PartyInfo& p) {
        return p.party_id == req.party_id() && p.kind == req.assignee_kind() && p.active;
      });
      if (!fits) {
        refuse(StatusCode::FAILED_PRECONDITION, "party " + req.party_id() + " is not an active " +
                                                    kind + " of project " + f.project_id);
      }
      r.party_id = req.party_id();
    } else {
      std::vector<std::string> declined = store::decliners_of_ticket(tx, f.ticket_id);
      auto chosen = domain::choose_party(req.assignee_kind(), f.category, parties, false,
                                         {declined.begin(), declined.end()});
      if (!chosen) {
        refuse(StatusCode::FAILED_PRECONDITION,
               "no active " + kind + " covers " + domain::public_name(f.category));
      }
      r.party_id = *chosen;
    }
    if (f.in_warranty) {
      r.builder_party_id =
          req.assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER
              ? r.party_id
              : domain::choose_party(aftercare::v1::PARTY_KIND_BUILDER, f.category, parties)
                    .value_or("");
    }
    r.paid = !f.in_warranty;
    std::optional<int64_t> estimate;
    if (req.has_estimate_fen()) estimate = req.estimate_fen();
    r.deadline =
        r.assignee_kind == aftercare::v1::PARTY_KIND_BUILDER
            ? domain::builder_deadline(ctx.now, f.resolve_due,
                                       domain::is_large_job(estimate, false, policy), policy)
            : domain::replacement_deadline(ctx.now, f.resolve_due, policy);
    r.rationale = "created by dispatcher " + caller.sub +
                  (req.reason().empty() ? std::string() : ": " + req.reason());
    auto created =
        ctx.workflows.create_order(tx, *ticket, r, aftercare::v1::WORK_ORDER_ORIGIN_MANUAL, source,
                                   ctx.now, [&](WorkOrder& o) {
                                     if (estimate) o.set_estimate_fen(*estimate);
                                   });
    if (!created) {
      // A concurrent repeat of the same idempotency key won the race.
      if (auto existing = store::find_by_source(tx, source)) return *existing;
      refuse(StatusCode::ALREADY_EXISTS, "the work order exists already");
    }
    return *created;
  });
}

WorkOrder accept_work_order(const Context& ctx, const aftercare::v1::AcceptWorkOrderRequest& req) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    require_assignee(ctx.caller, o, "accept this work order");
    check_action(domain::Action::kAccept, o);
    require_assigned(o);
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_ACCEPTED);
    *o.mutable_accepted_at() = to_timestamp(ctx.now);
    if (!req.technician_id().empty()) {
      aftercare::v1::TechnicianAssignment entry;
      entry.set_assigned_by(ctx.caller.sub);
      entry.set_reason("named when accepting");
      set_order_technician(o, req.technician_id(), local_day(tx, o.project_id(), ctx.now), entry,
                           ctx.now);
    }
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* a = e.mutable_work_order_accepted();
    a->set_work_order_id(o.work_order_id());
    a->set_ticket_id(o.ticket_id());
    a->set_party_id(o.party_id());
    a->set_technician_id(o.technician_id());
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

WorkOrder decline_work_order(const Context& ctx,
                             const aftercare::v1::DeclineWorkOrderRequest& req) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    require_assignee(ctx.caller, o, "decline this work order");
    check_action(domain::Action::kDecline, o);
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_DECLINED);
    o.set_decline_reason(req.reason());
    store::drop_appointment(tx, o.work_order_id());
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* d = e.mutable_work_order_declined();
    d->set_work_order_id(o.work_order_id());
    d->set_ticket_id(o.ticket_id());
    d->set_party_id(o.party_id());
    d->set_reason(req.reason());
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    // A builder that declines is replaced at once like a late one; a crew or contractor
    // that declines leaves the choice to the dispatcher (CreateWorkOrder skips decliners).
    if (o.assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER) {
      ctx.workflows.reroute(tx, o, aftercare::v1::REROUTE_REASON_BUILDER_DECLINED, ctx.now);
    }
    return o;
  });
}

WorkOrder schedule_work_order(const Context& ctx,
                              const aftercare::v1::ScheduleWorkOrderRequest& req,
                              const domain::Window& window) {
  const aftercare::v1::OnBehalf* consent = req.has_owner_consent() ? &req.owner_consent() : nullptr;
  await_attachment(ctx.db, consent);
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    const kit::Caller& caller = ctx.caller;
    WorkOrder o = lock_visible(tx, caller, req.work_order_id());
    require_assignee(caller, o, "schedule this work order");
    // Issue 23: the owner's consent the caller brings, and whether the new window waits for it.
    std::optional<aftercare::v1::OnBehalf> owner_consent;
    if (consent) {
      owner_consent = owner_act(tx, caller, o, domain::OwnerAct::kAppointmentConsent, consent);
    }
    bool awaits_consent = domain::new_window_awaits_consent(o, consent != nullptr);
    domain::DispatchPolicy policy = store::load_policy(tx, o.project_id());
    std::string window_error = domain::check_window(window, ctx.now, policy);
    check_input(window_error, window_error.starts_with("start") ? "start" : "end");
    check_action(domain::Action::kSchedule, o);
    require_assigned(o);
    bool reschedule = o.status() == aftercare::v1::WORK_ORDER_STATUS_SCHEDULED;
    if (reschedule && req.reason().empty()) {
      throw Refusal{kit::invalid_field("reason", "is required when rescheduling")};
    }
    std::string technician = req.technician_id();
    if (technician.empty()) technician = o.technician_id();
    if (technician.empty() && is_partner(caller)) technician = caller.sub;
    book_appointment(tx, o.work_order_id(), domain::appointment_resource(technician, o.party_id()),
                     window, domain::reminder_due(window, policy));
    aftercare::v1::TimeWindow previous = o.appointment();
    o.mutable_appointment()->Clear();
    *o.mutable_appointment()->mutable_start() = to_timestamp(window.start);
    *o.mutable_appointment()->mutable_end() = to_timestamp(window.end);
    // The technician's assignment counts on the appointment's day.
    aftercare::v1::TechnicianAssignment entry;
    entry.set_assigned_by(caller.sub);
    entry.set_reason("named when scheduling");
    set_order_technician(o, technician, local_day(tx, o.project_id(), window.start), entry,
                         ctx.now);
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_SCHEDULED);
    if (reschedule) o.set_reschedule_count(o.reschedule_count() + 1);
    aftercare::v1::AppointmentChange* change = o.add_appointment_history();
    *change->mutable_appointment() = o.appointment();
    change->set_technician_id(technician);
    change->set_reason(req.reason());
    change->set_changed_by(caller.sub);
    *change->mutable_changed_at() = to_timestamp(ctx.now);
    o.set_appointment_change_pending(awaits_consent);
    if (owner_consent) {
      *o.mutable_appointment()->mutable_confirmed_at() = to_timestamp(ctx.now);
      aftercare::v1::AppointmentConsent* c = o.add_appointment_consents();
      *c->mutable_appointment() = o.appointment();
      c->set_agreed(true);
      c->set_owner_id(owner_of(tx, o));
      c->set_recorded_by(caller.sub);
      *c->mutable_on_behalf() = *owner_consent;
      *c->mutable_at() = to_timestamp(ctx.now);
      c->set_technician_id(technician);
    }
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* s = e.mutable_work_order_scheduled();
    s->set_work_order_id(o.work_order_id());
    s->set_ticket_id(o.ticket_id());
    s->set_party_id(o.party_id());
    s->set_technician_id(technician);
    *s->mutable_appointment() = o.appointment();
    s->set_rescheduled(reschedule);
    if (reschedule) *s->mutable_previous_appointment() = previous;
    s->set_reason(req.reason());
    s->set_awaiting_owner_consent(awaits_consent);
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

WorkOrder start_work_order(const Context& ctx, const aftercare::v1::StartWorkOrderRequest& req) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    require_assignee(ctx.caller, o, "start this work order");
    check_action(domain::Action::kStart, o);
    require_assigned(o);
    check_precondition(domain::start_error(o, store::load_policy(tx, o.project_id())));
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_IN_PROGRESS);
    *o.mutable_started_at() = to_timestamp(ctx.now);
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* s = e.mutable_work_order_started();
    s->set_work_order_id(o.work_order_id());
    s->set_ticket_id(o.ticket_id());
    s->set_party_id(o.party_id());
    *s->mutable_started_at() = o.started_at();
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

WorkOrder complete_work_order(const Context& ctx,
                              const aftercare::v1::CompleteWorkOrderRequest& req) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    require_assignee(ctx.caller, o, "complete this work order");
    check_action(domain::Action::kComplete, o);
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_COMPLETED);
    o.set_cost_fen(req.cost_fen());
    o.set_notes(req.notes());
    *o.mutable_completed_at() = to_timestamp(ctx.now);
    // The technician is free again; the window stays on the order as history.
    store::drop_appointment(tx, o.work_order_id());
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* c = e.mutable_work_order_completed();
    c->set_work_order_id(o.work_order_id());
    c->set_ticket_id(o.ticket_id());
    c->set_party_id(o.party_id());
    c->set_cost_fen(o.cost_fen());
    *c->mutable_completed_at() = o.completed_at();
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

WorkOrder sign_off_work_order(const Context& ctx,
                              const aftercare::v1::SignOffWorkOrderRequest& req) {
  const kit::Caller& caller = ctx.caller;
  const aftercare::v1::OnBehalf* given = req.has_on_behalf() ? &req.on_behalf() : nullptr;
  if (!caller.is(kit::Role::owner)) await_attachment(ctx.db, given);
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, caller, req.work_order_id());
    bool in_project = in_scope(caller, o.project_id());
    // The owner in person, or staff recording the owner's signature (issue 23).
    std::optional<aftercare::v1::OnBehalf> on_behalf;
    switch (req.signer()) {
      case aftercare::v1::SIGNER_OWNER:
        on_behalf = owner_act(tx, caller, o, domain::OwnerAct::kSignOff, given);
        break;
      case aftercare::v1::SIGNER_MAINTENANCE:
        require_role(caller.is_any(kMaintenanceSigners) && in_project, caller,
                     "sign off as maintenance");
        break;
      default:
        require_role(caller.is_any(kVerifiers) && in_project, caller,
                     "accept work as the verifier");
    }
    domain::SignOffVerdict verdict = domain::check_sign_off(o, req.signer());
    check_precondition(verdict.error);
    if (verdict.check == domain::SignOffCheck::kAlreadySigned) return o;  // a repeat
    aftercare::v1::SignOff* s = o.add_sign_offs();
    s->set_signer(req.signer());
    s->set_signed_by(caller.sub);
    *s->mutable_signed_at() = to_timestamp(ctx.now);
    s->set_comment(req.comment());
    s->set_recorded_by(caller.sub);
    if (on_behalf) {
      s->set_signed_by(owner_of(tx, o));  // the owner's act, recorded by the caller
      *s->mutable_on_behalf() = *on_behalf;
    }
    bool finished = o.status() == aftercare::v1::WORK_ORDER_STATUS_COMPLETED &&
                    domain::sign_off_complete(domain::signers_of(o));
    if (finished) {
      o.set_status(aftercare::v1::WORK_ORDER_STATUS_SIGNED_OFF);
      *o.mutable_signed_off_at() = to_timestamp(ctx.now);
    }
    Workflows::save(tx, o, ctx.now);
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
    for (const auto& sig : o.sign_offs()) {
      if (sig.signer() != aftercare::v1::SIGNER_OWNER) continue;
      so->set_owner_recorded_by(sig.recorded_by().empty() ? sig.signed_by() : sig.recorded_by());
      if (sig.has_on_behalf()) *so->mutable_owner_on_behalf() = sig.on_behalf();
    }
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);

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
      ctx.workflows.events().emit(tx, o, w, {}, ctx.now);
    }
    return o;
  });
}

WorkOrder reassign_work_order(const Context& ctx,
                              const aftercare::v1::ReassignWorkOrderRequest& req) {
  const kit::Caller& caller = ctx.caller;
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, caller, req.work_order_id());
    check_action(domain::Action::kReassign, o);
    std::optional<aftercare::v1::Party> party =
        store::find_party(tx, o.project_id(), req.party_id());
    if (!party || party->kind() != req.assignee_kind() || !party->active()) {
      refuse(StatusCode::FAILED_PRECONDITION, "party " + req.party_id() + " is not an active " +
                                                  domain::public_name(req.assignee_kind()) +
                                                  " of project " + o.project_id());
    }
    if (o.party_id() == req.party_id() && o.assignee_kind() == req.assignee_kind()) {
      refuse(StatusCode::FAILED_PRECONDITION,
             "the work order is already assigned to " + req.party_id());
    }
    domain::DispatchPolicy policy = store::load_policy(tx, o.project_id());
    aftercare::v1::PartyKind from_kind = o.assignee_kind();
    std::string from_party = o.party_id();
    absl::Time resolve_due = from_timestamp(o.resolve_due());
    std::optional<int64_t> estimate;
    if (o.has_estimate_fen()) estimate = o.estimate_fen();
    bool builder = req.assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER;
    absl::Time deadline =
        builder ? domain::builder_deadline(
                      ctx.now, resolve_due,
                      domain::is_large_job(estimate, o.verification().large_job(), policy), policy)
                : domain::replacement_deadline(ctx.now, resolve_due, policy);
    store::drop_appointment(tx, o.work_order_id());
    o.set_assignee_kind(req.assignee_kind());
    o.set_party_id(req.party_id());
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_CREATED);
    *o.mutable_deadline() = to_timestamp(deadline);
    o.clear_appointment();
    o.set_appointment_change_pending(false);
    aftercare::v1::TechnicianAssignment released;
    released.set_assigned_by(caller.sub);
    released.set_reason("work order reassigned to " + req.party_id());
    set_order_technician(o, "", "", released, ctx.now);
    o.clear_accepted_at();
    if (builder && o.in_warranty() && o.builder_party_id().empty())
      o.set_builder_party_id(req.party_id());
    o.set_routing_note("reassigned by " + caller.sub +
                       (req.reason().empty() ? std::string() : ": " + req.reason()));
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* r = e.mutable_work_order_reassigned();
    r->set_work_order_id(o.work_order_id());
    r->set_ticket_id(o.ticket_id());
    r->set_from_kind(from_kind);
    r->set_from_party_id(from_party);
    r->set_to_kind(o.assignee_kind());
    r->set_to_party_id(o.party_id());
    r->set_reason(req.reason());
    *r->mutable_deadline() = o.deadline();
    // The party that lost the order learns it, the new one receives it.
    ctx.workflows.events().emit(tx, o, e, {from_party, o.party_id()}, ctx.now);
    // A crew or contractor with technicians gets one at once, as on creation.
    ctx.workflows.auto_assign_technician(tx, o, ctx.now);
    return o;
  });
}

WorkOrder cancel_work_order(const Context& ctx, const aftercare::v1::CancelWorkOrderRequest& req) {
  const kit::Caller& caller = ctx.caller;
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, caller, req.work_order_id());
    check_action(domain::Action::kCancel, o);
    ctx.workflows.cancel(tx, o, req.reason(), ctx.now);
    return o;
  });
}

WorkOrder report_late(const Context& ctx, const aftercare::v1::ReportLateRequest& req,
                      absl::Time eta) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    require_assignee(ctx.caller, o, "report this work order late");
    check_action(domain::Action::kReportLate, o);
    aftercare::v1::Event e;
    auto* l = e.mutable_technician_late();
    l->set_work_order_id(o.work_order_id());
    l->set_ticket_id(o.ticket_id());
    l->set_owner_id(owner_of(tx, o));
    l->set_technician_id(o.technician_id());
    *l->mutable_new_eta() = to_timestamp(eta);
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

WorkOrder record_verification(const Context& ctx,
                              const aftercare::v1::RecordVerificationRequest& req) {
  const kit::Caller& caller = ctx.caller;
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, caller, req.work_order_id());
    check_action(domain::Action::kVerify, o);
    aftercare::v1::Verification* v = o.mutable_verification();
    v->set_verifier_id(caller.sub);
    v->set_defect_confirmed(req.defect_confirmed());
    v->set_liability(req.liability());
    v->set_estimate_fen(req.estimate_fen());
    v->set_large_job(req.large_job());
    v->set_notes(req.notes());
    v->set_plan(req.plan());  // a new plan waits for the owner's approval (issue 23)
    *v->mutable_verified_at() = to_timestamp(ctx.now);
    o.set_estimate_fen(req.estimate_fen());
    if (auto paid = domain::paid_after_verification(o, req.liability())) o.set_paid(*paid);
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* r = e.mutable_verification_recorded();
    r->set_work_order_id(o.work_order_id());
    r->set_ticket_id(o.ticket_id());
    r->set_verifier_id(caller.sub);
    r->set_defect_confirmed(req.defect_confirmed());
    r->set_liability(req.liability());
    r->set_estimate_fen(req.estimate_fen());
    r->set_large_job(req.large_job());
    r->set_plan(kit::mask_digit_runs(req.plan()));
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

WorkOrder issue_quote(const Context& ctx, const aftercare::v1::IssueQuoteRequest& req,
                      std::optional<absl::Time> valid_until) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    require_assignee(ctx.caller, o, "quote this work order");
    check_action(domain::Action::kIssueQuote, o);
    check_precondition(domain::issue_quote_error(o));
    domain::DispatchPolicy policy = store::load_policy(tx, o.project_id());
    aftercare::v1::Quote* q = o.mutable_quote();
    q->Clear();
    q->set_quote_id(kit::new_uuid());
    q->set_amount_fen(req.amount_fen());
    q->set_items(req.items());
    q->set_status(aftercare::v1::QUOTE_STATUS_ISSUED);
    *q->mutable_issued_at() = to_timestamp(ctx.now);
    *q->mutable_valid_until() =
        to_timestamp(valid_until.value_or(ctx.now + absl::Hours(24 * policy.quote_valid_days)));
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* i = e.mutable_quote_issued();
    i->set_work_order_id(o.work_order_id());
    i->set_ticket_id(o.ticket_id());
    i->set_quote_id(q->quote_id());
    i->set_unit_id(o.unit_id());
    i->set_owner_id(owner_of(tx, o));
    i->set_amount_fen(q->amount_fen());
    *i->mutable_valid_until() = q->valid_until();
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

WorkOrder confirm_quote(const Context& ctx, const aftercare::v1::ConfirmQuoteRequest& req) {
  const kit::Caller& caller = ctx.caller;
  const aftercare::v1::OnBehalf* given = req.has_on_behalf() ? &req.on_behalf() : nullptr;
  if (!caller.is(kit::Role::owner)) await_attachment(ctx.db, given);
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, caller, req.work_order_id());
    // The owner decides; staff may record the decision the owner gave on the phone or on a
    // slip (an agent without on_behalf: the phone).
    std::optional<aftercare::v1::OnBehalf> on_behalf =
        owner_act(tx, caller, o, domain::OwnerAct::kDecideQuote, given);
    check_action(domain::Action::kConfirmQuote, o);
    check_precondition(domain::confirm_quote_error(o, req.quote_id(), ctx.now));
    aftercare::v1::Quote* q = o.mutable_quote();
    q->set_status(req.accept() ? aftercare::v1::QUOTE_STATUS_CONFIRMED
                               : aftercare::v1::QUOTE_STATUS_DECLINED);
    *q->mutable_decided_at() = to_timestamp(ctx.now);
    q->set_decided_by(caller.sub);
    if (on_behalf) *q->mutable_on_behalf() = *on_behalf;
    std::string owner_id = owner_of(tx, o);
    aftercare::v1::Event e;
    if (req.accept()) {
      Workflows::save(tx, o, ctx.now);
      auto* c = e.mutable_quote_confirmed();
      c->set_work_order_id(o.work_order_id());
      c->set_ticket_id(o.ticket_id());
      c->set_quote_id(q->quote_id());
      c->set_unit_id(o.unit_id());
      c->set_owner_id(owner_id);
      c->set_amount_fen(q->amount_fen());
      c->set_decided_by(caller.sub);
      if (on_behalf) *c->mutable_on_behalf() = *on_behalf;
      ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    } else {
      auto* d = e.mutable_quote_declined();
      d->set_work_order_id(o.work_order_id());
      d->set_ticket_id(o.ticket_id());
      d->set_quote_id(q->quote_id());
      d->set_unit_id(o.unit_id());
      d->set_decided_by(caller.sub);
      if (on_behalf) *d->mutable_on_behalf() = *on_behalf;
      ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
      ctx.workflows.cancel(tx, o, "the owner declined the quote", ctx.now);
    }
    return o;
  });
}

}  // namespace aftercare::dispatch::app
