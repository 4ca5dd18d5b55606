#include "dispatch/app/owner_acts.h"

#include <thread>

#include "common/privacy.h"
#include "dispatch/domain/names.h"
#include "dispatch/handler_support.h"
#include "dispatch/store/attachment_store.h"

namespace aftercare::dispatch::app {

using namespace handlers;  // NOLINT: the shared handler helpers

domain::Recorder recorder_of(const kit::Caller& c, const WorkOrder& o) {
  using domain::Recorder;
  if (c.is(kit::Role::owner)) return c.owns_unit(o.unit_id()) ? Recorder::kOwner : Recorder::kOther;
  if (c.is(kit::Role::service)) return Recorder::kDispatcher;
  if (c.is(kit::Role::agent) && c.sees_project(o.project_id())) return Recorder::kAgent;
  if (is_dispatcher(c) && c.sees_project(o.project_id())) return Recorder::kDispatcher;
  if (is_partner(c) && !c.party_id.empty() && c.party_id == o.party_id()) {
    return Recorder::kAssignee;
  }
  return Recorder::kOther;
}

void enforce(const domain::Verdict& v, const kit::Caller& caller) {
  switch (v.kind) {
    case domain::Verdict::kOk:
    case domain::Verdict::kRepeat:
      return;
    case domain::Verdict::kInvalid:
      throw kit::invalid(v.field, v.message);
    case domain::Verdict::kForbidden:
      refuse(StatusCode::PERMISSION_DENIED,
             "role " + (caller.role_name().empty() ? std::string("(none)") : caller.role_name()) +
                 " " + v.message);
    case domain::Verdict::kPrecondition:
      refuse(StatusCode::FAILED_PRECONDITION, v.message);
    case domain::Verdict::kAlreadyExists:
      refuse(StatusCode::ALREADY_EXISTS, v.message);
  }
}

std::optional<aftercare::v1::OnBehalf> owner_act(pqxx::work& tx, const kit::Caller& caller,
                                                 const WorkOrder& order, domain::OwnerAct act,
                                                 const aftercare::v1::OnBehalf* given) {
  domain::OwnerActDecision d = domain::decide_owner_act(act, recorder_of(caller, order), given);
  enforce(d.verdict, caller);
  if (d.recorded && !d.recorded->attachment_id().empty()) {
    enforce(domain::check_slip_attachment(*d.recorded,
                                          store::attachment_ticket(tx, d.recorded->attachment_id()),
                                          order.ticket_id()),
            caller);
  }
  return d.recorded;
}

void await_attachment(kit::PgPool& db, const aftercare::v1::OnBehalf* given,
                      std::chrono::milliseconds patience) {
  if (!given || given->attachment_id().empty()) return;
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (true) {
    bool known = db.in_transaction([&](pqxx::work& tx) {
      return store::attachment_ticket(tx, given->attachment_id()).has_value();
    });
    if (known || std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

namespace {

const aftercare::v1::OnBehalf* given_of(bool has, const aftercare::v1::OnBehalf& on_behalf) {
  return has ? &on_behalf : nullptr;
}

aftercare::v1::AppointmentConsent& record_consent(WorkOrder& o, const std::string& owner_id,
                                                  const kit::Caller& caller,
                                                  const std::optional<aftercare::v1::OnBehalf>& ob,
                                                  bool agreed, const std::string& reason,
                                                  absl::Time now) {
  aftercare::v1::AppointmentConsent* c = o.add_appointment_consents();
  *c->mutable_appointment() = o.appointment();
  c->set_agreed(agreed);
  c->set_reason(reason);
  c->set_owner_id(owner_id);
  c->set_recorded_by(caller.sub);
  if (ob) *c->mutable_on_behalf() = *ob;
  *c->mutable_at() = to_timestamp(now);
  c->set_technician_id(o.technician_id());
  return *c;
}

aftercare::v1::Event consent_event(const WorkOrder& o, const aftercare::v1::AppointmentConsent& c,
                                   const std::string& party_id, bool sent_back) {
  aftercare::v1::Event e;
  auto* r = e.mutable_appointment_consent_recorded();
  r->set_work_order_id(o.work_order_id());
  r->set_ticket_id(o.ticket_id());
  r->set_party_id(party_id);
  r->set_technician_id(c.technician_id());
  *r->mutable_appointment() = c.appointment();
  r->set_agreed(c.agreed());
  r->set_reason(c.reason());
  r->set_owner_id(c.owner_id());
  r->set_recorded_by(c.recorded_by());
  if (c.has_on_behalf()) *r->mutable_on_behalf() = c.on_behalf();
  r->set_sent_back(sent_back);
  return e;
}

}  // namespace

WorkOrder confirm_appointment(const Context& ctx,
                              const aftercare::v1::ConfirmAppointmentRequest& req) {
  const aftercare::v1::OnBehalf* given = given_of(req.has_on_behalf(), req.on_behalf());
  await_attachment(ctx.db, given);
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    auto ob = owner_act(tx, ctx.caller, o, domain::OwnerAct::kAppointmentConsent, given);
    domain::Verdict v = domain::check_confirm_appointment(o);
    if (v.kind == domain::Verdict::kRepeat) return o;
    enforce(v, ctx.caller);
    *o.mutable_appointment()->mutable_confirmed_at() = to_timestamp(ctx.now);
    o.set_appointment_change_pending(false);
    const auto& c = record_consent(o, owner_of(tx, o), ctx.caller, ob, true, "", ctx.now);
    Workflows::save(tx, o, ctx.now);
    ctx.workflows.events().emit(tx, o, consent_event(o, c, o.party_id(), false), feed_of(o),
                                ctx.now);
    return o;
  });
}

WorkOrder refuse_appointment(const Context& ctx,
                             const aftercare::v1::RefuseAppointmentRequest& req) {
  const aftercare::v1::OnBehalf* given = given_of(req.has_on_behalf(), req.on_behalf());
  await_attachment(ctx.db, given);
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    const kit::Caller& caller = ctx.caller;
    WorkOrder o = lock_visible(tx, caller, req.work_order_id());
    auto ob = owner_act(tx, caller, o, domain::OwnerAct::kAppointmentConsent, given);
    enforce(domain::check_refuse_appointment(o), caller);
    const aftercare::v1::AppointmentConsent c =
        record_consent(o, owner_of(tx, o), caller, ob, false, req.reason(), ctx.now);
    // Back for reassignment: no appointment, no technician, no party; a dispatcher passes it
    // to someone else (ReassignWorkOrder, then AssignTechnician).
    std::string from_party = o.party_id();
    store::drop_appointment(tx, o.work_order_id());
    o.clear_appointment();
    o.set_appointment_change_pending(false);
    aftercare::v1::TechnicianAssignment released;
    released.set_assigned_by(caller.sub);
    released.set_reason("the owner refused the appointment window");
    set_order_technician(o, "", "", released, ctx.now);
    o.set_party_id("");
    o.set_status(aftercare::v1::WORK_ORDER_STATUS_CREATED);
    o.clear_accepted_at();
    o.set_routing_note("the owner refused the appointment window (" + req.reason() +
                       "): a dispatcher passes the order to someone else");
    Workflows::save(tx, o, ctx.now);
    std::vector<std::string> feeds;
    if (!from_party.empty()) feeds.push_back(from_party);
    ctx.workflows.events().emit(tx, o, consent_event(o, c, from_party, true), feeds, ctx.now);
    aftercare::v1::Event e;
    auto* r = e.mutable_work_order_reassigned();
    r->set_work_order_id(o.work_order_id());
    r->set_ticket_id(o.ticket_id());
    r->set_from_kind(o.assignee_kind());
    r->set_from_party_id(from_party);
    r->set_to_kind(o.assignee_kind());
    r->set_to_party_id("");
    r->set_reason("the owner refused the appointment window: " + req.reason());
    *r->mutable_deadline() = o.deadline();
    ctx.workflows.events().emit(tx, o, e, feeds, ctx.now);
    return o;
  });
}

WorkOrder rate_work_order(const Context& ctx, const aftercare::v1::RateWorkOrderRequest& req) {
  const aftercare::v1::OnBehalf* given = given_of(req.has_on_behalf(), req.on_behalf());
  await_attachment(ctx.db, given);
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    auto ob = owner_act(tx, ctx.caller, o, domain::OwnerAct::kRate, given);
    enforce(domain::check_rating(o), ctx.caller);
    std::string owner_id = owner_of(tx, o);
    aftercare::v1::Rating* r = o.mutable_rating();
    r->set_score(req.score());
    r->set_comment(req.comment());
    r->set_owner_id(owner_id);
    r->set_recorded_by(ctx.caller.sub);
    if (ob) *r->mutable_on_behalf() = *ob;
    *r->mutable_rated_at() = to_timestamp(ctx.now);
    r->set_technician_id(o.technician_id());
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* w = e.mutable_work_order_rated();
    w->set_work_order_id(o.work_order_id());
    w->set_ticket_id(o.ticket_id());
    w->set_unit_id(o.unit_id());
    w->set_owner_id(owner_id);
    w->set_assignee_kind(o.assignee_kind());
    w->set_party_id(o.party_id());
    w->set_technician_id(o.technician_id());
    w->set_score(req.score());
    w->set_comment(kit::mask_digit_runs(req.comment()));
    w->set_recorded_by(ctx.caller.sub);
    if (ob) *w->mutable_on_behalf() = *ob;
    *w->mutable_rated_at() = r->rated_at();
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

WorkOrder approve_plan(const Context& ctx, const aftercare::v1::ApprovePlanRequest& req) {
  const aftercare::v1::OnBehalf* given = given_of(req.has_on_behalf(), req.on_behalf());
  await_attachment(ctx.db, given);
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    WorkOrder o = lock_visible(tx, ctx.caller, req.work_order_id());
    auto ob = owner_act(tx, ctx.caller, o, domain::OwnerAct::kApprovePlan, given);
    domain::Verdict v = domain::check_approve_plan(o);
    if (v.kind == domain::Verdict::kRepeat) return o;
    enforce(v, ctx.caller);
    std::string owner_id = owner_of(tx, o);
    aftercare::v1::PlanApproval* a = o.mutable_plan_approval();
    a->Clear();
    a->set_plan(o.verification().plan());
    a->set_owner_id(owner_id);
    a->set_recorded_by(ctx.caller.sub);
    if (ob) *a->mutable_on_behalf() = *ob;
    a->set_comment(req.comment());
    *a->mutable_approved_at() = to_timestamp(ctx.now);
    Workflows::save(tx, o, ctx.now);
    aftercare::v1::Event e;
    auto* p = e.mutable_plan_approved();
    p->set_work_order_id(o.work_order_id());
    p->set_ticket_id(o.ticket_id());
    p->set_unit_id(o.unit_id());
    p->set_owner_id(owner_id);
    p->set_recorded_by(ctx.caller.sub);
    if (ob) *p->mutable_on_behalf() = *ob;
    *p->mutable_approved_at() = a->approved_at();
    ctx.workflows.events().emit(tx, o, e, feed_of(o), ctx.now);
    return o;
  });
}

}  // namespace aftercare::dispatch::app
