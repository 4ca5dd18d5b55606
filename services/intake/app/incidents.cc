#include "intake/app/incidents.h"

#include <algorithm>

#include "common/privacy.h"
#include "common/refusal.h"
#include "common/time.h"
#include "intake/domain/incidents.h"
#include "intake/domain/names.h"
#include "intake/domain/ticket_status.h"

namespace aftercare::intake::app {
namespace {

using kit::from_timestamp;
using kit::to_timestamp;

std::optional<absl::Time> opt_time(const google::protobuf::Timestamp& t) {
  if (!is_set(t)) return std::nullopt;
  return from_timestamp(t);
}

std::vector<std::string> to_vector(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return {items.begin(), items.end()};
}

v1::Event incident_event(const v1::Incident& i) {
  v1::Event e;
  e.set_project_id(i.project_id());
  e.set_aggregate_id(i.incident_id());
  return e;
}

// Owners named in an event at most: a notice to a bigger scope leaves the list empty and
// callback falls back to its projection of the registry (an event stays far below Kafka's 1 MB).
constexpr int kMaxRecipientsInEvent = 2000;

google::protobuf::RepeatedPtrField<v1::Recipient> recipients_of(pqxx::work& tx,
                                                                const v1::Incident& i) {
  google::protobuf::RepeatedPtrField<v1::Recipient> out;
  auto all = store::recipients_in_scope(tx, i.project_id(), to_vector(i.buildings()),
                                        kMaxRecipientsInEvent + 1);
  if (static_cast<int>(all.size()) > kMaxRecipientsInEvent) return out;
  for (auto& r : all) *out.Add() = std::move(r);
  return out;
}

google::protobuf::RepeatedPtrField<v1::Recipient> announcement_recipients(
    pqxx::work& tx, const v1::Announcement& a) {
  v1::Incident scope;
  scope.set_project_id(a.project_id());
  *scope.mutable_buildings() = a.buildings();
  return recipients_of(tx, scope);
}

void incident_opened(pqxx::work& tx, const kit::Outbox& outbox, const v1::Incident& i) {
  v1::Event e = incident_event(i);
  auto* p = e.mutable_incident_opened();
  p->set_incident_id(i.incident_id());
  p->set_kind(i.kind());
  p->set_category(i.category());
  p->set_component(i.component());
  *p->mutable_buildings() = i.buildings();
  p->set_title(i.title());
  p->set_description(i.description());
  if (is_set(i.starts_at())) *p->mutable_starts_at() = i.starts_at();
  if (is_set(i.expected_end())) *p->mutable_expected_end() = i.expected_end();
  p->set_proposed(i.proposed());
  p->set_lead_ticket_id(i.lead_ticket_id());
  *p->mutable_ticket_ids() = i.ticket_ids();
  p->set_opened_by(i.opened_by());
  // The owners told of an outage at once (issue 23); those of a failure are in IncidentConfirmed.
  if (i.kind() == v1::INCIDENT_KIND_OUTAGE) *p->mutable_recipients() = recipients_of(tx, i);
  outbox.add(tx, e);
}

// Staff know of the failure (they opened it, or confirmed the platform's proposal): the owners
// in scope are told it is being repaired.
void incident_confirmed(pqxx::work& tx, const kit::Outbox& outbox, const v1::Incident& i,
                        const std::string& actor) {
  v1::Event e = incident_event(i);
  auto* p = e.mutable_incident_confirmed();
  p->set_incident_id(i.incident_id());
  p->set_kind(i.kind());
  p->set_component(i.component());
  *p->mutable_buildings() = i.buildings();
  p->set_title(i.title());
  p->set_confirmed_by(actor);
  *p->mutable_recipients() = recipients_of(tx, i);
  outbox.add(tx, e);
}

// The buildings of the caller's homes in the project; nullopt when the caller is staff.
std::optional<std::vector<std::string>> owner_buildings(pqxx::transaction_base& tx,
                                                        const kit::Caller& c,
                                                        const std::string& project_id) {
  if (!c.is(kit::Role::owner)) return std::nullopt;
  return store::buildings_of_units(tx, project_id, c.units);
}

bool owner_in_scope(const std::vector<std::string>& homes,
                    const google::protobuf::RepeatedPtrField<std::string>& scope) {
  if (homes.empty()) return false;
  if (scope.empty()) return true;
  for (const auto& b : homes)
    if (std::find(scope.begin(), scope.end(), b) != scope.end()) return true;
  return false;
}

// Owners see an incident of their buildings with their own tickets only.
bool visible(pqxx::transaction_base& tx, const kit::Caller& c, v1::Incident& i) {
  if (!c.is(kit::Role::owner)) return staff_sees(c, i.project_id());
  if (!owner_in_scope(store::buildings_of_units(tx, i.project_id(), c.units), i.buildings()))
    return false;
  google::protobuf::RepeatedPtrField<std::string> own;
  for (const auto& id : i.ticket_ids()) {
    auto t = store::find_ticket(tx, id);
    if (t && c.owns_unit(t->unit_id())) *own.Add() = id;
  }
  i.mutable_ticket_ids()->Swap(&own);
  i.set_reporters(0);
  i.clear_resolved_by();
  i.clear_opened_by();
  i.clear_decided_by();
  i.clear_dismissal_reason();
  return true;
}

// The incident `id` under its row lock for a decision: NOT_FOUND when the caller does not see it,
// PERMISSION_DENIED ("role agent cannot resolve incidents") when no role of `deciders`.
Status lock_incident(pqxx::work& tx, const kit::Caller& c, const std::string& id,
                     kit::Roles deciders, const char* verb, std::optional<v1::Incident>* out) {
  *out = store::find_incident(tx, id, /*for_update=*/true);
  if (!*out || !visible(tx, c, **out)) return not_found("incident " + id);
  if (!c.is_any(deciders))
    return denied("role " + c.role_name() + " cannot " + verb + " incidents");
  return Status::OK;
}

// A proposal under its row lock for confirming or dismissing it (`verb`): lock_incident's answers,
// then FAILED_PRECONDITION when it is no longer a proposal waiting for staff.
Status lock_proposal(pqxx::work& tx, const kit::Caller& c, const std::string& id, const char* verb,
                     std::optional<v1::Incident>* out) {
  if (Status s = lock_incident(tx, c, id, kIncidentOpeners, verb, out); !s.ok()) return s;
  if (auto e = domain::check_proposal_decision((*out)->status(), (*out)->proposal_status());
      !e.empty())
    return {StatusCode::FAILED_PRECONDITION, e};
  return Status::OK;
}

// What a decision on incident `id` checks before any lock: an id that cannot name an incident is
// NOT_FOUND (as an unknown one), then `text_error` (the note's or reason's check) is
// INVALID_ARGUMENT.
Status check_decision(const std::string& id, const std::string& text_error) {
  if (!domain::check_uuid(id, "incident_id").empty()) return not_found("incident " + id);
  if (!text_error.empty()) return bad(text_error);
  return Status::OK;
}

std::string check_note(const std::string& note) {
  return note.empty() ? "" : domain::check_text(note, "note", 2000);
}

// AnnouncementPublished of `a`, sent at `at` to the owners of its buildings.
void announcement_published(pqxx::work& tx, const kit::Outbox& outbox, const v1::Announcement& a,
                            absl::Time at) {
  v1::Event e;
  e.set_project_id(a.project_id());
  e.set_aggregate_id(a.announcement_id());
  auto* p = e.mutable_announcement_published();
  p->set_announcement_id(a.announcement_id());
  p->set_title(a.title());
  p->set_body(a.body());
  *p->mutable_buildings() = a.buildings();
  p->set_urgent(a.urgent());
  *p->mutable_published_at() = to_timestamp(at);
  *p->mutable_recipients() = announcement_recipients(tx, a);
  outbox.add(tx, e);
}

// The project of a post to its buildings (an incident, an announcement): NOT_FOUND when it is
// unknown or its staff do not include the caller, INVALID_ARGUMENT naming a building that is not
// one of its buildings.
Status check_project_buildings(pqxx::transaction_base& tx, const kit::Caller& c,
                               const std::string& project_id,
                               const google::protobuf::RepeatedPtrField<std::string>& names) {
  if (!store::find_project(tx, project_id) || !staff_sees(c, project_id))
    return not_found("project " + project_id);
  for (const auto& b : names) {
    auto units = store::list_units(tx, project_id, b, "", "", 1);
    if (units.empty())
      return bad("buildings: " + b + " is not a building of project " + project_id);
  }
  return Status::OK;
}

}  // namespace

Status open_incident(const Context& ctx, const v1::OpenIncidentRequest& r, v1::Incident* out) {
  if (!has_role(ctx.caller, kIncidentOpeners))
    return denied("role " + ctx.caller.role_name() + " cannot open incidents");
  if (auto e = domain::check_id(r.project_id(), "project_id"); !e.empty()) return bad(e);
  if (auto e =
          domain::check_incident(r.kind(), r.category(), r.component(), r.title(), r.description(),
                                 opt_time(r.starts_at()), opt_time(r.expected_end()), ctx.now);
      !e.empty())
    return bad(e);
  if (auto e = domain::check_buildings(to_vector(r.buildings())); !e.empty()) return bad(e);
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    if (Status s = check_project_buildings(tx, ctx.caller, r.project_id(), r.buildings()); !s.ok())
      return s;
    v1::Incident i;
    i.set_incident_id(kit::new_uuid());
    i.set_project_id(r.project_id());
    i.set_kind(r.kind());
    i.set_category(r.category());
    i.set_component(r.component());
    *i.mutable_buildings() = r.buildings();
    i.set_status(v1::INCIDENT_STATUS_OPEN);
    i.set_title(r.title());
    i.set_description(r.description());
    if (is_set(r.starts_at())) *i.mutable_starts_at() = r.starts_at();
    if (is_set(r.expected_end())) *i.mutable_expected_end() = r.expected_end();
    i.set_opened_by(actor_of(ctx.caller));
    i.set_proposal_status(v1::PROPOSAL_STATUS_NOT_PROPOSED);
    *i.mutable_created_at() = to_timestamp(ctx.now);
    store::insert_incident(tx, i);
    incident_opened(tx, ctx.outbox, i);
    if (i.kind() == v1::INCIDENT_KIND_FAILURE) incident_confirmed(tx, ctx.outbox, i, i.opened_by());
    *out = *store::find_incident(tx, i.incident_id());
    return Status::OK;
  });
}

Status get_incident(const Context& ctx, const v1::GetIncidentRequest& r, v1::Incident* out) {
  if (!domain::check_uuid(r.incident_id(), "incident_id").empty())
    return not_found("incident " + r.incident_id());
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto i = store::find_incident(tx, r.incident_id());
    if (!i || !visible(tx, ctx.caller, *i)) return not_found("incident " + r.incident_id());
    *out = std::move(*i);
    return Status::OK;
  });
}

Status list_incidents(const Context& ctx, const v1::ListIncidentsRequest& r,
                      const std::optional<store::IncidentCursor>& before, int limit,
                      v1::ListIncidentsResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    bool staff = !ctx.caller.is(kit::Role::owner);
    if (!store::find_project(tx, r.project_id()) ||
        (staff && !staff_sees(ctx.caller, r.project_id())))
      return not_found("project " + r.project_id());
    if (!staff && store::buildings_of_units(tx, r.project_id(), ctx.caller.units).empty())
      return not_found("project " + r.project_id());
    auto rows = store::list_incidents(tx, r.project_id(), r.status(), before, limit + 1);
    bool more = static_cast<int>(rows.size()) > limit;
    if (more) {
      rows.pop_back();
      out->set_next_page_token(
          std::to_string(store::incident_created_micros(tx, rows.back().incident_id())) + ":" +
          rows.back().incident_id());
    }
    for (auto& i : rows)
      if (visible(tx, ctx.caller, i)) *out->add_incidents() = std::move(i);
    return Status::OK;
  });
}

Status resolve_incident(const Context& ctx, const v1::ResolveIncidentRequest& r,
                        v1::Incident* out) {
  if (Status s = check_decision(r.incident_id(), check_note(r.note())); !s.ok()) return s;
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    std::optional<v1::Incident> i;
    if (Status s =
            lock_incident(tx, ctx.caller, r.incident_id(), kIncidentResolvers, "resolve", &i);
        !s.ok())
      return s;
    if (i->status() != v1::INCIDENT_STATUS_OPEN)
      return {StatusCode::FAILED_PRECONDITION, "incident is already resolved"};
    std::string actor = actor_of(ctx.caller);
    std::string why =
        "incident " + i->title() + " resolved" + (r.note().empty() ? "" : ": " + r.note());
    Tickets tickets(tx, ctx.outbox, ctx.now);
    for (const auto& id : i->ticket_ids()) {
      auto t = store::find_ticket(tx, id, /*for_update=*/true);
      if (!t || !domain::is_active(t->status()) || t->status() == v1::TICKET_STATUS_RESOLVED)
        continue;
      if (Status s = tickets.move(*t, v1::TICKET_STATUS_RESOLVED, actor, why); !s.ok())
        throw kit::Refusal{s};
      // The lead's work order names the callback it shares with that order's sign-off.
      std::string work_order = id == i->lead_ticket_id() ? i->work_order_id() : "";
      tickets.resolved(*t, why, work_order, i->reopen_count());
      store::update_ticket(tx, *t);
    }
    store::set_resolved(tx, i->incident_id(), r.note(), actor, kit::to_micros(ctx.now));
    v1::Event e = incident_event(*i);
    auto* p = e.mutable_incident_resolved();
    p->set_incident_id(i->incident_id());
    *p->mutable_resolved_at() = to_timestamp(ctx.now);
    p->set_note(kit::mask_digit_runs(r.note()));
    *p->mutable_ticket_ids() = i->ticket_ids();
    p->set_work_order_id(i->work_order_id());
    ctx.outbox.add(tx, e);
    *out = *store::find_incident(tx, i->incident_id());
    return Status::OK;
  });
}

IncidentLink link_report(Tickets& tickets, const domain::IntakePolicy& policy, const v1::Unit& unit,
                         v1::Ticket& t, const std::string& actor, store::ReportWrite& write) {
  pqxx::work& tx = tickets.tx();
  domain::ReportView report{t.kind(),    t.component(),   t.repair_area(),
                            t.unit_id(), unit.building(), from_timestamp(t.reported_at())};
  // Without a component a report neither links nor proposes (domain/incidents.h).
  if (!domain::links_to_incidents(report.kind) || t.component() == v1::COMPONENT_UNSPECIFIED)
    return {};
  auto open = store::open_incidents(tx, t.project_id(), t.component());
  if (auto link = domain::link_to_incident(report, open)) {
    t.set_incident_id(link->incident_id);
    write.incident_follower = !link->lead;
    if (link->lead) write.incident_lead_of = link->incident_id;
    std::string title;
    for (const auto& i : open)
      if (i.incident_id == link->incident_id) title = i.title;
    tickets.history(
        t, actor, "incident_linked",
        title + (link->lead ? " (dispatched for the incident)" : " (handled with the incident)"));
    return {link->incident_id, link->lead, std::nullopt};
  }
  if (report.area != v1::REPAIR_AREA_PUBLIC) return {};  // only public reports propose
  const domain::IncidentRule rule = domain::incident_rule(policy.incident_proposal_min_units,
                                                          policy.incident_proposal_window_minutes);
  auto recent =
      store::recent_public_reports(tx, t.project_id(), unit.building(), t.component(),
                                   kit::to_micros(report.reported_at - rule.window), t.ticket_id());
  auto proposal = domain::propose_incident(report, recent, rule);
  if (!proposal) return {};
  return {kit::new_uuid(), false, std::move(proposal)};
}

void open_proposed_incident(Tickets& tickets, const domain::IntakePolicy& policy,
                            const v1::Unit& unit, const v1::Ticket& t, const std::string& actor,
                            const IncidentLink& link) {
  pqxx::work& tx = tickets.tx();
  const domain::Proposal& proposal = *link.proposal;
  v1::Incident i;
  i.set_incident_id(link.incident_id);
  i.set_project_id(t.project_id());
  i.set_kind(v1::INCIDENT_KIND_FAILURE);
  i.set_category(t.category());
  i.set_component(t.component());
  *i.add_buildings() = unit.building();
  i.set_status(v1::INCIDENT_STATUS_OPEN);
  i.set_title(domain::proposed_title(unit.building(), t.component()));
  i.set_description("opened by the platform: several units of " + unit.building() +
                    " reported it within " +
                    std::to_string(policy.incident_proposal_window_minutes) +
                    " minutes; staff confirm or dismiss the proposal");
  i.set_opened_by("service:intake");
  i.set_proposed(true);
  i.set_proposal_status(v1::PROPOSAL_STATUS_PENDING);
  *i.mutable_created_at() = to_timestamp(tickets.now());
  store::insert_incident(tx, i);
  store::link_ticket(tx, proposal.lead_ticket_id, i.incident_id(), /*follower=*/false);
  store::set_incident_lead(tx, i.incident_id(), proposal.lead_ticket_id);
  std::vector<std::string> followers = proposal.followers;
  followers.push_back(t.ticket_id());
  for (const auto& id : followers) store::link_ticket(tx, id, i.incident_id(), /*follower=*/true);
  for (const auto& id : proposal.followers) {
    if (auto f = store::find_ticket(tx, id))
      tickets.history(*f, actor, "incident_linked", i.title() + " (handled with the incident)");
  }
  if (auto lead = store::find_ticket(tx, proposal.lead_ticket_id))
    tickets.history(*lead, actor, "incident_linked", i.title() + " (dispatched for the incident)");
  tickets.history(t, actor, "incident_linked", i.title() + " (handled with the incident)");
  incident_opened(tx, tickets.outbox(), *store::find_incident(tx, i.incident_id()));
}

Status confirm_incident(const Context& ctx, const v1::ConfirmIncidentRequest& r,
                        v1::Incident* out) {
  if (Status s = check_decision(r.incident_id(), check_note(r.note())); !s.ok()) return s;
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    std::optional<v1::Incident> i;
    if (Status s = lock_proposal(tx, ctx.caller, r.incident_id(), "confirm", &i); !s.ok()) return s;
    std::string actor = actor_of(ctx.caller);
    store::decide_proposal(tx, i->incident_id(), v1::PROPOSAL_STATUS_CONFIRMED, i->status(), actor,
                           kit::to_micros(ctx.now), "");
    Tickets tickets(tx, ctx.outbox, ctx.now);
    for (const auto& id : i->ticket_ids())
      if (auto t = store::find_ticket(tx, id))
        tickets.history(*t, actor, "incident_confirmed",
                        i->title() + (r.note().empty() ? "" : ": " + r.note()));
    incident_confirmed(tx, ctx.outbox, *i, actor);
    *out = *store::find_incident(tx, i->incident_id());
    return Status::OK;
  });
}

Status dismiss_incident(const Context& ctx, const v1::DismissIncidentRequest& r,
                        v1::Incident* out) {
  if (Status s = check_decision(r.incident_id(), domain::check_dismissal_reason(r.reason()));
      !s.ok())
    return s;
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    std::optional<v1::Incident> i;
    if (Status s = lock_proposal(tx, ctx.caller, r.incident_id(), "dismiss", &i); !s.ok()) return s;
    std::string actor = actor_of(ctx.caller);
    std::vector<domain::LinkedReport> reports;
    for (const auto& id : i->ticket_ids()) {
      auto t = store::find_ticket(tx, id, /*for_update=*/true);
      if (!t) continue;
      reports.push_back(
          {id, domain::is_active(t->status()) && t->status() != v1::TICKET_STATUS_RESOLVED,
           id == i->lead_ticket_id()});
    }
    Tickets tickets(tx, ctx.outbox, ctx.now);
    v1::Event dismissed = incident_event(*i);
    auto* d = dismissed.mutable_incident_dismissed();
    d->set_incident_id(i->incident_id());
    d->set_reason(kit::mask_digit_runs(r.reason()));
    d->set_dismissed_by(actor);
    for (const domain::Unlink& u : domain::unlink_on_dismissal(reports)) {
      store::unlink_ticket(tx, u.ticket_id, i->incident_id());
      auto t = store::find_ticket(tx, u.ticket_id);
      tickets.history(*t, actor, "incident_unlinked",
                      "proposal " + i->title() + " dismissed (" + r.reason() +
                          "): " + (u.dispatch ? "dispatched on its own" : "handled on its own"));
      v1::Event e;
      e.set_project_id(t->project_id());
      e.set_aggregate_id(t->ticket_id());
      auto* p = e.mutable_ticket_unlinked();
      p->set_ticket_id(t->ticket_id());
      p->set_incident_id(i->incident_id());
      p->set_dispatch(u.dispatch);
      p->set_reason(kit::mask_digit_runs(r.reason()));
      ctx.outbox.add(tx, e);
      *d->add_ticket_ids() = u.ticket_id;
    }
    store::decide_proposal(tx, i->incident_id(), v1::PROPOSAL_STATUS_DISMISSED,
                           v1::INCIDENT_STATUS_DISMISSED, actor, kit::to_micros(ctx.now),
                           r.reason());
    ctx.outbox.add(tx, dismissed);
    *out = *store::find_incident(tx, i->incident_id());
    return Status::OK;
  });
}

void incident_after_unsatisfied(Tickets& tickets, const v1::Ticket& t,
                                const std::string& callback_id, const std::string& actor) {
  pqxx::work& tx = tickets.tx();
  auto i = store::find_incident(tx, t.incident_id(), /*for_update=*/true);
  if (!i) return;
  bool lead = i->lead_ticket_id() == t.ticket_id();
  domain::ReopenEffects effects =
      domain::after_unsatisfied({i->status(), i->kind(), lead, i->work_order_id()});
  if (!effects.reopen_incident) {
    tickets.history(t, actor, "incident_waiting",
                    i->title() + " is open: the ticket is handled with it");
    return;
  }
  int count = store::reopen_incident(tx, i->incident_id());
  tickets.history(
      t, actor, "incident_reopened",
      i->title() + " reopened by unsatisfied callback " + callback_id +
          (effects.rework_of.empty() ? "" : " (rework of work order " + effects.rework_of + ")"));
  v1::Event e = incident_event(*i);
  auto* p = e.mutable_incident_reopened();
  p->set_incident_id(i->incident_id());
  p->set_ticket_id(t.ticket_id());
  p->set_callback_id(callback_id);
  p->set_work_order_id(effects.rework_of);
  p->set_lead_ticket_id(i->lead_ticket_id());
  p->set_reopen_count(count);
  tickets.outbox().add(tx, e);
}

Status post_announcement(const Context& ctx, const v1::PostAnnouncementRequest& r,
                         v1::Announcement* out) {
  if (!has_role(ctx.caller, kAnnouncers))
    return denied("role " + ctx.caller.role_name() + " cannot post announcements");
  if (auto e = domain::check_id(r.project_id(), "project_id"); !e.empty()) return bad(e);
  std::optional<absl::Time> send_at = opt_time(r.send_at());
  if (auto e = domain::check_announcement(r.title(), r.body(), send_at, ctx.now); !e.empty())
    return bad(e);
  if (auto e = domain::check_buildings(to_vector(r.buildings())); !e.empty()) return bad(e);
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    if (Status s = check_project_buildings(tx, ctx.caller, r.project_id(), r.buildings()); !s.ok())
      return s;
    bool now = domain::sends_now(send_at, ctx.now);
    v1::Announcement a;
    a.set_announcement_id(kit::new_uuid());
    a.set_project_id(r.project_id());
    a.set_title(r.title());
    a.set_body(r.body());
    *a.mutable_buildings() = r.buildings();
    a.set_urgent(r.urgent());
    *a.mutable_send_at() = to_timestamp(now ? ctx.now : *send_at);
    a.set_status(now ? v1::ANNOUNCEMENT_STATUS_SENT : v1::ANNOUNCEMENT_STATUS_SCHEDULED);
    a.set_recipients(store::count_recipients(tx, r.project_id(), to_vector(r.buildings())));
    a.set_posted_by(actor_of(ctx.caller));
    *a.mutable_created_at() = to_timestamp(ctx.now);
    if (now) *a.mutable_sent_at() = to_timestamp(ctx.now);
    store::insert_announcement(tx, a);
    if (now) announcement_published(tx, ctx.outbox, a, ctx.now);
    *out = *store::find_announcement(tx, a.announcement_id());
    return Status::OK;
  });
}

Status list_announcements(const Context& ctx, const v1::ListAnnouncementsRequest& r,
                          const std::optional<store::IncidentCursor>& before, int limit,
                          v1::ListAnnouncementsResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    if (!store::find_project(tx, r.project_id())) return not_found("project " + r.project_id());
    auto homes = owner_buildings(tx, ctx.caller, r.project_id());
    if (homes ? homes->empty() : !staff_sees(ctx.caller, r.project_id()))
      return not_found("project " + r.project_id());
    auto rows = store::list_announcements(tx, r.project_id(), homes, before, limit + 1);
    if (static_cast<int>(rows.size()) > limit) {
      rows.pop_back();
      out->set_next_page_token(
          std::to_string(store::announcement_created_micros(tx, rows.back().announcement_id())) +
          ":" + rows.back().announcement_id());
    }
    for (auto& a : rows) {
      if (homes) {
        store::mark_read(tx, a.announcement_id(), ctx.caller.sub, kit::to_micros(ctx.now));
        a = *store::find_announcement(tx, a.announcement_id());
        a.clear_posted_by();
      }
      *out->add_announcements() = std::move(a);
    }
    return Status::OK;
  });
}

int sweep_announcements(kit::PgPool& db, const kit::Outbox& outbox, absl::Time now) {
  return db.in_transaction([&](pqxx::work& tx) {
    int sent = 0;
    for (const auto& a : store::due_announcements(tx, kit::to_micros(now), 100)) {
      int recipients = store::count_recipients(tx, a.project_id(), to_vector(a.buildings()));
      store::mark_sent(tx, a.announcement_id(), recipients, kit::to_micros(now));
      announcement_published(tx, outbox, a, now);
      ++sent;
    }
    return sent;
  });
}

}  // namespace aftercare::intake::app
