// Decoration permits (二次装修, issue 19): the owner or an agent applies; the property company
// approves (deposit and fee, DecorationPermitUpdated for billing) or refuses; inspections and
// violations during the works (a violation may withhold part of the deposit); finish refunds
// deposit - deductions exactly once: the permit's row lock and its status make a second finish
// a replay that changes nothing.
#include "aftercare/v1/handover.pb.h"
#include "common/refusal.h"
#include "common/time.h"
#include "intake/access.h"
#include "intake/app/handover.h"
#include "intake/domain/dates.h"
#include "intake/domain/handover.h"
#include "intake/store/handover_store.h"
#include "intake/store/intake_store.h"

namespace aftercare::intake::app {

using kit::to_timestamp;

namespace {

bool sees_permit(const kit::Caller& c, const v1::DecorationPermit& p) {
  if (c.is(kit::Role::owner)) return c.owns_unit(p.unit_id());
  return staff_sees(c, p.project_id());
}

void publish(pqxx::work& tx, const kit::Outbox& outbox, const v1::DecorationPermit& p,
             v1::DecorationAction action, int64_t deduction_fen = 0) {
  v1::Event e;
  e.set_project_id(p.project_id());
  e.set_aggregate_id(p.permit_id());
  e.set_aggregate_version(p.version());
  auto* u = e.mutable_decoration_permit_updated();
  u->set_permit_id(p.permit_id());
  u->set_unit_id(p.unit_id());
  u->set_owner_id(p.owner_id());
  u->set_action(action);
  u->set_status(p.status());
  u->set_deposit_fen(p.deposit_fen());
  u->set_fee_fen(p.fee_fen());
  u->set_deduction_fen(deduction_fen);
  u->set_deductions_fen(p.deductions_fen());
  if (action == v1::DECORATION_ACTION_FINISHED) u->set_refund_fen(p.deposit_refunded_fen());
  outbox.add(tx, e);
}

// Loads the permit under its row lock, checks scope and the action, runs `change`, stores the
// permit with its event. `change` returns the event's deduction (violations) or nothing.
template <typename F>
Status change_permit(const Context& ctx, const std::string& permit_id, domain::PermitAction action,
                     v1::DecorationAction published, v1::DecorationPermit* out, F&& change) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto p = store::find_permit(tx, permit_id, /*for_update=*/true);
    if (!p || !sees_permit(ctx.caller, *p)) return not_found("decoration permit " + permit_id);
    // Finishing twice (a retry, a double click) refunds once: the second answer is the first.
    if (action == domain::PermitAction::kFinish &&
        p->status() == v1::DECORATION_PERMIT_STATUS_FINISHED) {
      *out = *p;
      return Status::OK;
    }
    if (auto e = domain::check_permit_action(*p, action); !e.empty())
      return {StatusCode::FAILED_PRECONDITION, e};
    int64_t deduction = 0;
    if (Status s = change(*p, &deduction); !s.ok()) throw kit::Refusal{s};
    p->set_version(p->version() + 1);
    store::update_permit(tx, *p);
    publish(tx, ctx.outbox, *p, published, deduction);
    *out = *p;
    return Status::OK;
  });
}

}  // namespace

Status apply_decoration_permit(const Context& ctx, const v1::ApplyDecorationPermitRequest& r,
                               v1::DecorationPermit* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto unit = store::find_unit(tx, r.unit_id());
    bool in_scope =
        unit && (ctx.caller.is(kit::Role::owner) ? ctx.caller.owns_unit(unit->unit_id())
                                                 : staff_sees(ctx.caller, unit->project_id()));
    if (!in_scope) return not_found("unit " + r.unit_id());
    v1::DecorationPermit p;
    p.set_permit_id(kit::new_uuid());
    p.set_project_id(unit->project_id());
    p.set_unit_id(unit->unit_id());
    p.set_owner_id(unit->owner_id());
    p.set_status(v1::DECORATION_PERMIT_STATUS_APPLIED);
    p.set_contractor_name(r.contractor_name());
    p.set_scope(r.scope());
    *p.mutable_starts_on() = r.starts_on();
    *p.mutable_ends_on() = r.ends_on();
    p.set_workers(r.workers());
    p.set_applied_by(actor_of(ctx.caller));
    *p.mutable_applied_at() = to_timestamp(ctx.now);
    p.set_version(1);
    store::insert_permit(tx, p);
    publish(tx, ctx.outbox, p, v1::DECORATION_ACTION_APPLIED);
    *out = p;
    return Status::OK;
  });
}

Status get_decoration_permit(const Context& ctx, const v1::GetDecorationPermitRequest& r,
                             v1::DecorationPermit* out) {
  auto p =
      ctx.db.in_transaction([&](pqxx::work& tx) { return store::find_permit(tx, r.permit_id()); });
  if (!p || !sees_permit(ctx.caller, *p)) return not_found("decoration permit " + r.permit_id());
  *out = *p;
  return Status::OK;
}

Status list_decoration_permits(const Context& ctx, const v1::ListDecorationPermitsRequest& r,
                               v1::ListDecorationPermitsResponse* out) {
  auto permits = ctx.db.in_transaction([&](pqxx::work& tx) {
    return store::list_permits(tx, r.project_id(), static_cast<int>(r.status()), kMaxPageSize);
  });
  for (auto& p : permits) *out->add_permits() = std::move(p);
  return Status::OK;
}

Status approve_decoration_permit(const Context& ctx, const v1::ApproveDecorationPermitRequest& r,
                                 v1::DecorationPermit* out) {
  return change_permit(ctx, r.permit_id(), domain::PermitAction::kApprove,
                       v1::DECORATION_ACTION_APPROVED, out, [&](v1::DecorationPermit& p, int64_t*) {
                         p.set_status(v1::DECORATION_PERMIT_STATUS_APPROVED);
                         p.set_deposit_fen(r.deposit_fen());
                         p.set_fee_fen(r.fee_fen());
                         *p.mutable_decided_at() = to_timestamp(ctx.now);
                         return Status::OK;
                       });
}

Status refuse_decoration_permit(const Context& ctx, const v1::RefuseDecorationPermitRequest& r,
                                v1::DecorationPermit* out) {
  return change_permit(ctx, r.permit_id(), domain::PermitAction::kRefuse,
                       v1::DECORATION_ACTION_REFUSED, out, [&](v1::DecorationPermit& p, int64_t*) {
                         p.set_status(v1::DECORATION_PERMIT_STATUS_REFUSED);
                         p.set_refuse_reason(r.reason());
                         *p.mutable_decided_at() = to_timestamp(ctx.now);
                         return Status::OK;
                       });
}

Status inspect_decoration(const Context& ctx, const v1::InspectDecorationRequest& r,
                          v1::DecorationPermit* out) {
  return change_permit(ctx, r.permit_id(), domain::PermitAction::kInspect,
                       v1::DECORATION_ACTION_INSPECTED, out,
                       [&](v1::DecorationPermit& p, int64_t*) {
                         auto* i = p.add_inspections();
                         *i->mutable_at() = to_timestamp(ctx.now);
                         i->set_passed(r.passed());
                         i->set_note(r.note());
                         i->set_inspector(actor_of(ctx.caller));
                         p.set_status(domain::status_after_works(p.status()));
                         return Status::OK;
                       });
}

Status record_decoration_violation(const Context& ctx,
                                   const v1::RecordDecorationViolationRequest& r,
                                   v1::DecorationPermit* out) {
  return change_permit(
      ctx, r.permit_id(), domain::PermitAction::kViolation, v1::DECORATION_ACTION_VIOLATION, out,
      [&](v1::DecorationPermit& p, int64_t* deduction) {
        if (auto e =
                domain::check_deduction(p.deposit_fen(), p.deductions_fen(), r.deduction_fen());
            !e.empty())
          return Status(StatusCode::FAILED_PRECONDITION, e);
        auto* v = p.add_violations();
        v->set_violation_id(kit::new_uuid());
        v->set_description(r.description());
        *v->mutable_deadline() = r.deadline();
        v->set_deduction_fen(r.deduction_fen());
        *v->mutable_recorded_at() = to_timestamp(ctx.now);
        v->set_recorded_by(actor_of(ctx.caller));
        p.set_deductions_fen(p.deductions_fen() + r.deduction_fen());
        p.set_status(domain::status_after_works(p.status()));
        *deduction = r.deduction_fen();
        return Status::OK;
      });
}

Status finish_decoration_permit(const Context& ctx, const v1::FinishDecorationPermitRequest& r,
                                v1::DecorationPermit* out) {
  return change_permit(
      ctx, r.permit_id(), domain::PermitAction::kFinish, v1::DECORATION_ACTION_FINISHED, out,
      [&](v1::DecorationPermit& p, int64_t*) {
        p.set_status(v1::DECORATION_PERMIT_STATUS_FINISHED);
        p.set_deposit_refunded_fen(domain::deposit_refund(p.deposit_fen(), p.deductions_fen()));
        *p.mutable_finished_at() = to_timestamp(ctx.now);
        return Status::OK;
      });
}

}  // namespace aftercare::intake::app
