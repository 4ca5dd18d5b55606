#include "intake/app/ticket.h"

#include "intake/app/incidents.h"

#include "common/privacy.h"
#include "common/time.h"
#include "intake/domain/dates.h"
#include "intake/domain/deadlines.h"
#include "intake/domain/escalation.h"
#include "intake/domain/incidents.h"
#include "intake/domain/names.h"
#include "intake/domain/ticket_number.h"
#include "intake/domain/ticket_status.h"
#include "intake/domain/warranty.h"

namespace aftercare::intake::app {

using kit::from_timestamp;
using kit::to_timestamp;

void Tickets::history(const v1::Ticket& t, const std::string& actor, const std::string& action,
                      const std::string& detail) {
  if (pending_)
    pending_->history.push_back({t.ticket_id(), actor, action, detail});
  else
    store::append_history(tx_, t.ticket_id(), kit::to_micros(now_), actor, action, detail);
}

void Tickets::add_event(const v1::Event& e) {
  if (pending_)
    pending_->events.push_back(outbox_.row(e));
  else
    outbox_.add(tx_, e);
}

// Moves the ticket to `to` with its history entry and TicketStatusChanged; refuses a move the
// status machine does not allow.
Status Tickets::move(v1::Ticket& t, v1::TicketStatus to, const std::string& actor,
                     const std::string& reason) {
  if (!domain::can_transition(t.status(), to))
    return {StatusCode::FAILED_PRECONDITION, domain::transition_error(t.status(), to)};
  v1::TicketStatus from = t.status();
  t.set_status(to);
  if (to == v1::TICKET_STATUS_RESOLVED) *t.mutable_resolved_at() = to_timestamp(now_);
  if (to == v1::TICKET_STATUS_CLOSED) *t.mutable_closed_at() = to_timestamp(now_);
  history(t, actor, "status_changed",
          domain::public_name(from) + " -> " + domain::public_name(to) +
              (reason.empty() ? "" : ": " + reason));
  v1::Event e = event(t);
  auto* p = e.mutable_ticket_status_changed();
  p->set_ticket_id(t.ticket_id());
  p->set_from_status(from);
  p->set_to_status(to);
  p->set_reason(reason);
  p->set_actor(actor);
  outbox_.add(tx_, e);
  return Status::OK;
}

void Tickets::resolved(const v1::Ticket& t, const std::string& resolution,
                       const std::string& work_order_id, int incident_round) {
  v1::Event e = event(t);
  auto* p = e.mutable_ticket_resolved();
  p->set_ticket_id(t.ticket_id());
  p->set_unit_id(t.unit_id());
  p->set_owner_id(t.owner_id());
  p->set_kind(t.kind());
  p->set_category(t.category());
  p->set_component(t.component());
  *p->mutable_resolved_at() = t.resolved_at();
  p->set_on_time(from_timestamp(t.resolved_at()) <= from_timestamp(t.resolve_due()));
  p->set_resolution(kit::mask_digit_runs(resolution));
  p->set_work_order_id(work_order_id);
  p->set_incident_id(t.incident_id());
  p->set_incident_round(incident_round);
  outbox_.add(tx_, e);
}

void Tickets::closed(const v1::Ticket& t, const std::string& reason,
                     const std::string& callback_id) {
  v1::Event e = event(t);
  auto* p = e.mutable_ticket_closed();
  p->set_ticket_id(t.ticket_id());
  p->set_reason(kit::mask_digit_runs(reason));
  p->set_callback_id(callback_id);
  outbox_.add(tx_, e);
}

// Applies the escalation tables to the ticket at `recurrence`. A rise in level requests the
// policy's fine against the party of the issue's latest work order (the builder in warranty,
// else the crew); with no known party no fine is requested and a supervisor decides.
void Tickets::escalate_by_rules(v1::Ticket& t, const ProjectRules& rules, const std::string& actor,
                                const std::string* known_party) {
  domain::EscalationDecision d = domain::escalate(t.kind(), t.recurrence(), rules.policy);
  if (d.level <= t.escalation_level()) return;
  int previous = t.escalation_level();
  t.set_kind(d.kind);
  t.set_escalation_level(d.level);
  std::string party =
      known_party ? *known_party
                  : store::latest_assignee_of_issue(tx_, t.unit_id(), t.category(), t.component());
  int64_t fine = party.empty() ? 0 : d.fine_fen;
  v1::FaultParty fault = party.empty()     ? v1::FAULT_PARTY_UNSPECIFIED
                         : t.in_warranty() ? v1::FAULT_PARTY_BUILDER
                                           : v1::FAULT_PARTY_CREW;
  if (fine > 0) {
    t.set_fault_party(fault);
    t.set_fault_party_id(party);
    t.set_fine_fen(t.fine_fen() + fine);
  }
  std::string reason = "report " + std::to_string(t.recurrence()) + " of the same issue";
  if (pending_)
    pending_->escalation = store::EscalationRow{d.level, previous, fine, fine > 0 ? party : ""};
  else
    store::record_escalation(tx_, t.ticket_id(), d.level, previous, fine, fine > 0 ? party : "",
                             kit::to_micros(now_));
  history(t, actor, "escalated",
          "level " + std::to_string(previous) + " -> " + std::to_string(d.level) + " (" + reason +
              (fine > 0 ? ", fine " + std::to_string(fine) + " fen against " + party : "") + ")");
  v1::Event e = event(t);
  auto* p = e.mutable_ticket_escalated();
  p->set_ticket_id(t.ticket_id());
  p->set_level(d.level);
  p->set_previous_level(previous);
  p->set_fault_party(fine > 0 ? fault : v1::FAULT_PARTY_UNSPECIFIED);
  p->set_fault_party_id(fine > 0 ? party : "");
  p->set_fine_fen(fine);
  p->set_reason(reason);
  p->set_recurrence(t.recurrence());
  add_event(e);
}

// Reopening counts as a new report of the issue: recurrence + 1, escalation rules, and new
// deadlines counted from now.
Status Tickets::reopen(v1::Ticket& t, const ProjectRules& rules, const std::string& actor,
                       const std::string& reason, const std::string& callback_id) {
  v1::TicketStatus previous = t.status();
  if (!domain::can_transition(previous, v1::TICKET_STATUS_REOPENED))
    return {StatusCode::FAILED_PRECONDITION,
            domain::transition_error(previous, v1::TICKET_STATUS_REOPENED)};
  int reports = store::lock_issue(tx_, t.unit_id(), t.category(), t.component()) + 1;
  store::set_issue_reports(tx_, t.unit_id(), t.category(), t.component(), reports);
  t.set_recurrence(reports);
  t.set_status(v1::TICKET_STATUS_REOPENED);
  t.clear_resolved_at();
  t.clear_responded_at();
  history(t, actor, "reopened", reason + " (report " + std::to_string(reports) + " of this issue)");
  escalate_by_rules(t, rules, actor);
  auto due = domain::compute_deadlines(now_, t.urgency(), t.category(), t.kind(), rules.policy,
                                       rules.calendar, rules.zone);
  *t.mutable_response_due() = to_timestamp(due.response_due);
  *t.mutable_resolve_due() = to_timestamp(due.resolve_due);
  v1::Event e = event(t);
  auto* p = e.mutable_ticket_reopened();
  p->set_ticket_id(t.ticket_id());
  p->set_reason(kit::mask_digit_runs(reason));
  p->set_callback_id(callback_id);
  p->set_recurrence(t.recurrence());
  p->set_escalation_level(t.escalation_level());
  p->set_kind(t.kind());
  *p->mutable_response_due() = t.response_due();
  *p->mutable_resolve_due() = t.resolve_due();
  p->set_previous_status(previous);
  outbox_.add(tx_, e);
  return Status::OK;
}

void Tickets::responded(const v1::Ticket& t, absl::Time at, const std::string& actor) {
  v1::Event e = event(t);
  auto* p = e.mutable_ticket_responded();
  p->set_ticket_id(t.ticket_id());
  *p->mutable_responded_at() = t.responded_at();
  p->set_on_time(at <= from_timestamp(t.response_due()));
  p->set_actor(actor);
  outbox_.add(tx_, e);
}

v1::RepairArea default_repair_area(v1::RepairArea requested, v1::TicketCategory category) {
  if (requested != v1::REPAIR_AREA_UNSPECIFIED) return requested;
  return category == v1::TICKET_CATEGORY_PUBLIC_FACILITY ? v1::REPAIR_AREA_PUBLIC
                                                         : v1::REPAIR_AREA_HOME;
}

// Records the report as a ticket with its warranty, recurrence, escalation, deadlines, number,
// history and TicketOpened event (plus TicketsLinked when the issue already has an active
// ticket: then the report is a linked duplicate, cancelled and not dispatched). Returns the
// ticket as stored. `number`, when given and taken for the report's day, is used instead of
// taking one from the counter inside this transaction.
v1::Ticket open_report(Tickets& tickets, const ProjectRules& rules, const NewReport& r,
                       const TicketNumber* number) {
  pqxx::work& tx = tickets.tx();
  absl::Time now = tickets.now();
  absl::CivilDay day = domain::local_day(r.reported_at, rules.zone);
  absl::CivilDay ends = domain::warranty_ends(domain::to_civil_day(r.unit.handover_date()),
                                              r.component, rules.policy);
  v1::Ticket t;
  t.set_ticket_id(kit::new_uuid());
  t.set_project_id(r.unit.project_id());
  t.set_unit_id(r.unit.unit_id());
  t.set_owner_id(r.unit.owner_id());
  t.set_kind(r.kind);
  t.set_category(r.category);
  t.set_component(r.component);
  t.set_urgency(r.urgency);
  t.set_channel(r.channel);
  t.set_repair_area(r.repair_area);
  t.set_description(r.description);
  t.set_status(v1::TICKET_STATUS_OPEN);
  t.set_in_warranty(domain::in_warranty(day, ends));
  *t.mutable_warranty_ends() = domain::to_date(ends);
  *t.mutable_reported_at() = to_timestamp(r.reported_at);
  t.set_owner_agent(r.owner_agent);
  t.set_reported_by(r.reported_by);
  t.set_split_from_ticket_id(r.split_from);
  *t.mutable_created_at() = to_timestamp(now);

  // Issue 21: the issue locked (with the incident component lock a public report needs), its
  // state read, and everything the report writes stored by one statement.
  const bool public_report =
      domain::links_to_incidents(t.kind()) && t.repair_area() == v1::REPAIR_AREA_PUBLIC;
  int reports = store::lock_issue_for_report(
      tx, t.unit_id(), t.category(), t.component(),
      public_report ? store::component_lock_key(t.project_id(), r.unit.building(), t.component())
                    : "");
  // A report that is not a reminder may rise in level: then the fine needs the issue's last party.
  const bool may_escalate =
      domain::escalate(t.kind(), reports + 1, rules.policy).level > t.escalation_level();
  store::IssueState issue =
      store::issue_state(tx, t.unit_id(), t.category(), t.component(), may_escalate);
  const std::optional<v1::Ticket>& primary = issue.active;
  store::ReportWrite w;
  w.idempotency_key = r.idempotency_key;
  w.request_hash = r.request_hash;
  w.at_us = kit::to_micros(now);
  tickets.collect_into(&w);
  if (primary) {
    // The same issue is still being handled: link, don't dispatch twice, don't count it
    // as a new report (recurrence counts reports after a repair, not reminders).
    t.set_duplicate_of(primary->ticket_id());
    t.set_recurrence(primary->recurrence());
    t.set_escalation_level(primary->escalation_level());
    t.set_status(v1::TICKET_STATUS_CANCELLED);
  } else {
    w.issue_reports = reports + 1;
    t.set_recurrence(reports + 1);
  }
  std::string day_text = domain::format_day(day);
  int64_t sequence = number && number->day == day_text
                         ? number->sequence
                         : store::next_ticket_sequence(tx, t.project_id(), day_text);
  t.set_ticket_no(domain::format_ticket_no(t.project_id(), day, sequence));
  // Deadlines use the kind after escalation (a 3rd repair is handled as a complaint).
  domain::EscalationDecision d = domain::escalate(t.kind(), t.recurrence(), rules.policy);
  auto due = domain::compute_deadlines(r.reported_at, t.urgency(), t.category(),
                                       primary ? t.kind() : d.kind, rules.policy, rules.calendar,
                                       rules.zone);
  *t.mutable_response_due() = to_timestamp(due.response_due);
  *t.mutable_resolve_due() = to_timestamp(due.resolve_due);
  tickets.history(t, r.reported_by, "opened",
                  domain::public_name(t.kind()) + " via " + domain::public_name(t.channel()) +
                      ", report " + std::to_string(t.recurrence()) + " of this issue" +
                      (t.in_warranty() ? ", in warranty" : ", out of warranty") + r.opened_note);
  if (primary) {
    tickets.history(t, r.reported_by, "linked", "duplicate of " + primary->ticket_no());
    tickets.history(*primary, r.reported_by, "duplicate_linked",
                    "report " + t.ticket_no() + " linked");
  } else {
    tickets.escalate_by_rules(t, rules, r.reported_by, &issue.latest_assignee);
    w.updated = true;  // as stored by the insert and then the escalation's update
  }
  // Issue 23: a report in scope of an open incident (or making one) is handled with it.
  IncidentLink incident =
      primary ? IncidentLink{} : link_report(tickets, rules.policy, r.unit, t, r.reported_by, w);
  v1::Event e = event(t);
  auto* p = e.mutable_ticket_opened();
  p->set_ticket_id(t.ticket_id());
  p->set_ticket_no(t.ticket_no());
  p->set_unit_id(t.unit_id());
  p->set_owner_id(t.owner_id());
  p->set_kind(t.kind());
  p->set_category(t.category());
  p->set_component(t.component());
  p->set_urgency(t.urgency());
  p->set_channel(t.channel());
  p->set_repair_area(t.repair_area());
  p->set_description(kit::mask_digit_runs(t.description()));
  p->set_in_warranty(t.in_warranty());
  *p->mutable_warranty_ends() = t.warranty_ends();
  *p->mutable_reported_at() = t.reported_at();
  *p->mutable_response_due() = t.response_due();
  *p->mutable_resolve_due() = t.resolve_due();
  p->set_recurrence(t.recurrence());
  p->set_escalation_level(t.escalation_level());
  p->set_duplicate_of(t.duplicate_of());
  p->set_owner_agent(t.owner_agent());
  p->set_incident_id(incident.incident_id);
  p->set_incident_lead(incident.lead);
  tickets.add_event(e);
  if (primary) {
    v1::Event linked = event(t);
    auto* l = linked.mutable_tickets_linked();
    l->set_ticket_id(t.ticket_id());
    l->set_duplicate_of(primary->ticket_id());
    l->set_recurrence(primary->recurrence());
    tickets.add_event(linked);
  }
  w.ticket = t;
  tickets.collect_into(nullptr);
  v1::Ticket stored = store::write_report(tx, w);
  // A proposal opens its incident once the report is stored (its rows point at the ticket).
  if (incident.proposal) {
    open_proposed_incident(tickets, rules.policy, r.unit, stored, r.reported_by, incident);
    stored.set_incident_id(incident.incident_id);
  }
  return stored;
}

}  // namespace aftercare::intake::app
