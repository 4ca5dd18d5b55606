// Inspections, defects, the key handover and key collection (issue 19). A defect is sent to the
// builder at once (RectificationRequested: dispatch routes it like a warranty ticket); the
// re-inspection closes it; the key handover sets the unit's handover_date and turns the defects
// still open into warranty tickets (channel inspection), one per component.
#include "intake/app/handover.h"

#include <spdlog/spdlog.h>

#include <map>

#include "common/privacy.h"
#include "common/time.h"
#include "intake/access.h"
#include "intake/app/app.h"
#include "intake/app/ticket.h"
#include "intake/domain/dates.h"
#include "intake/domain/handover.h"
#include "intake/domain/report_period.h"
#include "intake/store/handover_store.h"

namespace aftercare::intake::app {

using kit::from_timestamp;
using kit::to_timestamp;

// Defined in registry.cc: the UnitUpserted payload of a stored unit.
v1::UnitUpserted unit_upserted_payload(const v1::Unit& u, const std::string& previous_owner);

namespace {

v1::Event envelope(const std::string& project_id, const std::string& aggregate_id) {
  v1::Event e;
  e.set_project_id(project_id);
  e.set_aggregate_id(aggregate_id);
  return e;
}

bool sees_unit(const kit::Caller& c, const v1::Unit& u) {
  if (c.is(kit::Role::owner)) return c.owns_unit(u.unit_id());
  return staff_sees(c, u.project_id());
}

bool sees_inspection(const kit::Caller& c, const v1::Inspection& i) {
  if (c.is(kit::Role::owner)) return c.owns_unit(i.unit_id());
  return staff_sees(c, i.project_id());
}

Status keys_handed_over(const store::UnitKeys& keys) {
  return {StatusCode::FAILED_PRECONDITION,
          "the keys of unit " + keys.unit_id + " were handed over on " +
              domain::format_day(*keys.collected_on) + ": defects are reported as tickets now"};
}

void request_rectification(pqxx::work& tx, const kit::Outbox& outbox, const v1::Inspection& i,
                           const v1::Defect& d, const std::string& owner_id, absl::Time now) {
  v1::Event e = envelope(i.project_id(), d.defect_id());
  auto* p = e.mutable_rectification_requested();
  p->set_defect_id(d.defect_id());
  p->set_inspection_id(i.inspection_id());
  p->set_unit_id(d.unit_id());
  p->set_owner_id(owner_id);
  p->set_stage(i.stage());
  p->set_category(d.category());
  p->set_component(d.component());
  p->set_severity(d.severity());
  p->set_location(kit::mask_digit_runs(d.location()));
  p->set_description(kit::mask_digit_runs(d.description()));
  *p->mutable_requested_at() = to_timestamp(now);
  *p->mutable_rectify_due() = d.rectify_due();
  p->set_attempt(d.attempt());
  outbox.add(tx, e);
}

void defect_closed(pqxx::work& tx, const kit::Outbox& outbox, const std::string& project_id,
                   const v1::Defect& d, v1::DefectOutcome outcome) {
  v1::Event e = envelope(project_id, d.defect_id());
  auto* p = e.mutable_defect_closed();
  p->set_defect_id(d.defect_id());
  p->set_inspection_id(d.inspection_id());
  p->set_unit_id(d.unit_id());
  p->set_outcome(outcome);
  p->set_ticket_id(d.ticket_id());
  p->set_on_time(outcome == v1::DEFECT_OUTCOME_FIXED &&
                 from_timestamp(d.fixed_at()) <= from_timestamp(d.rectify_due()));
  outbox.add(tx, e);
}

// The inspection with its defects.
v1::Inspection with_defects(pqxx::work& tx, v1::Inspection i) {
  i.clear_defects();
  for (auto& d : store::defects_of_inspection(tx, i.inspection_id()))
    *i.add_defects() = std::move(d);
  return i;
}

// The attachment must be one of this inspection's: "" or the error naming `field`.
std::string check_own_attachment(pqxx::work& tx, const std::string& id,
                                 const std::string& inspection_id, const std::string& field) {
  if (!domain::check_uuid(id, field).empty()) return field + ": " + id + " is not an attachment id";
  auto a = store::find_inspection_attachment(tx, id, /*with_content=*/false);
  if (!a || a->inspection_id() != inspection_id)
    return field + ": " + id + " is not an attachment of inspection " + inspection_id;
  return "";
}

v1::KeyCollection key_collection(const v1::Unit& u, const store::UnitKeys& k,
                                 absl::CivilDay today) {
  v1::KeyCollection out;
  out.set_project_id(u.project_id());
  out.set_unit_id(u.unit_id());
  out.set_building(u.building());
  out.set_room(u.room());
  out.set_owner_id(u.owner_id());
  if (k.notice_on) *out.mutable_notice_on() = domain::to_date(*k.notice_on);
  if (k.collected_on) *out.mutable_collected_on() = domain::to_date(*k.collected_on);
  if (k.last_reminded_on) *out.mutable_last_reminded_on() = domain::to_date(*k.last_reminded_on);
  out.set_reminders(k.reminders);
  out.set_days_overdue(domain::days_overdue(k.notice_on, k.collected_on, today).value_or(0));
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------ inspections

Status create_inspection(const Context& ctx, const v1::CreateInspectionRequest& r,
                         absl::Time inspected_at, v1::Inspection* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto unit = store::find_unit(tx, r.unit_id());
    if (!unit || !staff_sees(ctx.caller, unit->project_id()))
      return not_found("unit " + r.unit_id());
    if (auto keys = store::find_keys(tx, r.unit_id()); keys && keys->collected_on)
      return keys_handed_over(*keys);
    v1::Inspection i;
    i.set_inspection_id(kit::new_uuid());
    i.set_project_id(unit->project_id());
    i.set_unit_id(unit->unit_id());
    i.set_stage(r.stage());
    i.set_status(v1::INSPECTION_STATUS_OPEN);
    *i.mutable_inspected_at() = to_timestamp(inspected_at);
    i.set_inspector_id(actor_of(ctx.caller));
    *i.mutable_created_at() = to_timestamp(ctx.now);
    store::insert_inspection(tx, i);
    *out = i;
    return Status::OK;
  });
}

Status add_defect(const Context& ctx, const v1::AddDefectRequest& r, v1::Defect* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    // The inspection's row lock orders its defects and the signature.
    auto i = store::find_inspection(tx, r.inspection_id(), /*for_update=*/true);
    if (!i || !staff_sees(ctx.caller, i->project_id()))
      return not_found("inspection " + r.inspection_id());
    if (i->status() != v1::INSPECTION_STATUS_OPEN)
      return {StatusCode::FAILED_PRECONDITION,
              "inspection " + i->inspection_id() + " is signed: record defects in a new one"};
    if (auto keys = store::find_keys(tx, i->unit_id()); keys && keys->collected_on)
      return keys_handed_over(*keys);
    for (int k = 0; k < r.attachment_ids_size(); ++k)
      if (auto e = check_own_attachment(tx, r.attachment_ids(k), i->inspection_id(),
                                        "attachment_ids[" + std::to_string(k) + "]");
          !e.empty())
        return bad(e);
    auto project = store::find_project(tx, i->project_id());
    auto unit = store::find_unit(tx, i->unit_id());
    ProjectRules rules = load_rules(tx, *project, ctx.now);
    v1::Defect d;
    d.set_defect_id(kit::new_uuid());
    d.set_inspection_id(i->inspection_id());
    d.set_unit_id(i->unit_id());
    d.set_component(r.component());
    d.set_category(domain::category_of(r.component()));
    d.set_location(r.location());
    d.set_description(r.description());
    d.set_severity(r.severity());
    *d.mutable_attachment_ids() = r.attachment_ids();
    d.set_status(v1::DEFECT_STATUS_OPEN);
    *d.mutable_rectify_due() = to_timestamp(
        domain::rectify_due(from_timestamp(i->inspected_at()),
                            rules.policy.rectification_working_days, rules.calendar, rules.zone));
    d.set_attempt(1);
    *d.mutable_created_at() = to_timestamp(ctx.now);
    d.set_recorded_by(actor_of(ctx.caller));
    store::insert_defect(tx, i->project_id(), d);
    request_rectification(tx, ctx.outbox, *i, d, unit->owner_id(), ctx.now);
    *out = d;
    return Status::OK;
  });
}

Status get_inspection(const Context& ctx, const v1::GetInspectionRequest& r, v1::Inspection* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto i = store::find_inspection(tx, r.inspection_id());
    if (!i || !sees_inspection(ctx.caller, *i)) return not_found("inspection " + r.inspection_id());
    *out = with_defects(tx, *i);
    return Status::OK;
  });
}

Status list_inspections(const Context& ctx, const v1::ListInspectionsRequest& r,
                        v1::ListInspectionsResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto unit = store::find_unit(tx, r.unit_id());
    if (!unit || !sees_unit(ctx.caller, *unit)) return not_found("unit " + r.unit_id());
    for (auto& i : store::inspections_of_unit(tx, r.unit_id()))
      *out->add_inspections() = with_defects(tx, std::move(i));
    return Status::OK;
  });
}

Status sign_inspection(const Context& ctx, const v1::SignInspectionRequest& r,
                       v1::Inspection* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto i = store::find_inspection(tx, r.inspection_id(), /*for_update=*/true);
    if (!i || !sees_inspection(ctx.caller, *i)) return not_found("inspection " + r.inspection_id());
    bool owner = ctx.caller.is(kit::Role::owner);
    if (r.signer() == v1::INSPECTION_SIGNER_INSPECTOR && owner)
      return denied("owners sign as owner, the inspector is staff");
    if (!owner && r.signer() == v1::INSPECTION_SIGNER_OWNER) {
      if (!r.has_on_behalf())
        return bad("on_behalf is required when staff sign for the owner (paper_slip or phone)");
      if (r.on_behalf().method() == v1::INSPECTION_SIGNATURE_METHOD_PAPER_SLIP &&
          r.on_behalf().attachment_id().empty())
        return bad("on_behalf.attachment_id: a paper_slip needs the scanned slip attached");
      if (!r.on_behalf().attachment_id().empty())
        if (auto e = check_own_attachment(tx, r.on_behalf().attachment_id(), i->inspection_id(),
                                          "on_behalf.attachment_id");
            !e.empty())
          return bad(e);
    }
    domain::SignOutcome outcome = domain::sign(
        {i->stage(), is_set(i->inspector_signed_at()), is_set(i->owner_signed_at())}, r.signer());
    if (!outcome.error.empty()) return {StatusCode::FAILED_PRECONDITION, outcome.error};
    if (r.signer() == v1::INSPECTION_SIGNER_INSPECTOR) {
      *i->mutable_inspector_signed_at() = to_timestamp(ctx.now);
      i->set_inspector_signed_by(actor_of(ctx.caller));
    } else {
      *i->mutable_owner_signed_at() = to_timestamp(ctx.now);
      i->set_owner_signed_by(actor_of(ctx.caller));
      if (!owner) *i->mutable_owner_on_behalf() = r.on_behalf();
    }
    i->set_status(outcome.status);
    store::update_inspection(tx, *i);
    *out = with_defects(tx, *i);
    if (outcome.status == v1::INSPECTION_STATUS_SIGNED) {
      v1::Event e = envelope(i->project_id(), i->inspection_id());
      auto* p = e.mutable_inspection_signed();
      p->set_inspection_id(i->inspection_id());
      p->set_unit_id(i->unit_id());
      p->set_stage(i->stage());
      p->set_defects(out->defects_size());
      p->set_owner_on_behalf(i->has_owner_on_behalf());
      ctx.outbox.add(tx, e);
    }
    return Status::OK;
  });
}

Status reinspect_defect(const Context& ctx, const v1::ReinspectDefectRequest& r, v1::Defect* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto d = store::find_defect(tx, r.defect_id(), /*for_update=*/true);
    auto i = d ? store::find_inspection(tx, d->inspection_id()) : std::nullopt;
    if (!d || !i || i->inspection_id() != r.inspection_id() ||
        !staff_sees(ctx.caller, i->project_id()))
      return not_found("defect " + r.defect_id());
    if (d->status() == v1::DEFECT_STATUS_FIXED)
      return {StatusCode::FAILED_PRECONDITION, "defect " + d->defect_id() + " is fixed already"};
    if (!d->ticket_id().empty())
      return {StatusCode::FAILED_PRECONDITION, "defect " + d->defect_id() +
                                                   " became warranty ticket " + d->ticket_id() +
                                                   " at handover"};
    d->set_reinspection_note(r.note());
    if (r.passed()) {
      d->set_status(v1::DEFECT_STATUS_FIXED);
      *d->mutable_fixed_at() = to_timestamp(ctx.now);
      store::update_defect(tx, *d);
      defect_closed(tx, ctx.outbox, i->project_id(), *d, v1::DEFECT_OUTCOME_FIXED);
    } else {
      // Not put right: the builder gets it again (a new order once the current one is done).
      d->set_attempt(d->attempt() + 1);
      store::update_defect(tx, *d);
      auto unit = store::find_unit(tx, d->unit_id());
      request_rectification(tx, ctx.outbox, *i, *d, unit ? unit->owner_id() : "", ctx.now);
    }
    *out = *d;
    return Status::OK;
  });
}

Status add_inspection_attachment(const Context& ctx, const v1::AddInspectionAttachmentRequest& r,
                                 const domain::AttachmentRules& limits, v1::Attachment* out) {
  v1::Attachment a = new_attachment(ctx, r);
  a.set_inspection_id(r.inspection_id());
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto i = store::find_inspection(tx, r.inspection_id(), /*for_update=*/true);
    if (!i || !staff_sees(ctx.caller, i->project_id()))
      return not_found("inspection " + r.inspection_id());
    if (store::count_inspection_attachments(tx, i->inspection_id()) >= limits.max_per_ticket)
      return {StatusCode::FAILED_PRECONDITION,
              "inspection already has " + std::to_string(limits.max_per_ticket) + " attachments"};
    store::add_inspection_attachment(tx, a, out);  // the same content again: the one there
    return Status::OK;
  });
}

std::optional<Status> get_inspection_attachment(const Context& ctx, const std::string& id,
                                                v1::Attachment* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> std::optional<Status> {
    auto meta = store::find_inspection_attachment(tx, id, /*with_content=*/false);
    if (!meta) return std::nullopt;
    auto i = store::find_inspection(tx, meta->inspection_id());
    if (!i || !sees_inspection(ctx.caller, *i)) return not_found("attachment " + id);
    *out = *store::find_inspection_attachment(tx, id, /*with_content=*/true);
    return Status::OK;
  });
}

// ---------------------------------------------------------------------------- handover, keys

Status hand_over_unit(const Context& ctx, const v1::HandOverUnitRequest& r,
                      v1::HandedOverUnit* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto unit = store::find_unit(tx, r.unit_id());
    if (!unit || !staff_sees(ctx.caller, unit->project_id()))
      return not_found("unit " + r.unit_id());
    auto project = store::find_project(tx, unit->project_id());
    ProjectRules rules = load_rules(tx, *project, ctx.now);
    absl::CivilDay day = domain::to_civil_day(r.handed_over_on());
    if (auto e = domain::check_handover_day(day, domain::local_day(ctx.now, rules.zone));
        !e.empty())
      return bad(e);
    // Once: a second handover (also a concurrent one) finds the keys collected.
    if (!store::record_key_handover(tx, unit->unit_id(), unit->project_id(), day,
                                    kit::to_micros(ctx.now), actor_of(ctx.caller)))
      throw kit::Refusal{keys_handed_over(*store::find_keys(tx, unit->unit_id()))};
    store::set_handover_date(tx, unit->unit_id(), day);
    v1::Unit handed = *store::find_unit(tx, unit->unit_id());
    v1::Event upserted = envelope(handed.project_id(), handed.unit_id());
    *upserted.mutable_unit_upserted() = unit_upserted_payload(handed, handed.owner_id());
    ctx.outbox.add(tx, upserted);

    // Nothing found at inspection is forgotten: open defects become warranty tickets.
    std::vector<v1::Defect> defects = store::lock_defects_of_unit(tx, handed.unit_id());
    std::vector<std::string> ticket_ids;
    int open_defects = 0;
    Tickets tickets(tx, ctx.outbox, ctx.now);
    for (const auto& [component, indexes] : domain::open_defects_by_component(defects)) {
      std::vector<const v1::Defect*> group;
      std::string ids;
      for (size_t k : indexes) {
        group.push_back(&defects[k]);
        ids += (ids.empty() ? "" : ", ") + defects[k].defect_id();
      }
      v1::TicketCategory category = domain::category_of(component);
      NewReport report{handed,
                       v1::TICKET_KIND_REPAIR,
                       category,
                       component,
                       v1::URGENCY_NORMAL,
                       v1::CHANNEL_INSPECTION,
                       default_repair_area(v1::REPAIR_AREA_UNSPECIFIED, category),
                       domain::defects_description(group),
                       ctx.now,
                       ctx.caller.is(kit::Role::agent) ? ctx.caller.sub : "",
                       actor_of(ctx.caller),
                       "",
                       "open at handover: inspection defects " + ids,
                       "",
                       ""};
      v1::Ticket t = open_report(tickets, rules, report);
      ticket_ids.push_back(t.ticket_id());
      for (size_t k : indexes) {
        v1::Defect& d = defects[k];
        d.set_ticket_id(t.ticket_id());
        store::update_defect(tx, d);
        defect_closed(tx, ctx.outbox, handed.project_id(), d, v1::DEFECT_OUTCOME_TICKETED);
        ++open_defects;
      }
    }
    v1::Event e = envelope(handed.project_id(), handed.unit_id());
    auto* p = e.mutable_unit_handed_over();
    p->set_unit_id(handed.unit_id());
    p->set_owner_id(handed.owner_id());
    *p->mutable_handover_date() = handed.handover_date();
    for (const auto& id : ticket_ids) p->add_ticket_ids(id);
    p->set_open_defects(open_defects);
    ctx.outbox.add(tx, e);

    out->set_project_id(handed.project_id());
    out->set_unit_id(handed.unit_id());
    out->set_building(handed.building());
    out->set_room(handed.room());
    out->set_area_centi_m2(handed.area_centi_m2());
    out->set_owner_id(handed.owner_id());
    out->set_owner_phone_masked(kit::mask_phone(handed.owner_phone()));
    *out->mutable_handover_date() = handed.handover_date();
    for (const auto& id : ticket_ids) out->add_ticket_ids(id);
    *out->mutable_keys_handed_over_at() = to_timestamp(ctx.now);
    out->set_handed_over_by(actor_of(ctx.caller));
    return Status::OK;
  });
}

Status set_handover_notice(const Context& ctx, const v1::SetHandoverNoticeRequest& r,
                           v1::KeyCollection* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto unit = store::find_unit(tx, r.unit_id());
    if (!unit || !staff_sees(ctx.caller, unit->project_id()))
      return not_found("unit " + r.unit_id());
    if (auto keys = store::find_keys(tx, r.unit_id(), true); keys && keys->collected_on)
      return keys_handed_over(*keys);
    store::set_notice(tx, unit->unit_id(), unit->project_id(), domain::to_civil_day(r.notice_on()));
    auto project = store::find_project(tx, unit->project_id());
    ProjectRules rules = load_rules(tx, *project, ctx.now);
    *out = key_collection(*unit, *store::find_keys(tx, unit->unit_id()),
                          domain::local_day(ctx.now, rules.zone));
    return Status::OK;
  });
}

Status list_uncollected_keys(const Context& ctx, const std::string& project_id, absl::Time as_of,
                             v1::ListUncollectedKeysResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto project = store::find_project(tx, project_id);
    if (!project) return not_found("project " + project_id);
    ProjectRules rules = load_rules(tx, *project, as_of);
    absl::CivilDay today = domain::local_day(as_of, rules.zone);
    for (const auto& k : store::uncollected_keys(tx, project_id, today)) {
      auto unit = store::find_unit(tx, k.unit_id);
      if (unit) *out->add_units() = key_collection(*unit, k, today);
    }
    return Status::OK;
  });
}

Status send_key_reminders(const Context& ctx, const v1::SendKeyRemindersRequest& r,
                          v1::ListUncollectedKeysResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto project = store::find_project(tx, r.project_id());
    if (!project) return not_found("project " + r.project_id());
    ProjectRules rules = load_rules(tx, *project, ctx.now);
    absl::CivilDay today = domain::local_day(ctx.now, rules.zone);
    std::map<std::string, store::UnitKeys> listed;
    for (auto& k : store::uncollected_keys(tx, r.project_id(), today)) listed[k.unit_id] = k;
    std::vector<std::string> chosen(r.unit_ids().begin(), r.unit_ids().end());
    if (chosen.empty())
      for (const auto& [id, k] : listed) chosen.push_back(id);
    for (const auto& id : chosen)
      if (!listed.contains(id))
        return {StatusCode::FAILED_PRECONDITION,
                "unit_ids: unit " + id + " is not on the list of uncollected keys"};
    for (const auto& id : chosen) {
      if (!store::record_reminder(tx, id, today)) continue;  // reminded today already
      auto unit = store::find_unit(tx, id);
      store::UnitKeys k = *store::find_keys(tx, id);
      v1::Event e = envelope(r.project_id(), id);
      auto* p = e.mutable_key_collection_reminder_due();
      p->set_unit_id(id);
      p->set_owner_id(unit->owner_id());
      *p->mutable_notice_on() = domain::to_date(*k.notice_on);
      p->set_reminder_no(k.reminders);
      p->set_days_overdue(domain::days_overdue(k.notice_on, k.collected_on, today).value_or(0));
      ctx.outbox.add(tx, e);
      listed[id] = k;
    }
    for (const auto& id : chosen) {
      auto unit = store::find_unit(tx, id);
      *out->add_units() = key_collection(*unit, listed[id], today);
    }
    return Status::OK;
  });
}

Status handover_stats(const Context& ctx, const v1::HandoverStatsRequest& r,
                      const std::pair<absl::CivilDay, absl::CivilDay>& days,
                      v1::HandoverStatsResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto project = store::find_project(tx, r.project_id());
    if (!project) return not_found("project " + r.project_id());
    ProjectRules rules = load_rules(tx, *project, ctx.now);
    int64_t from = kit::to_micros(absl::FromCivil(days.first, rules.zone));
    int64_t to = kit::to_micros(absl::FromCivil(days.second, rules.zone));
    *out = store::handover_stats(tx, r.project_id(), from, to, kit::to_micros(ctx.now),
                                 days.second - 1);
    for (v1::Ratio* ratio : {out->mutable_rectified_on_time(), out->mutable_key_collection_rate()})
      *ratio = domain::ratio(ratio->numerator(), ratio->denominator());
    return Status::OK;
  });
}

// ---------------------------------------------------------------------------- events

bool apply_defect_event(pqxx::work& tx, const kit::Outbox&, absl::Time, const v1::Event& e) {
  const std::string* ticket_id = nullptr;
  switch (e.payload_case()) {
    case v1::Event::kWorkOrderCreated:
      ticket_id = &e.work_order_created().ticket_id();
      break;
    case v1::Event::kWorkOrderRerouted:
      ticket_id = &e.work_order_rerouted().ticket_id();
      break;
    case v1::Event::kWorkOrderReassigned:
      ticket_id = &e.work_order_reassigned().ticket_id();
      break;
    case v1::Event::kWorkOrderCompleted:
      ticket_id = &e.work_order_completed().ticket_id();
      break;
    default:
      return false;
  }
  if (!domain::check_uuid(*ticket_id, "ticket_id").empty()) return false;
  auto d = store::find_defect(tx, *ticket_id, /*for_update=*/true);
  if (!d) return false;
  bool settled = d->status() == v1::DEFECT_STATUS_FIXED || !d->ticket_id().empty();
  switch (e.payload_case()) {
    case v1::Event::kWorkOrderCreated:
      d->set_work_order_id(e.work_order_created().work_order_id());
      d->set_party_id(e.work_order_created().party_id());
      d->clear_completed_at();
      if (!settled) d->set_status(v1::DEFECT_STATUS_RECTIFYING);
      break;
    case v1::Event::kWorkOrderRerouted:
      d->set_work_order_id(e.work_order_rerouted().to_work_order_id());
      d->set_party_id(e.work_order_rerouted().to_party_id());
      break;
    case v1::Event::kWorkOrderReassigned:
      d->set_party_id(e.work_order_reassigned().to_party_id());
      break;
    default:  // completed
      if (e.work_order_completed().work_order_id() == d->work_order_id())
        *d->mutable_completed_at() = e.work_order_completed().has_completed_at()
                                         ? e.work_order_completed().completed_at()
                                         : e.occurred_at();
      break;
  }
  store::update_defect(tx, *d);
  return true;
}

}  // namespace aftercare::intake::app
