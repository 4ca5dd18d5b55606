#include "intake/app/app.h"

#include "common/policy_defaults.h"
#include "common/privacy.h"
#include "common/unit_payload.h"
#include "intake/access.h"

namespace aftercare::intake::app {

namespace {

v1::UnitUpserted unit_event_payload(const v1::Unit& u, const std::string& previous_owner) {
  v1::UnitUpserted p = kit::unit_upserted(u, kit::mask_phone(u.owner_phone()));
  if (previous_owner != u.owner_id()) p.set_previous_owner_id(previous_owner);
  return p;
}

// What owners and partners may see of a unit: no name, masked phone.
void redact_owner(v1::Unit* u) {
  u->set_owner_phone_masked(kit::mask_phone(u->owner_phone()));
  u->clear_owner_phone();
  u->clear_owner_name();
}

}  // namespace

// The payload for other use cases that change a unit (the key handover, app/handover.cc).
v1::UnitUpserted unit_upserted_payload(const v1::Unit& u, const std::string& previous_owner) {
  return unit_event_payload(u, previous_owner);
}

Status upsert_project(const Context& ctx, const v1::UpsertProjectRequest& r,
                      const std::string& zone, v1::Project* out) {
  ctx.db.in_transaction([&](pqxx::work& tx) {
    *out = store::upsert_project(tx, r.project_id(), r.name(), zone);
    v1::Event e;
    e.set_project_id(out->project_id());
    e.set_aggregate_id(out->project_id());
    auto* p = e.mutable_project_upserted();
    p->set_project_id(out->project_id());
    p->set_name(out->name());
    p->set_timezone(out->timezone());
    ctx.outbox.add(tx, e);
  });
  return Status::OK;
}

Status get_project(const Context& ctx, const v1::GetProjectRequest& r, v1::Project* out) {
  auto p = ctx.db.in_transaction(
      [&](pqxx::work& tx) { return store::find_project(tx, r.project_id()); });
  if (!p) return not_found("project " + r.project_id());
  *out = *p;
  return Status::OK;
}

Status upsert_unit(const Context& ctx, const v1::UpsertUnitRequest& r, v1::Unit* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    if (!store::find_project(tx, r.project_id())) return not_found("project " + r.project_id());
    if (auto existing = store::find_unit(tx, r.unit_id());
        existing && existing->project_id() != r.project_id())
      return Status(StatusCode::FAILED_PRECONDITION,
                    "unit_id: " + r.unit_id() + " belongs to another project");
    std::string previous_owner;
    *out = store::upsert_unit(tx, r, &previous_owner);
    v1::Event e;
    e.set_project_id(out->project_id());
    e.set_aggregate_id(out->unit_id());
    *e.mutable_unit_upserted() = unit_event_payload(*out, previous_owner);
    ctx.outbox.add(tx, e);
    out->set_owner_phone_masked(kit::mask_phone(out->owner_phone()));
    return Status::OK;
  });
}

Status get_unit(const Context& ctx, const v1::GetUnitRequest& r, v1::Unit* out) {
  auto unit =
      ctx.db.in_transaction([&](pqxx::work& tx) { return store::find_unit(tx, r.unit_id()); });
  bool owner_of_it = ctx.caller.is(kit::Role::owner) && ctx.caller.owns_unit(r.unit_id());
  if (!unit || !(owner_of_it || staff_sees(ctx.caller, unit->project_id())))
    return not_found("unit " + r.unit_id());
  *out = *unit;
  out->set_owner_phone_masked(kit::mask_phone(out->owner_phone()));
  if (owner_of_it) out->clear_owner_phone();
  return Status::OK;
}

Status list_units(const Context& ctx, const v1::ListUnitsRequest& r, int limit,
                  v1::ListUnitsResponse* out) {
  auto units = ctx.db.in_transaction([&](pqxx::work& tx) {
    return store::list_units(tx, r.project_id(), r.building(), r.owner_id(), r.page_token(),
                             limit + 1);
  });
  bool more = static_cast<int>(units.size()) > limit;
  if (more) units.pop_back();
  for (auto& u : units) {
    u.set_owner_phone_masked(kit::mask_phone(u.owner_phone()));
    if (!ctx.caller.is(kit::Role::admin) && !ctx.caller.is(kit::Role::agent) &&
        !ctx.caller.is(kit::Role::supervisor))
      redact_owner(&u);
    *out->add_units() = std::move(u);
  }
  if (more) out->set_next_page_token(out->units(out->units_size() - 1).unit_id());
  return Status::OK;
}

Status put_calendar(const Context& ctx, const v1::PutCalendarRequest& r, v1::Calendar* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    if (!store::find_project(tx, r.project_id())) return not_found("project " + r.project_id());
    store::put_calendar(tx, r);
    *out = *store::find_calendar(tx, r.project_id(), r.year());
    v1::Event e;
    e.set_project_id(r.project_id());
    e.set_aggregate_id(r.project_id());
    auto* p = e.mutable_calendar_upserted();
    p->set_year(r.year());
    *p->mutable_holidays() = out->holidays();
    *p->mutable_workdays() = out->workdays();
    ctx.outbox.add(tx, e);
    return Status::OK;
  });
}

Status get_calendar(const Context& ctx, const v1::GetCalendarRequest& r, v1::Calendar* out) {
  auto c = ctx.db.in_transaction(
      [&](pqxx::work& tx) { return store::find_calendar(tx, r.project_id(), r.year()); });
  if (!c) return not_found("calendar " + std::to_string(r.year()));
  *out = *c;
  return Status::OK;
}

Status set_policy(const Context& ctx, const v1::SetPolicyRequest& r, v1::Policy* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    if (!store::find_project(tx, r.project_id())) return not_found("project " + r.project_id());
    *out = store::save_policy(tx, r.project_id(), r.policy());
    v1::Event e;
    e.set_project_id(r.project_id());
    e.set_aggregate_id(r.project_id());
    *e.mutable_policy_updated()->mutable_policy() = *out;
    ctx.outbox.add(tx, e);
    return Status::OK;
  });
}

Status get_policy(const Context& ctx, const v1::GetPolicyRequest& r, v1::Policy* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    if (!store::find_project(tx, r.project_id())) return not_found("project " + r.project_id());
    auto stored = store::find_policy(tx, r.project_id());
    if (stored) *out = *stored;
    out->set_project_id(r.project_id());
    // The effective ticket rules: overrides over the DOMAIN defaults.
    domain::IntakePolicy effective = domain::IntakePolicy::defaults();
    if (stored) effective.apply_overrides(*stored);
    effective.to_proto(out->mutable_ticket());
    effective.to_proto(out->mutable_incidents());  // issue 23: when incidents are proposed
    kit::fill_platform_defaults(out);  // the other services' sections: overrides over defaults
    return Status::OK;
  });
}

}  // namespace aftercare::intake::app
