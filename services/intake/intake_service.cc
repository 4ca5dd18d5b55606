#include "intake/intake_service.h"

#include <spdlog/spdlog.h>

#include <set>

#include "common/policy_defaults.h"
#include "common/privacy.h"
#include "common/refusal.h"
#include "common/time.h"
#include "intake/domain/attachments.h"
#include "intake/domain/dates.h"
#include "intake/domain/deadlines.h"
#include "intake/domain/escalation.h"
#include "intake/domain/merge_split.h"
#include "intake/domain/names.h"
#include "intake/domain/report_period.h"
#include "intake/domain/ticket_number.h"
#include "intake/domain/ticket_status.h"
#include "intake/domain/validation.h"
#include "intake/domain/warranty.h"
#include "intake/domain/warranty_expiry.h"
#include "intake/store/intake_store.h"

namespace aftercare::intake {
namespace {

using grpc::Status;
using grpc::StatusCode;
using kit::from_timestamp;
using kit::to_timestamp;

constexpr const char* kDefaultTimeZone = "Asia/Shanghai";
constexpr int kMaxPageSize = 200;
constexpr int kDefaultPageSize = 50;

// Who may do what. "service" is another AfterCare service acting on its own behalf.
const std::set<std::string> kStaff = {"agent",   "verifier", "dispatcher", "supervisor",
                                      "finance", "admin",    "service"};
const std::set<std::string> kTicketEditors = {"agent", "supervisor", "admin", "service"};
const std::set<std::string> kRegistryWriters = {"admin"};
// Merge and split re-shape the service archive: agents and their supervisors only.
const std::set<std::string> kMergers = {"agent", "supervisor", "admin"};
// Besides owners (their units' tickets), the staff who add photos and documents.
const std::set<std::string> kAttachmentStaff = {"agent", "supervisor", "admin", "dispatcher"};

Status bad(std::string_view error) {
  // Domain checks name the field first ("reported_at must ..."): keep their text as is.
  return {StatusCode::INVALID_ARGUMENT, std::string(error)};
}
Status not_found(const std::string& what) {
  return {StatusCode::NOT_FOUND, what + " not found"};
}
Status denied(const std::string& why) {
  return {StatusCode::PERMISSION_DENIED, why};
}

bool has_role(const kit::Caller& c, const std::set<std::string>& roles) {
  return roles.contains(c.role);
}

// Staff see their projects; services see everything.
bool staff_sees(const kit::Caller& c, const std::string& project_id) {
  return kStaff.contains(c.role) && (c.is("service") || c.sees_project(project_id));
}

// Owners see the tickets of their units; staff those of their projects.
bool sees_ticket(const kit::Caller& c, const v1::Ticket& t) {
  if (c.is("owner")) return c.owns_unit(t.unit_id());
  return staff_sees(c, t.project_id());
}

using kit::guarded;
using kit::Refusal;

std::string fnv1a_hex(const std::string& bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

bool is_set(const google::protobuf::Timestamp& ts) {
  return ts.seconds() != 0 || ts.nanos() != 0;
}

// What a project's rules need: its zone, its policy, its calendar around a date.
struct ProjectRules {
  v1::Project project;
  absl::TimeZone zone;
  domain::IntakePolicy policy;
  domain::WorkingDayCalendar calendar;
};

ProjectRules load_rules(pqxx::transaction_base& tx, const v1::Project& project, absl::Time around) {
  ProjectRules rules{project, {}, domain::IntakePolicy::defaults(), {}};
  if (!absl::LoadTimeZone(project.timezone(), &rules.zone))
    absl::LoadTimeZone(kDefaultTimeZone, &rules.zone);
  if (auto stored = store::find_policy(tx, project.project_id())) {
    std::string error = rules.policy.apply_overrides(*stored);
    if (!error.empty())
      spdlog::error("stored policy of {} rejected: {}", project.project_id(), error);
  }
  // Deadlines reach at most a few months ahead: load this year and the next.
  int year = static_cast<int>(absl::ToCivilYear(around, rules.zone).year());
  rules.calendar = store::load_calendar(tx, project.project_id(), year - 1, year + 1);
  return rules;
}

// The envelope of a ticket's event; the outbox names its type after the payload.
v1::Event event(const v1::Ticket& t) {
  v1::Event e;
  e.set_project_id(t.project_id());
  e.set_aggregate_id(t.ticket_id());
  return e;
}

std::string actor_of(const kit::Caller& c) {
  return c.sub.empty() ? "service:" + c.role : c.sub;
}

class Tickets {
 public:
  Tickets(pqxx::work& tx, const kit::Outbox& outbox, absl::Time now)
      : tx_(tx), outbox_(outbox), now_(now) {}

  void history(const v1::Ticket& t, const std::string& actor, const std::string& action,
               const std::string& detail) {
    store::append_history(tx_, t.ticket_id(), kit::to_micros(now_), actor, action, detail);
  }

  // Moves the ticket to `to` with its history entry and TicketStatusChanged; refuses a move the
  // status machine does not allow.
  Status move(v1::Ticket& t, v1::TicketStatus to, const std::string& actor,
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

  void resolved(const v1::Ticket& t, const std::string& resolution,
                const std::string& work_order_id) {
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
    outbox_.add(tx_, e);
  }

  void closed(const v1::Ticket& t, const std::string& reason, const std::string& callback_id) {
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
  void escalate_by_rules(v1::Ticket& t, const ProjectRules& rules, const std::string& actor) {
    domain::EscalationDecision d = domain::escalate(t.kind(), t.recurrence(), rules.policy);
    if (d.level <= t.escalation_level()) return;
    int previous = t.escalation_level();
    t.set_kind(d.kind);
    t.set_escalation_level(d.level);
    std::string party =
        store::latest_assignee_of_issue(tx_, t.unit_id(), t.category(), t.component());
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
    outbox_.add(tx_, e);
  }

  // Reopening counts as a new report of the issue: recurrence + 1, escalation rules, and new
  // deadlines counted from now.
  Status reopen(v1::Ticket& t, const ProjectRules& rules, const std::string& actor,
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
    history(t, actor, "reopened",
            reason + " (report " + std::to_string(reports) + " of this issue)");
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

  pqxx::work& tx() { return tx_; }
  const kit::Outbox& outbox() { return outbox_; }
  absl::Time now() const { return now_; }

 private:
  pqxx::work& tx_;
  const kit::Outbox& outbox_;
  absl::Time now_;
};

v1::RepairArea default_repair_area(v1::RepairArea requested, v1::TicketCategory category) {
  if (requested != v1::REPAIR_AREA_UNSPECIFIED) return requested;
  return category == v1::TICKET_CATEGORY_PUBLIC_FACILITY ? v1::REPAIR_AREA_PUBLIC
                                                         : v1::REPAIR_AREA_HOME;
}

// A new report of a problem: from OpenTicket, or the second problem of a report split off by
// SplitTicket. Inputs are validated.
struct NewReport {
  v1::Unit unit;
  v1::TicketKind kind;
  v1::TicketCategory category;
  v1::Component component;
  v1::Urgency urgency;
  v1::Channel channel;
  v1::RepairArea repair_area;
  std::string description;
  absl::Time reported_at;
  std::string owner_agent;  // first-contact agent
  std::string reported_by;  // actor_of(caller); also the history actor and idempotency scope
  std::string split_from;   // ticket_id of the report it was split off, if any
  std::string opened_note;  // appended to the "opened" history entry
  std::string idempotency_key, request_hash;
};

// A ticket number taken ahead of the ticket's own transaction (see OpenTicket).
struct TicketNumber {
  std::string day;  // YYYY-MM-DD, the project's local day it was taken for
  int64_t sequence = 0;
};

// Records the report as a ticket with its warranty, recurrence, escalation, deadlines, number,
// history and TicketOpened event (plus TicketsLinked when the issue already has an active
// ticket: then the report is a linked duplicate, cancelled and not dispatched). Returns the
// ticket as stored. `number`, when given and taken for the report's day, is used instead of
// taking one from the counter inside this transaction.
v1::Ticket open_report(Tickets& tickets, const ProjectRules& rules, const NewReport& r,
                       const TicketNumber* number = nullptr) {
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

  int reports = store::lock_issue(tx, t.unit_id(), t.category(), t.component());
  auto primary = store::active_ticket_of_issue(tx, t.unit_id(), t.category(), t.component());
  if (primary) {
    // The same issue is still being handled: link, don't dispatch twice, don't count it
    // as a new report (recurrence counts reports after a repair, not reminders).
    t.set_duplicate_of(primary->ticket_id());
    t.set_recurrence(primary->recurrence());
    t.set_escalation_level(primary->escalation_level());
    t.set_status(v1::TICKET_STATUS_CANCELLED);
  } else {
    store::set_issue_reports(tx, t.unit_id(), t.category(), t.component(), reports + 1);
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
  store::insert_ticket(tx, t, r.idempotency_key, r.request_hash);
  tickets.history(t, r.reported_by, "opened",
                  domain::public_name(t.kind()) + " via " + domain::public_name(t.channel()) +
                      ", report " + std::to_string(t.recurrence()) + " of this issue" +
                      (t.in_warranty() ? ", in warranty" : ", out of warranty") + r.opened_note);
  if (primary) {
    tickets.history(t, r.reported_by, "linked", "duplicate of " + primary->ticket_no());
    tickets.history(*primary, r.reported_by, "duplicate_linked",
                    "report " + t.ticket_no() + " linked");
  } else {
    tickets.escalate_by_rules(t, rules, r.reported_by);
    store::update_ticket(tx, t);
  }
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
  tickets.outbox().add(tx, e);
  if (primary) {
    v1::Event linked = event(t);
    auto* l = linked.mutable_tickets_linked();
    l->set_ticket_id(t.ticket_id());
    l->set_duplicate_of(primary->ticket_id());
    l->set_recurrence(primary->recurrence());
    tickets.outbox().add(tx, linked);
  }
  return *store::find_ticket(tx, t.ticket_id());
}

// Other services (dispatch's partner view, callback) learn of attachments from this event; the
// content stays here. Filenames can carry phone numbers, so digit runs are masked.
void publish_attachment_added(Tickets& tickets, const v1::Ticket& t, const v1::Attachment& a) {
  v1::Event e = event(t);
  auto* p = e.mutable_attachment_added();
  p->set_attachment_id(a.attachment_id());
  p->set_ticket_id(a.ticket_id());
  p->set_kind(a.kind());
  p->set_filename(kit::mask_digit_runs(a.filename()));
  p->set_content_type(a.content_type());
  p->set_size_bytes(a.size_bytes());
  p->set_sha256(a.sha256());
  p->set_uploaded_by(a.uploaded_by());
  *p->mutable_created_at() = a.created_at();
  tickets.outbox().add(tickets.tx(), e);
}

v1::UnitUpserted unit_event_payload(const v1::Unit& u, const std::string& previous_owner) {
  v1::UnitUpserted p;
  p.set_unit_id(u.unit_id());
  p.set_building(u.building());
  p.set_room(u.room());
  p.set_area_centi_m2(u.area_centi_m2());
  p.set_owner_id(u.owner_id());
  p.set_owner_phone_masked(kit::mask_phone(u.owner_phone()));
  *p.mutable_handover_date() = u.handover_date();
  if (previous_owner != u.owner_id()) p.set_previous_owner_id(previous_owner);
  return p;
}

// What owners and partners may see of a unit: no name, masked phone.
void redact_owner(v1::Unit* u) {
  u->set_owner_phone_masked(kit::mask_phone(u->owner_phone()));
  u->clear_owner_phone();
  u->clear_owner_name();
}

int page_size(int requested) {
  return requested <= 0 ? kDefaultPageSize : std::min(requested, kMaxPageSize);
}

}  // namespace

IntakeServiceImpl::IntakeServiceImpl(kit::PgPool& db, const kit::Outbox& outbox, Clock clock)
    : db_(db), outbox_(outbox), clock_(std::move(clock)) {}

// ---------------------------------------------------------------------------------- registry

Status IntakeServiceImpl::UpsertProject(grpc::ServerContext* context,
                                        const v1::UpsertProjectRequest* r, v1::Project* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_text(r->name(), "name", 200); !e.empty()) return bad(e);
  std::string zone = r->timezone().empty() ? kDefaultTimeZone : r->timezone();
  if (auto e = domain::check_time_zone(zone); !e.empty()) return bad(e);
  if (!has_role(call.caller, kRegistryWriters)) return denied("only admins change the registry");
  if (!call.caller.sees_project(r->project_id())) return not_found("project " + r->project_id());
  return guarded("UpsertProject", [&] {
    db_.in_transaction([&](pqxx::work& tx) {
      *out = store::upsert_project(tx, r->project_id(), r->name(), zone);
      v1::Event e;
      e.set_project_id(out->project_id());
      e.set_aggregate_id(out->project_id());
      auto* p = e.mutable_project_upserted();
      p->set_project_id(out->project_id());
      p->set_name(out->name());
      p->set_timezone(out->timezone());
      outbox_.add(tx, e);
    });
    return Status::OK;
  });
}

Status IntakeServiceImpl::GetProject(grpc::ServerContext* context, const v1::GetProjectRequest* r,
                                     v1::Project* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id()) && !call.caller.sees_project(r->project_id()))
    return not_found("project " + r->project_id());
  return guarded("GetProject", [&] {
    auto p = db_.in_transaction(
        [&](pqxx::work& tx) { return store::find_project(tx, r->project_id()); });
    if (!p) return not_found("project " + r->project_id());
    *out = *p;
    return Status::OK;
  });
}

Status IntakeServiceImpl::UpsertUnit(grpc::ServerContext* context, const v1::UpsertUnitRequest* r,
                                     v1::Unit* out) {
  auto call = kit::begin_call(*context);
  for (auto [value, field] : {std::pair{&r->project_id(), "project_id"},
                              {&r->unit_id(), "unit_id"},
                              {&r->owner_id(), "owner_id"}})
    if (auto e = domain::check_id(*value, field); !e.empty()) return bad(e);
  if (auto e = domain::check_text(r->building(), "building", 64); !e.empty()) return bad(e);
  if (auto e = domain::check_text(r->room(), "room", 64); !e.empty()) return bad(e);
  if (auto e = domain::check_area_centi_m2(r->area_centi_m2(), "area_m2"); !e.empty())
    return bad(e);
  if (auto e = domain::check_text(r->owner_name(), "owner_name", 100); !e.empty()) return bad(e);
  if (auto e = domain::check_phone(r->owner_phone()); !e.empty()) return bad(e);
  if (!r->has_handover_date()) return kit::invalid_field("handover_date", "is required");
  if (auto e = domain::check_date(r->handover_date(), "handover_date"); !e.empty()) return bad(e);
  if (!has_role(call.caller, kRegistryWriters)) return denied("only admins change the registry");
  if (!call.caller.sees_project(r->project_id())) return not_found("project " + r->project_id());
  return guarded("UpsertUnit", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      if (!store::find_project(tx, r->project_id())) return not_found("project " + r->project_id());
      if (auto existing = store::find_unit(tx, r->unit_id());
          existing && existing->project_id() != r->project_id())
        return Status(StatusCode::FAILED_PRECONDITION,
                      "unit_id: " + r->unit_id() + " belongs to another project");
      std::string previous_owner;
      *out = store::upsert_unit(tx, *r, &previous_owner);
      v1::Event e;
      e.set_project_id(out->project_id());
      e.set_aggregate_id(out->unit_id());
      *e.mutable_unit_upserted() = unit_event_payload(*out, previous_owner);
      outbox_.add(tx, e);
      out->set_owner_phone_masked(kit::mask_phone(out->owner_phone()));
      return Status::OK;
    });
  });
}

Status IntakeServiceImpl::GetUnit(grpc::ServerContext* context, const v1::GetUnitRequest* r,
                                  v1::Unit* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  return guarded("GetUnit", [&] {
    auto unit =
        db_.in_transaction([&](pqxx::work& tx) { return store::find_unit(tx, r->unit_id()); });
    bool owner_of_it = call.caller.is("owner") && call.caller.owns_unit(r->unit_id());
    if (!unit || !(owner_of_it || staff_sees(call.caller, unit->project_id())))
      return not_found("unit " + r->unit_id());
    *out = *unit;
    out->set_owner_phone_masked(kit::mask_phone(out->owner_phone()));
    if (owner_of_it) out->clear_owner_phone();
    return Status::OK;
  });
}

Status IntakeServiceImpl::ListUnits(grpc::ServerContext* context, const v1::ListUnitsRequest* r,
                                    v1::ListUnitsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  int limit = page_size(r->page_size());
  return guarded("ListUnits", [&] {
    auto units = db_.in_transaction([&](pqxx::work& tx) {
      return store::list_units(tx, r->project_id(), r->building(), r->owner_id(), r->page_token(),
                               limit + 1);
    });
    bool more = static_cast<int>(units.size()) > limit;
    if (more) units.pop_back();
    for (auto& u : units) {
      u.set_owner_phone_masked(kit::mask_phone(u.owner_phone()));
      if (!call.caller.is("admin") && !call.caller.is("agent") && !call.caller.is("supervisor"))
        redact_owner(&u);
      *out->add_units() = std::move(u);
    }
    if (more) out->set_next_page_token(out->units(out->units_size() - 1).unit_id());
    return Status::OK;
  });
}

Status IntakeServiceImpl::PutCalendar(grpc::ServerContext* context, const v1::PutCalendarRequest* r,
                                      v1::Calendar* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  std::vector<absl::CivilDay> holidays, workdays;
  for (int i = 0; i < r->holidays_size(); ++i) {
    if (auto e = domain::check_date(r->holidays(i), "holidays[" + std::to_string(i) + "]");
        !e.empty())
      return bad(e);
    holidays.push_back(domain::to_civil_day(r->holidays(i)));
  }
  for (int i = 0; i < r->workdays_size(); ++i) {
    if (auto e = domain::check_date(r->workdays(i), "workdays[" + std::to_string(i) + "]");
        !e.empty())
      return bad(e);
    workdays.push_back(domain::to_civil_day(r->workdays(i)));
  }
  if (auto e = domain::check_year_lists(r->year(), holidays, workdays); !e.empty()) return bad(e);
  if (!has_role(call.caller, kRegistryWriters)) return denied("only admins change the registry");
  if (!call.caller.sees_project(r->project_id())) return not_found("project " + r->project_id());
  return guarded("PutCalendar", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      if (!store::find_project(tx, r->project_id())) return not_found("project " + r->project_id());
      store::put_calendar(tx, *r);
      *out = *store::find_calendar(tx, r->project_id(), r->year());
      v1::Event e;
      e.set_project_id(r->project_id());
      e.set_aggregate_id(r->project_id());
      auto* p = e.mutable_calendar_upserted();
      p->set_year(r->year());
      *p->mutable_holidays() = out->holidays();
      *p->mutable_workdays() = out->workdays();
      outbox_.add(tx, e);
      return Status::OK;
    });
  });
}

Status IntakeServiceImpl::GetCalendar(grpc::ServerContext* context, const v1::GetCalendarRequest* r,
                                      v1::Calendar* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  return guarded("GetCalendar", [&] {
    auto c = db_.in_transaction(
        [&](pqxx::work& tx) { return store::find_calendar(tx, r->project_id(), r->year()); });
    if (!c) return not_found("calendar " + std::to_string(r->year()));
    *out = *c;
    return Status::OK;
  });
}

Status IntakeServiceImpl::SetPolicy(grpc::ServerContext* context, const v1::SetPolicyRequest* r,
                                    v1::Policy* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  domain::IntakePolicy check = domain::IntakePolicy::defaults();
  if (auto e = check.apply_overrides(r->policy()); !e.empty()) return bad("policy." + e);
  if (!has_role(call.caller, kRegistryWriters)) return denied("only admins change policies");
  if (!call.caller.sees_project(r->project_id())) return not_found("project " + r->project_id());
  return guarded("SetPolicy", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      if (!store::find_project(tx, r->project_id())) return not_found("project " + r->project_id());
      *out = store::save_policy(tx, r->project_id(), r->policy());
      v1::Event e;
      e.set_project_id(r->project_id());
      e.set_aggregate_id(r->project_id());
      *e.mutable_policy_updated()->mutable_policy() = *out;
      outbox_.add(tx, e);
      return Status::OK;
    });
  });
}

Status IntakeServiceImpl::GetPolicy(grpc::ServerContext* context, const v1::GetPolicyRequest* r,
                                    v1::Policy* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  return guarded("GetPolicy", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      if (!store::find_project(tx, r->project_id())) return not_found("project " + r->project_id());
      auto stored = store::find_policy(tx, r->project_id());
      if (stored) *out = *stored;
      out->set_project_id(r->project_id());
      // The effective ticket rules: overrides over the DOMAIN defaults.
      domain::IntakePolicy effective = domain::IntakePolicy::defaults();
      if (stored) effective.apply_overrides(*stored);
      effective.to_proto(out->mutable_ticket());
      kit::fill_platform_defaults(out);  // the other services' sections: overrides over defaults
      return Status::OK;
    });
  });
}

// ----------------------------------------------------------------------------------- tickets

Status IntakeServiceImpl::OpenTicket(grpc::ServerContext* context, const v1::OpenTicketRequest* r,
                                     v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->kind(), "kind"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->category(), "category"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->component(), "component"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->urgency(), "urgency"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->channel(), "channel"); !e.empty()) return bad(e);
  if (auto e = domain::check_description(r->description()); !e.empty()) return bad(e);
  if (r->repair_area() != v1::REPAIR_AREA_UNSPECIFIED)
    if (auto e = domain::check_enum(r->repair_area(), "repair_area"); !e.empty()) return bad(e);
  if (r->idempotency_key().size() > 128)
    return kit::invalid_field("idempotency_key", "at most 128 characters");
  if (caller.is("owner")) {
    if (r->has_reported_at()) return kit::invalid_field("reported_at", "only agents may set it");
    if (!caller.owns_unit(r->unit_id())) return not_found("unit " + r->unit_id());
  } else if (!has_role(caller, kTicketEditors)) {
    return denied("only owners and agents open tickets");
  } else if (!staff_sees(caller, r->project_id())) {
    return not_found("project " + r->project_id());
  }
  absl::Time now = clock_();
  absl::Time reported_at = r->has_reported_at() ? from_timestamp(r->reported_at()) : now;
  v1::OpenTicketRequest fingerprint = *r;
  fingerprint.clear_idempotency_key();
  std::string request_hash = fnv1a_hex(fingerprint.SerializeAsString());

  return guarded("OpenTicket", [&] {
    // The day's ticket number first, in a short transaction of its own. Taken inside the
    // ticket's transaction, the project's counter row stays locked until that commits, so every
    // report of a project waits for the one before it (tests/bench/run: ~95 ms of lock wait per
    // ticket at 16 clients). A number whose report then fails (bad input found later, a lost
    // idempotency race) is skipped: numbers are unique and increasing per project and day, not
    // gapless.
    std::optional<TicketNumber> number =
        db_.in_transaction([&](pqxx::work& tx) -> std::optional<TicketNumber> {
          if (!r->idempotency_key().empty() &&
              store::find_by_idempotency_key(tx, actor_of(caller), r->idempotency_key(), nullptr))
            return std::nullopt;  // a replay needs no number
          // Bad input must change nothing, not even the counter: the report's own checks first
          // (the ticket transaction repeats them and answers the error).
          auto project = store::find_project(tx, r->project_id());
          if (!project) return std::nullopt;
          auto unit = store::find_unit(tx, r->unit_id());
          if (!unit || unit->project_id() != r->project_id()) return std::nullopt;
          ProjectRules rules = load_rules(tx, *project, reported_at);
          if (!domain::check_reported_at(reported_at, now, rules.policy).empty())
            return std::nullopt;
          std::string day = domain::format_day(domain::local_day(reported_at, rules.zone));
          // No WAL flush of its own: the ticket that uses the number commits later, and that
          // commit flushes this one with it; a number lost in a crash was never used.
          tx.exec0("SET LOCAL synchronous_commit = off");
          return TicketNumber{day, store::next_ticket_sequence(tx, r->project_id(), day)};
        });
    // A concurrent twin with the same idempotency key loses the unique index: retry once and
    // find the twin's ticket.
    for (int attempt = 0;; ++attempt) {
      try {
        return db_.in_transaction([&](pqxx::work& tx) -> Status {
          if (!r->idempotency_key().empty()) {
            std::string stored_hash;
            if (auto first = store::find_by_idempotency_key(tx, actor_of(caller),
                                                            r->idempotency_key(), &stored_hash)) {
              if (stored_hash != request_hash)
                return {StatusCode::ALREADY_EXISTS,
                        "idempotency_key was used for a different request"};
              *out = *first;
              return Status::OK;
            }
          }
          auto project = store::find_project(tx, r->project_id());
          if (!project) return not_found("project " + r->project_id());
          auto unit = store::find_unit(tx, r->unit_id());
          if (!unit || unit->project_id() != r->project_id())
            return not_found("unit " + r->unit_id());
          ProjectRules rules = load_rules(tx, *project, reported_at);
          if (auto e = domain::check_reported_at(reported_at, now, rules.policy); !e.empty())
            return bad(e);

          NewReport report{*unit,
                           r->kind(),
                           r->category(),
                           r->component(),
                           r->urgency(),
                           r->channel(),
                           default_repair_area(r->repair_area(), r->category()),
                           r->description(),
                           reported_at,
                           caller.is("agent") ? caller.sub : "",
                           actor_of(caller),
                           "",
                           "",
                           r->idempotency_key(),
                           r->idempotency_key().empty() ? "" : request_hash};
          Tickets tickets(tx, outbox_, now);
          *out = open_report(tickets, rules, report, number ? &*number : nullptr);
          return Status::OK;
        });
      } catch (const pqxx::unique_violation&) {
        if (attempt > 0 || r->idempotency_key().empty()) throw;
      }
    }
  });
}

Status IntakeServiceImpl::GetTicket(grpc::ServerContext* context, const v1::GetTicketRequest* r,
                                    v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  return guarded("GetTicket", [&] {
    auto t =
        db_.in_transaction([&](pqxx::work& tx) { return store::find_ticket(tx, r->ticket_id()); });
    if (!t || !sees_ticket(call.caller, *t)) return not_found("ticket " + r->ticket_id());
    *out = *t;
    return Status::OK;
  });
}

Status IntakeServiceImpl::ListTickets(grpc::ServerContext* context, const v1::ListTicketsRequest* r,
                                      v1::ListTicketsResponse* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  store::TicketFilter f;
  f.project_id = r->project_id();
  f.unit_id = r->unit_id();
  if (!f.project_id.empty())
    if (auto e = domain::check_id(f.project_id, "project_id"); !e.empty()) return bad(e);
  if (!f.unit_id.empty())
    if (auto e = domain::check_id(f.unit_id, "unit_id"); !e.empty()) return bad(e);
  if (r->status() != v1::TICKET_STATUS_UNSPECIFIED)
    if (auto e = domain::check_enum(r->status(), "status"); !e.empty()) return bad(e);
  if (r->kind() != v1::TICKET_KIND_UNSPECIFIED)
    if (auto e = domain::check_enum(r->kind(), "kind"); !e.empty()) return bad(e);
  if (r->category() != v1::TICKET_CATEGORY_UNSPECIFIED)
    if (auto e = domain::check_enum(r->category(), "category"); !e.empty()) return bad(e);
  f.status = r->status();
  f.kind = r->kind();
  f.category = r->category();
  f.owner_agent = r->owner_agent();
  f.min_escalation_level = r->min_escalation_level();
  if (r->has_reported_from())
    f.reported_from_us = kit::to_micros(from_timestamp(r->reported_from()));
  if (r->has_reported_to()) f.reported_to_us = kit::to_micros(from_timestamp(r->reported_to()));
  if (caller.is("owner")) {
    // Owners list only their own units' tickets; naming another's unit is asking about an object
    // outside their scope (404, as GetTicket answers).
    if (!f.unit_id.empty() && !caller.owns_unit(f.unit_id)) return not_found("unit " + f.unit_id);
    f.unit_ids = caller.units;
    if (f.unit_ids.empty()) return Status::OK;
  } else if (!kStaff.contains(caller.role)) {
    return denied("tickets are listed by owners and staff");
  } else if (f.project_id.empty()) {
    bool everywhere = caller.is("service") || caller.sees_project("*");
    if (!everywhere) return kit::invalid_field("project_id", "is required");
  } else if (!staff_sees(caller, f.project_id)) {
    return not_found("project " + f.project_id);
  }
  std::optional<store::PageCursor> after;
  if (!r->page_token().empty()) {
    auto colon = r->page_token().find(':');
    try {
      if (colon == std::string::npos) throw std::invalid_argument("no colon");
      after = store::PageCursor{std::stoll(r->page_token().substr(0, colon)),
                                r->page_token().substr(colon + 1)};
    } catch (const std::exception&) {
      return kit::invalid_field("page_token", "is not a token from a previous page");
    }
    if (auto e = domain::check_uuid(after->ticket_id, "page_token"); !e.empty()) return bad(e);
  }
  int limit = page_size(r->page_size());
  return guarded("ListTickets", [&] {
    auto rows = db_.in_transaction([&](pqxx::work& tx) {
      auto tickets = store::list_tickets(tx, f, after, limit + 1);
      if (static_cast<int>(tickets.size()) > limit) {
        tickets.pop_back();
        out->set_next_page_token(
            std::to_string(store::created_micros(tx, tickets.back().ticket_id())) + ":" +
            tickets.back().ticket_id());
      }
      return tickets;
    });
    for (auto& t : rows) *out->add_tickets() = std::move(t);
    return Status::OK;
  });
}

Status IntakeServiceImpl::GetTicketHistory(grpc::ServerContext* context,
                                           const v1::GetTicketHistoryRequest* r,
                                           v1::GetTicketHistoryResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  return guarded("GetTicketHistory", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      auto t = store::find_ticket(tx, r->ticket_id());
      if (!t || !sees_ticket(call.caller, *t)) return not_found("ticket " + r->ticket_id());
      for (auto& e : store::history(tx, r->ticket_id())) *out->add_entries() = std::move(e);
      return Status::OK;
    });
  });
}

namespace {

// Loads a ticket for change under its row lock, checks the caller, runs `change`, stores the
// ticket and returns it fresh.
template <typename F>
Status change_ticket(kit::PgPool& db, const kit::Outbox& outbox, absl::Time now,
                     const kit::Caller& caller, const std::string& ticket_id,
                     const std::set<std::string>& roles, v1::Ticket* out, F&& change) {
  if (auto e = domain::check_uuid(ticket_id, "ticket_id"); !e.empty())
    return not_found("ticket " + ticket_id);
  return guarded("change_ticket", [&] {
    return db.in_transaction([&](pqxx::work& tx) -> Status {
      auto t = store::find_ticket(tx, ticket_id, /*for_update=*/true);
      if (!t || !sees_ticket(caller, *t)) return not_found("ticket " + ticket_id);
      if (!has_role(caller, roles)) return denied("role " + caller.role + " cannot do this");
      Tickets tickets(tx, outbox, now);
      // A refused change may have written already: throwing rolls it back (committing after
      // tx.abort() would throw and turn the refusal into INTERNAL).
      if (Status s = change(tickets, *t); !s.ok()) throw Refusal{s};
      store::update_ticket(tx, *t);
      *out = *store::find_ticket(tx, ticket_id);
      return Status::OK;
    });
  });
}

Status require_reason(const std::string& reason, const char* field) {
  if (auto e = domain::check_text(reason, field, 1000); !e.empty()) return bad(e);
  return Status::OK;
}

}  // namespace

Status IntakeServiceImpl::RecordResponse(grpc::ServerContext* context,
                                         const v1::RecordResponseRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->message(), "message"); !s.ok()) return s;
  absl::Time now = clock_();
  absl::Time at = r->has_responded_at() ? from_timestamp(r->responded_at()) : now;
  if (at > now + absl::Minutes(2)) return kit::invalid_field("responded_at", "is in the future");
  return change_ticket(db_, outbox_, now, call.caller, r->ticket_id(), kTicketEditors, out,
                       [&](Tickets& tickets, v1::Ticket& t) {
                         if (domain::is_final(t.status()))
                           return Status(StatusCode::FAILED_PRECONDITION,
                                         "ticket is " + domain::public_name(t.status()));
                         bool first = !is_set(t.responded_at());
                         if (first) *t.mutable_responded_at() = to_timestamp(at);
                         // First-contact ownership: the first agent who deals with a self-service
                         // report owns it.
                         if (t.owner_agent().empty() && call.caller.is("agent"))
                           t.set_owner_agent(call.caller.sub);
                         tickets.history(t, actor_of(call.caller), "responded", r->message());
                         if (first) {
                           v1::Event e = event(t);
                           auto* p = e.mutable_ticket_responded();
                           p->set_ticket_id(t.ticket_id());
                           *p->mutable_responded_at() = t.responded_at();
                           p->set_on_time(at <= from_timestamp(t.response_due()));
                           p->set_actor(actor_of(call.caller));
                           tickets.outbox().add(tickets.tx(), e);
                         }
                         return Status::OK;
                       });
}

Status IntakeServiceImpl::TransitionTicket(grpc::ServerContext* context,
                                           const v1::TransitionTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_enum(r->to_status(), "to_status"); !e.empty()) return bad(e);
  if (r->reason().size() > 4000) return kit::invalid_field("reason", "too long");
  switch (r->to_status()) {
    // These have their own RPCs because they carry more than a status change.
    case v1::TICKET_STATUS_RESOLVED:
    case v1::TICKET_STATUS_CLOSED:
    case v1::TICKET_STATUS_REOPENED:
    case v1::TICKET_STATUS_CANCELLED:
      return kit::invalid_field("to_status",
                                "use ResolveTicket, CloseTicket, ReopenTicket or CancelTicket");
    default:
      break;
  }
  return change_ticket(db_, outbox_, clock_(), call.caller, r->ticket_id(), kTicketEditors, out,
                       [&](Tickets& tickets, v1::Ticket& t) {
                         if (r->expected_version() != 0 && r->expected_version() != t.version())
                           return Status(
                               StatusCode::ABORTED,
                               "ticket changed (version " + std::to_string(t.version()) + ")");
                         return tickets.move(t, r->to_status(), actor_of(call.caller), r->reason());
                       });
}

Status IntakeServiceImpl::ResolveTicket(grpc::ServerContext* context,
                                        const v1::ResolveTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->resolution(), "resolution"); !s.ok()) return s;
  return change_ticket(db_, outbox_, clock_(), call.caller, r->ticket_id(), kTicketEditors, out,
                       [&](Tickets& tickets, v1::Ticket& t) {
                         if (Status s = tickets.move(t, v1::TICKET_STATUS_RESOLVED,
                                                     actor_of(call.caller), r->resolution());
                             !s.ok())
                           return s;
                         tickets.resolved(t, r->resolution(), "");
                         return Status::OK;
                       });
}

Status IntakeServiceImpl::CloseTicket(grpc::ServerContext* context, const v1::CloseTicketRequest* r,
                                      v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (r->note().size() > 4000) return kit::invalid_field("note", "too long");
  return change_ticket(
      db_, outbox_, clock_(), call.caller, r->ticket_id(), kTicketEditors, out,
      [&](Tickets& tickets, v1::Ticket& t) {
        if (Status s = tickets.move(t, v1::TICKET_STATUS_CLOSED, actor_of(call.caller), r->note());
            !s.ok())
          return s;
        tickets.closed(t, r->note(), "");
        return Status::OK;
      });
}

Status IntakeServiceImpl::CancelTicket(grpc::ServerContext* context,
                                       const v1::CancelTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  std::set<std::string> roles = kTicketEditors;
  roles.insert("owner");  // owners may withdraw their own reports
  return change_ticket(
      db_, outbox_, clock_(), call.caller, r->ticket_id(), roles, out,
      [&](Tickets& tickets, v1::Ticket& t) {
        if (Status s =
                tickets.move(t, v1::TICKET_STATUS_CANCELLED, actor_of(call.caller), r->reason());
            !s.ok())
          return s;
        v1::Event e = event(t);
        e.mutable_ticket_cancelled()->set_ticket_id(t.ticket_id());
        e.mutable_ticket_cancelled()->set_reason(kit::mask_digit_runs(r->reason()));
        tickets.outbox().add(tickets.tx(), e);
        return Status::OK;
      });
}

Status IntakeServiceImpl::ReopenTicket(grpc::ServerContext* context,
                                       const v1::ReopenTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  absl::Time now = clock_();
  return change_ticket(db_, outbox_, now, call.caller, r->ticket_id(), kTicketEditors, out,
                       [&](Tickets& tickets, v1::Ticket& t) {
                         auto project = store::find_project(tickets.tx(), t.project_id());
                         return tickets.reopen(t, load_rules(tickets.tx(), *project, now),
                                               actor_of(call.caller), r->reason(), "");
                       });
}

Status IntakeServiceImpl::ExtendDeadline(grpc::ServerContext* context,
                                         const v1::ExtendDeadlineRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  if (!r->has_new_resolve_due()) return kit::invalid_field("new_resolve_due", "is required");
  if (!r->has_notice_sent_at())
    return kit::invalid_field("notice_sent_at", "the owner must be told in advance");
  if (r->notice_channel() != v1::CHANNEL_UNSPECIFIED)
    if (auto e = domain::check_enum(r->notice_channel(), "notice_channel"); !e.empty())
      return bad(e);
  absl::Time now = clock_();
  return change_ticket(
      db_, outbox_, now, call.caller, r->ticket_id(), kTicketEditors, out,
      [&](Tickets& tickets, v1::Ticket& t) {
        if (!domain::is_active(t.status()))
          return Status(StatusCode::FAILED_PRECONDITION,
                        "ticket is " + domain::public_name(t.status()));
        absl::Time current = from_timestamp(t.resolve_due());
        absl::Time wanted = from_timestamp(r->new_resolve_due());
        if (auto e = domain::check_deadline_extension(current, wanted,
                                                      from_timestamp(r->notice_sent_at()), now,
                                                      domain::IntakePolicy::defaults());
            !e.empty())
          return bad(e);
        *t.mutable_resolve_due() = r->new_resolve_due();
        t.set_extension_count(t.extension_count() + 1);
        tickets.history(t, actor_of(call.caller), "deadline_extended",
                        absl::FormatTime(current) + " -> " + absl::FormatTime(wanted) + ": " +
                            r->reason() + " (owner notified " +
                            absl::FormatTime(from_timestamp(r->notice_sent_at())) + ")");
        v1::Event e = event(t);
        auto* p = e.mutable_deadline_extended();
        p->set_ticket_id(t.ticket_id());
        *p->mutable_previous_resolve_due() = to_timestamp(current);
        *p->mutable_new_resolve_due() = r->new_resolve_due();
        p->set_reason(kit::mask_digit_runs(r->reason()));
        *p->mutable_notice_sent_at() = r->notice_sent_at();
        p->set_notice_channel(r->notice_channel());
        tickets.outbox().add(tickets.tx(), e);
        return Status::OK;
      });
}

Status IntakeServiceImpl::LinkDuplicate(grpc::ServerContext* context,
                                        const v1::LinkDuplicateRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->duplicate_of(), "duplicate_of"); !e.empty()) return bad(e);
  if (r->duplicate_of() == r->ticket_id())
    return kit::invalid_field("duplicate_of", "is the ticket itself");
  return change_ticket(
      db_, outbox_, clock_(), call.caller, r->ticket_id(), kTicketEditors, out,
      [&](Tickets& tickets, v1::Ticket& t) {
        auto primary = store::find_ticket(tickets.tx(), r->duplicate_of(), true);
        if (!primary || !sees_ticket(call.caller, *primary))
          return not_found("ticket " + r->duplicate_of());
        if (primary->unit_id() != t.unit_id() || primary->category() != t.category() ||
            primary->component() != t.component())
          return Status(StatusCode::FAILED_PRECONDITION,
                        "duplicate_of: not the same unit, category and component");
        if (!domain::is_active(primary->status()))
          return Status(StatusCode::FAILED_PRECONDITION,
                        "duplicate_of: that ticket is " + domain::public_name(primary->status()));
        if (Status s = tickets.move(t, v1::TICKET_STATUS_CANCELLED, actor_of(call.caller),
                                    "duplicate of " + primary->ticket_no());
            !s.ok())
          return s;
        t.set_duplicate_of(primary->ticket_id());
        tickets.history(*primary, actor_of(call.caller), "duplicate_linked",
                        "report " + t.ticket_no() + " linked");
        v1::Event e = event(t);
        e.mutable_tickets_linked()->set_ticket_id(t.ticket_id());
        e.mutable_tickets_linked()->set_duplicate_of(primary->ticket_id());
        e.mutable_tickets_linked()->set_recurrence(primary->recurrence());
        tickets.outbox().add(tickets.tx(), e);
        return Status::OK;
      });
}

Status IntakeServiceImpl::EscalateTicket(grpc::ServerContext* context,
                                         const v1::EscalateTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (r->level() < 1 || r->level() > 2) return kit::invalid_field("level", "must be 1 or 2");
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  if (r->fault_party() != v1::FAULT_PARTY_UNSPECIFIED) {
    if (auto e = domain::check_enum(r->fault_party(), "fault_party"); !e.empty()) return bad(e);
    if (auto e = domain::check_id(r->fault_party_id(), "fault_party_id"); !e.empty()) return bad(e);
  }
  if (r->fine_fen() > 0 && r->fault_party() == v1::FAULT_PARTY_UNSPECIFIED)
    return kit::invalid_field("fault_party", "a fine needs the party at fault");
  absl::Time now = clock_();
  return change_ticket(
      db_, outbox_, now, call.caller, r->ticket_id(), {"supervisor", "admin"}, out,
      [&](Tickets& tickets, v1::Ticket& t) {
        auto project = store::find_project(tickets.tx(), t.project_id());
        ProjectRules rules = load_rules(tickets.tx(), *project, now);
        if (auto e = domain::check_fine(r->fine_fen(), r->level(), rules.policy); !e.empty())
          return bad(e);
        if (r->level() < t.escalation_level())
          return Status(StatusCode::FAILED_PRECONDITION, "level: ticket is already at level " +
                                                             std::to_string(t.escalation_level()));
        int previous = t.escalation_level();
        t.set_escalation_level(r->level());
        store::record_escalation(tickets.tx(), t.ticket_id(), r->level(), previous, r->fine_fen(),
                                 r->fault_party_id(), kit::to_micros(now));
        if (r->fine_fen() > 0) {
          t.set_fault_party(r->fault_party());
          t.set_fault_party_id(r->fault_party_id());
          t.set_fine_fen(t.fine_fen() + r->fine_fen());
        }
        tickets.history(t, actor_of(call.caller), "escalated",
                        "level " + std::to_string(previous) + " -> " + std::to_string(r->level()) +
                            ": " + r->reason() +
                            (r->fine_fen() > 0 ? " (fine " + std::to_string(r->fine_fen()) +
                                                     " fen against " + r->fault_party_id() + ")"
                                               : ""));
        v1::Event e = event(t);
        auto* p = e.mutable_ticket_escalated();
        p->set_ticket_id(t.ticket_id());
        p->set_level(r->level());
        p->set_previous_level(previous);
        p->set_fault_party(r->fault_party());
        p->set_fault_party_id(r->fault_party_id());
        p->set_fine_fen(r->fine_fen());
        p->set_reason(kit::mask_digit_runs(r->reason()));
        p->set_recurrence(t.recurrence());
        tickets.outbox().add(tickets.tx(), e);
        return Status::OK;
      });
}

Status IntakeServiceImpl::ListBreachedTickets(grpc::ServerContext* context,
                                              const v1::ListBreachedTicketsRequest* r,
                                              v1::ListBreachedTicketsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  absl::Time as_of = r->has_as_of() ? from_timestamp(r->as_of()) : clock_();
  int limit = page_size(r->page_size());
  return guarded("ListBreachedTickets", [&] {
    auto rows = db_.in_transaction([&](pqxx::work& tx) {
      return store::breached(tx, r->project_id(), kit::to_micros(as_of), kMaxPageSize * 5);
    });
    for (auto& b : rows) {
      if (r->deadline() != v1::SLA_DEADLINE_UNSPECIFIED && b.deadline != r->deadline()) continue;
      if (out->breaches_size() >= limit) break;
      auto* item = out->add_breaches();
      *item->mutable_ticket() = std::move(b.ticket);
      item->set_deadline(static_cast<v1::SlaDeadline>(b.deadline));
      *item->mutable_due_at() = to_timestamp(kit::from_micros(b.due_us));
      item->set_overdue_seconds(absl::ToInt64Seconds(as_of - kit::from_micros(b.due_us)));
    }
    return Status::OK;
  });
}

Status IntakeServiceImpl::MonthlyStats(grpc::ServerContext* context,
                                       const v1::MonthlyStatsRequest* r,
                                       v1::MonthlyStatsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  std::string error;
  auto days = domain::period_days(r->period(), &error);
  if (!days) return bad(error);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  absl::Time now = clock_();
  return guarded("MonthlyStats", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      auto project = store::find_project(tx, r->project_id());
      if (!project) return not_found("project " + r->project_id());
      ProjectRules rules = load_rules(tx, *project, now);
      int64_t from = kit::to_micros(absl::FromCivil(days->first, rules.zone));
      int64_t to = kit::to_micros(absl::FromCivil(days->second, rules.zone));
      store::TicketStats s =
          store::ticket_stats(tx, r->project_id(), from, to, kit::to_micros(now));
      out->set_project_id(r->project_id());
      *out->mutable_period() = r->period();
      out->set_tickets_total(s.total);
      for (auto [k, n] : s.by_kind) {
        auto* t = out->add_by_kind();
        t->set_key(domain::public_name(static_cast<v1::TicketKind>(k)));
        t->set_count(n);
      }
      for (auto [k, n] : s.by_category) {
        auto* t = out->add_by_category();
        t->set_key(domain::public_name(static_cast<v1::TicketCategory>(k)));
        t->set_count(n);
      }
      for (auto [k, n] : s.repairs_by_area) {
        auto* t = out->add_repairs_by_area();
        t->set_key(domain::public_name(static_cast<v1::RepairArea>(k)));
        t->set_count(n);
      }
      *out->mutable_response_on_time() = domain::ratio(s.responded_on_time, s.response_due);
      *out->mutable_resolve_on_time() = domain::ratio(s.resolved_on_time, s.resolve_measured);
      out->set_reopened(s.reopened);
      out->set_escalated_level1(s.escalated_level1);
      out->set_escalated_level2(s.escalated_level2);
      *out->mutable_complaint_rate() = domain::ratio(s.complaints, s.total);
      out->set_fines_fen(s.fines_fen);
      out->set_duplicates_linked(s.duplicates);
      return Status::OK;
    });
  });
}

// ------------------------------------------------------------------------------- attachments

Status IntakeServiceImpl::AddAttachment(grpc::ServerContext* context,
                                        const v1::AddAttachmentRequest* r, v1::Attachment* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  const domain::AttachmentRules limits = domain::AttachmentRules::defaults();
  if (auto e = domain::check_attachment(r->kind(), r->filename(), r->content_type(), r->content(),
                                        r->note(), limits);
      !e.empty())
    return bad(e);
  if (!caller.is("owner") && !has_role(caller, kAttachmentStaff))
    return denied("only owners and agents, supervisors, admins or dispatchers add attachments");
  absl::Time now = clock_();
  v1::Attachment a;
  a.set_attachment_id(kit::new_uuid());
  a.set_ticket_id(r->ticket_id());
  a.set_kind(r->kind());
  a.set_filename(r->filename());
  a.set_content_type(domain::normalize_content_type(r->content_type()));
  a.set_size_bytes(static_cast<int64_t>(r->content().size()));
  a.set_sha256(domain::sha256_hex(r->content()));
  a.set_note(r->note());
  a.set_uploaded_by(actor_of(caller));
  *a.mutable_created_at() = to_timestamp(now);
  a.set_content(r->content());
  return guarded("AddAttachment", [&] {
    return db_.in_transaction([&](pqxx::work& tx) -> Status {
      // The ticket's row lock serialises adds to one ticket (history numbering, the limit).
      auto t = store::find_ticket(tx, r->ticket_id(), /*for_update=*/true);
      if (!t || !sees_ticket(caller, *t)) return not_found("ticket " + r->ticket_id());
      // The same content again is the attachment already there, whatever the ticket's state.
      for (auto& existing : store::list_attachments(tx, t->ticket_id()))
        if (existing.sha256() == a.sha256()) {
          *out = std::move(existing);
          return Status::OK;
        }
      if (auto e = domain::check_attachment_allowed(t->status(), r->kind(), caller.is("owner"));
          !e.empty())
        return {StatusCode::FAILED_PRECONDITION, e};
      if (store::count_attachments(tx, t->ticket_id()) >= limits.max_per_ticket)
        return {StatusCode::FAILED_PRECONDITION,
                "ticket already has " + std::to_string(limits.max_per_ticket) + " attachments"};
      if (store::add_attachment(tx, a, out)) {
        Tickets tickets(tx, outbox_, now);
        tickets.history(*t, actor_of(caller), "attachment_added",
                        domain::public_name(out->kind()) + " " + out->filename() + " (" +
                            out->content_type() + ", " + std::to_string(out->size_bytes()) +
                            " bytes, sha256 " + out->sha256().substr(0, 12) + ")");
        publish_attachment_added(tickets, *t, *out);
      }
      return Status::OK;
    });
  });
}

Status IntakeServiceImpl::ListAttachments(grpc::ServerContext* context,
                                          const v1::ListAttachmentsRequest* r,
                                          v1::ListAttachmentsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  return guarded("ListAttachments", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      auto t = store::find_ticket(tx, r->ticket_id());
      if (!t || !sees_ticket(call.caller, *t)) return not_found("ticket " + r->ticket_id());
      for (auto& a : store::list_attachments(tx, r->ticket_id()))
        *out->add_attachments() = std::move(a);
      return Status::OK;
    });
  });
}

Status IntakeServiceImpl::GetAttachment(grpc::ServerContext* context,
                                        const v1::GetAttachmentRequest* r, v1::Attachment* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->attachment_id(), "attachment_id"); !e.empty())
    return not_found("attachment " + r->attachment_id());
  return guarded("GetAttachment", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      // Scope first, content after: nothing is read for a caller who may not see it.
      auto meta = store::find_attachment(tx, r->attachment_id(), /*with_content=*/false);
      if (!meta) return not_found("attachment " + r->attachment_id());
      auto t = store::find_ticket(tx, meta->ticket_id());
      if (!t || !sees_ticket(call.caller, *t)) return not_found("attachment " + r->attachment_id());
      *out = *store::find_attachment(tx, r->attachment_id(), /*with_content=*/true);
      return Status::OK;
    });
  });
}

// --------------------------------------------------------------------------- merge and split

Status IntakeServiceImpl::MergeTickets(grpc::ServerContext* context,
                                       const v1::MergeTicketsRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (auto e = domain::check_uuid(r->source_ticket_id(), "source_ticket_id"); !e.empty())
    return bad(e);
  if (r->source_ticket_id() == r->ticket_id())
    return kit::invalid_field("source_ticket_id", "is the ticket itself");
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  if (!has_role(caller, kMergers)) return denied("only agents and supervisors merge tickets");
  const std::string actor = actor_of(caller);
  return change_ticket(
      db_, outbox_, clock_(), caller, r->ticket_id(), kMergers, out,
      [&](Tickets& tickets, v1::Ticket& survivor) {
        auto source = store::find_ticket(tickets.tx(), r->source_ticket_id(), /*for_update=*/true);
        if (!source || !sees_ticket(caller, *source))
          return not_found("ticket " + r->source_ticket_id());
        if (auto e = domain::check_merge(survivor, *source); !e.empty())
          return Status(StatusCode::FAILED_PRECONDITION, e);
        const std::string why = "merged into " + survivor.ticket_no() + ": " + r->reason();
        // The source ends cancelled like any withdrawn ticket: TicketStatusChanged and
        // TicketCancelled, on which dispatch cancels the source's work orders.
        if (Status s = tickets.move(*source, v1::TICKET_STATUS_CANCELLED, actor, why); !s.ok())
          return s;
        source->set_merged_into_ticket_id(survivor.ticket_id());
        tickets.history(*source, actor, "merged_into", survivor.ticket_no() + ": " + r->reason());
        tickets.history(survivor, actor, "merged",
                        source->ticket_no() + " merged into this ticket: " + r->reason());
        // The source's report was the survivor's request again: take it back from its issue's
        // recurrence so the next report is not counted (and escalated) one too high.
        if (domain::merge_uncounts_source(*source)) {
          int reports = store::lock_issue(tickets.tx(), source->unit_id(), source->category(),
                                          source->component());
          store::set_issue_reports(tickets.tx(), source->unit_id(), source->category(),
                                   source->component(), domain::reports_after_merge(reports));
        }
        v1::Event e = event(*source);
        e.mutable_ticket_cancelled()->set_ticket_id(source->ticket_id());
        e.mutable_ticket_cancelled()->set_reason(kit::mask_digit_runs(why));
        tickets.outbox().add(tickets.tx(), e);
        store::update_ticket(tickets.tx(), *source);
        return Status::OK;
      });
}

Status IntakeServiceImpl::SplitTicket(grpc::ServerContext* context, const v1::SplitTicketRequest* r,
                                      v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  if (auto e = domain::check_enum(r->category(), "category"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->component(), "component"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->kind(), "kind"); !e.empty()) return bad(e);
  if (auto e = domain::check_description(r->description()); !e.empty()) return bad(e);
  if (r->urgency() != v1::URGENCY_UNSPECIFIED)
    if (auto e = domain::check_enum(r->urgency(), "urgency"); !e.empty()) return bad(e);
  if (r->repair_area() != v1::REPAIR_AREA_UNSPECIFIED)
    if (auto e = domain::check_enum(r->repair_area(), "repair_area"); !e.empty()) return bad(e);
  if (r->idempotency_key().size() > 128)
    return kit::invalid_field("idempotency_key", "at most 128 characters");
  if (!has_role(caller, kMergers)) return denied("only agents and supervisors split tickets");
  absl::Time now = clock_();
  v1::SplitTicketRequest fingerprint = *r;
  fingerprint.clear_idempotency_key();
  // Prefixed so a key reused between OpenTicket and SplitTicket is a conflict, not a match.
  std::string request_hash = fnv1a_hex("split:" + fingerprint.SerializeAsString());
  const std::string actor = actor_of(caller);

  return guarded("SplitTicket", [&] {
    // A concurrent twin with the same idempotency key loses the unique index: retry once and
    // find the twin's ticket.
    for (int attempt = 0;; ++attempt) {
      try {
        return db_.in_transaction([&](pqxx::work& tx) -> Status {
          if (!r->idempotency_key().empty()) {
            std::string stored_hash;
            if (auto first =
                    store::find_by_idempotency_key(tx, actor, r->idempotency_key(), &stored_hash)) {
              if (stored_hash != request_hash)
                return {StatusCode::ALREADY_EXISTS,
                        "idempotency_key was used for a different request"};
              *out = *first;
              return Status::OK;
            }
          }
          auto original = store::find_ticket(tx, r->ticket_id(), /*for_update=*/true);
          if (!original || !sees_ticket(caller, *original))
            return not_found("ticket " + r->ticket_id());
          if (auto e = domain::check_split_issue(*original, r->category(), r->component());
              !e.empty())
            return bad(e);
          if (auto e = domain::check_splittable(*original); !e.empty())
            return {StatusCode::FAILED_PRECONDITION, e};
          auto project = store::find_project(tx, original->project_id());
          auto unit = store::find_unit(tx, original->unit_id());
          if (!project || !unit) return not_found("ticket " + r->ticket_id());
          // The owner asked for both at once: the second problem's deadlines and warranty count
          // from the original report, in the project's rules.
          absl::Time reported_at = from_timestamp(original->reported_at());
          ProjectRules rules = load_rules(tx, *project, reported_at);
          NewReport report{
              *unit, r->kind(), r->category(), r->component(),
              r->urgency() != v1::URGENCY_UNSPECIFIED ? r->urgency() : original->urgency(),
              original->channel(), default_repair_area(r->repair_area(), r->category()),
              r->description(), reported_at,
              // First-contact ownership stays with whoever took the original request.
              !original->owner_agent().empty() ? original->owner_agent()
              : caller.is("agent")             ? caller.sub
                                               : "",
              actor, original->ticket_id(), ", split from " + original->ticket_no(),
              r->idempotency_key(), r->idempotency_key().empty() ? "" : request_hash};
          Tickets tickets(tx, outbox_, now);
          *out = open_report(tickets, rules, report);
          tickets.history(*out, actor, "split_from", "second problem of " + original->ticket_no());
          tickets.history(*original, actor, "split",
                          domain::public_name(r->category()) + "/" +
                              domain::public_name(r->component()) + " moved to " +
                              out->ticket_no());
          return Status::OK;
        });
      } catch (const pqxx::unique_violation&) {
        if (attempt > 0 || r->idempotency_key().empty()) throw;
      }
    }
  });
}

// ------------------------------------------------------------------ warranty-expiry outreach

Status IntakeServiceImpl::ListWarrantyExpiries(grpc::ServerContext* context,
                                               const v1::ListWarrantyExpiriesRequest* r,
                                               v1::ListWarrantyExpiriesResponse* out) {
  auto call = kit::begin_call(*context);
  const domain::ExpiryRules expiry_rules = domain::ExpiryRules::defaults();
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_within_days(r->within_days(), expiry_rules); !e.empty()) return bad(e);
  std::optional<domain::ExpiryCursor> after;
  if (!r->page_token().empty()) {
    after = domain::parse_cursor(r->page_token());
    if (!after) return kit::invalid_field("page_token", "is not a token from a previous page");
  }
  if (!kStaff.contains(call.caller.role))
    return denied("warranty expiries are listed by staff and services");
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  absl::Time as_of = r->has_as_of() ? from_timestamp(r->as_of()) : clock_();
  int within_days = domain::effective_within_days(r->within_days(), expiry_rules);
  int limit = page_size(r->page_size());
  return guarded("ListWarrantyExpiries", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      auto project = store::find_project(tx, r->project_id());
      if (!project) return not_found("project " + r->project_id());
      ProjectRules rules = load_rules(tx, *project, as_of);
      absl::CivilDay today = domain::local_day(as_of, rules.zone);
      std::set<int> periods;
      for (const auto& [component, years] : rules.policy.warranty_years) periods.insert(years);
      std::vector<std::pair<absl::CivilDay, absl::CivilDay>> windows;
      for (int years : periods)
        windows.push_back(domain::handover_window(today, within_days, years));
      auto units = store::units_handed_over(tx, r->project_id(), windows);
      auto expiries = domain::warranty_expiries(units, rules.policy, today, within_days, after);
      for (const auto& e : expiries) {
        if (out->expiries_size() == limit) {
          const auto& last = expiries[limit - 1];
          out->set_next_page_token(
              domain::format_cursor({last.ends, last.unit_id, static_cast<int>(last.component)}));
          break;
        }
        auto* item = out->add_expiries();
        item->set_unit_id(e.unit_id);
        item->set_building(e.building);
        item->set_room(e.room);
        item->set_component(e.component);
        *item->mutable_warranty_ends() = domain::to_date(e.ends);
        item->set_days_left(e.days_left);
        item->set_owner_id(e.owner_id);
      }
      return Status::OK;
    });
  });
}

// ---------------------------------------------------------------------- events and sweeper

void IntakeServiceImpl::apply_event(pqxx::work& tx, const v1::Event& e) {
  std::string ticket_id;
  switch (e.payload_case()) {
    case v1::Event::kWorkOrderCreated:
      ticket_id = e.work_order_created().ticket_id();
      break;
    case v1::Event::kWorkOrderStarted:
      ticket_id = e.work_order_started().ticket_id();
      break;
    case v1::Event::kWorkOrderAccepted:
      ticket_id = e.work_order_accepted().ticket_id();
      break;
    case v1::Event::kWorkOrderScheduled:
      ticket_id = e.work_order_scheduled().ticket_id();
      break;
    case v1::Event::kWorkOrderSignedOff:
      ticket_id = e.work_order_signed_off().ticket_id();
      break;
    case v1::Event::kWorkOrderRerouted:
      ticket_id = e.work_order_rerouted().ticket_id();
      break;
    case v1::Event::kWorkOrderReassigned:
      ticket_id = e.work_order_reassigned().ticket_id();
      break;
    case v1::Event::kCallbackRecorded:
      ticket_id = e.callback_recorded().ticket_id();
      break;
    default:
      return;  // not ours to act on
  }
  if (!domain::check_uuid(ticket_id, "ticket_id").empty()) return;
  auto found = store::find_ticket(tx, ticket_id, /*for_update=*/true);
  if (!found) {
    spdlog::warn("{} for unknown ticket {}", e.type(), ticket_id);
    return;
  }
  v1::Ticket t = *found;
  absl::Time now = clock_();
  Tickets tickets(tx, outbox_, now);
  const std::string actor =
      "service:" + (e.producer().empty() ? std::string("event") : e.producer());
  // An event that no longer fits the ticket's state (e.g. a late start after resolution) is
  // recorded in the history and otherwise ignored: the ticket's own state machine wins.
  auto advance = [&](v1::TicketStatus to, const std::string& why) {
    if (t.status() == to) return false;
    Status s = tickets.move(t, to, actor, why);
    if (!s.ok()) tickets.history(t, actor, "event_ignored", e.type() + ": " + s.error_message());
    return s.ok();
  };
  switch (e.payload_case()) {
    case v1::Event::kWorkOrderCreated: {
      const auto& w = e.work_order_created();
      store::set_assignee(tx, t.ticket_id(), w.party_id());
      tickets.history(
          t, actor, "work_order_created",
          w.work_order_id() + " -> " + domain::public_name(w.assignee_kind()) + " " + w.party_id());
      if (t.status() == v1::TICKET_STATUS_OPEN || t.status() == v1::TICKET_STATUS_REOPENED)
        advance(v1::TICKET_STATUS_DISPATCHED, "work order " + w.work_order_id());
      else if (t.status() == v1::TICKET_STATUS_RESOLVED && !w.rework_of().empty())
        store::set_rework_waiting(tx, t.ticket_id(), true);  // the reopening is on its way
      break;
    }
    case v1::Event::kWorkOrderRerouted: {
      const auto& w = e.work_order_rerouted();
      store::set_assignee(tx, t.ticket_id(), w.to_party_id());
      tickets.history(t, actor, "rerouted", w.from_party_id() + " -> " + w.to_party_id());
      break;
    }
    case v1::Event::kWorkOrderReassigned: {
      const auto& w = e.work_order_reassigned();
      store::set_assignee(tx, t.ticket_id(), w.to_party_id());
      tickets.history(t, actor, "reassigned", w.from_party_id() + " -> " + w.to_party_id());
      break;
    }
    case v1::Event::kWorkOrderAccepted:
    case v1::Event::kWorkOrderScheduled:
      // The repair side accepting or booking a visit is the owner's first contact (DOMAIN §1:
      // an engineer contacts the owner within 1 working day to book a visit).
      if (!is_set(t.responded_at()) && domain::is_active(t.status())) {
        *t.mutable_responded_at() = to_timestamp(now);
        tickets.history(
            t, actor, "responded",
            "repair side " + std::string(e.payload_case() == v1::Event::kWorkOrderAccepted
                                             ? "accepted"
                                             : "booked a visit"));
        v1::Event r = event(t);
        r.mutable_ticket_responded()->set_ticket_id(t.ticket_id());
        *r.mutable_ticket_responded()->mutable_responded_at() = t.responded_at();
        r.mutable_ticket_responded()->set_on_time(now <= from_timestamp(t.response_due()));
        r.mutable_ticket_responded()->set_actor(actor);
        outbox_.add(tx, r);
      }
      break;
    case v1::Event::kWorkOrderStarted:
      if (t.status() == v1::TICKET_STATUS_DISPATCHED || t.status() == v1::TICKET_STATUS_REOPENED)
        advance(v1::TICKET_STATUS_IN_PROGRESS, "work started");
      break;
    case v1::Event::kWorkOrderSignedOff: {
      const auto& w = e.work_order_signed_off();
      if (!w.work_order_id().empty() &&
          store::resolved_from_callback(tx, t.ticket_id()) == w.work_order_id()) {
        // Its callback came first and already resolved the ticket: nothing more to do.
        store::set_resolved_from_callback(tx, t.ticket_id(), "");
        tickets.history(t, actor, "signed_off",
                        "work order " + w.work_order_id() + " (already applied)");
        break;
      }
      if (advance(v1::TICKET_STATUS_RESOLVED, "work order " + w.work_order_id() + " signed off")) {
        if (w.has_signed_off_at()) *t.mutable_resolved_at() = w.signed_off_at();
        tickets.resolved(t, "work order " + w.work_order_id() + " signed off", w.work_order_id());
      }
      break;
    }
    case v1::Event::kCallbackRecorded: {
      const auto& c = e.callback_recorded();
      if (!c.reached()) break;
      // Callbacks are scheduled when a work order is signed off, so a reached callback for a
      // ticket still being worked on means the sign-off event is behind (another topic): resolve
      // the ticket from the callback now and skip that sign-off when it arrives.
      if (!c.work_order_id().empty() && (t.status() == v1::TICKET_STATUS_DISPATCHED ||
                                         t.status() == v1::TICKET_STATUS_IN_PROGRESS)) {
        if (advance(v1::TICKET_STATUS_RESOLVED,
                    "work order " + c.work_order_id() + " signed off (learnt from its callback)")) {
          tickets.resolved(t, "work order " + c.work_order_id() + " signed off", c.work_order_id());
          store::set_resolved_from_callback(tx, t.ticket_id(), c.work_order_id());
        }
      }
      if (c.satisfaction() == v1::SATISFACTION_UNSATISFIED) {
        auto project = store::find_project(tx, t.project_id());
        Status s = tickets.reopen(t, load_rules(tx, *project, now), actor,
                                  "unsatisfied callback " + c.callback_id(), c.callback_id());
        if (!s.ok())
          tickets.history(t, actor, "event_ignored", e.type() + ": " + s.error_message());

        if (s.ok() && store::rework_waiting(tx, t.ticket_id())) {
          store::set_rework_waiting(tx, t.ticket_id(), false);
          advance(v1::TICKET_STATUS_DISPATCHED,
                  "rework order created before the reopening arrived");
        }
      } else if (c.satisfaction() != v1::SATISFACTION_UNSPECIFIED) {
        if (advance(v1::TICKET_STATUS_CLOSED,
                    "callback " + c.callback_id() + " " + domain::public_name(c.satisfaction())))
          tickets.closed(t, "callback " + domain::public_name(c.satisfaction()), c.callback_id());
      }
      break;
    }
    default:
      break;
  }
  store::update_ticket(tx, t);
}

int IntakeServiceImpl::sweep_sla(absl::Time now) {
  return db_.in_transaction([&](pqxx::work& tx) {
    int announced = 0;
    for (auto& b : store::breached(tx, "", kit::to_micros(now), 500)) {
      if (!store::record_breach(tx, b.ticket.ticket_id(), b.deadline, b.due_us,
                                kit::to_micros(now)))
        continue;
      ++announced;
      Tickets tickets(tx, outbox_, now);
      auto deadline = static_cast<v1::SlaDeadline>(b.deadline);
      tickets.history(b.ticket, "service:intake", "sla_breached",
                      domain::public_name(deadline) + " deadline " +
                          absl::FormatTime(kit::from_micros(b.due_us)) + " passed");
      v1::Event e = event(b.ticket);
      auto* p = e.mutable_sla_breached();
      p->set_ticket_id(b.ticket.ticket_id());
      p->set_deadline(deadline);
      *p->mutable_due_at() = to_timestamp(kit::from_micros(b.due_us));
      *p->mutable_detected_at() = to_timestamp(now);
      p->set_kind(b.ticket.kind());
      p->set_urgency(b.ticket.urgency());
      p->set_escalation_level(b.ticket.escalation_level());
      p->set_owner_agent(b.ticket.owner_agent());
      outbox_.add(tx, e);
    }
    return announced;
  });
}

}  // namespace aftercare::intake
