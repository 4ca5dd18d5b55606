#include "intake/app/app.h"

#include "common/privacy.h"
#include "common/time.h"
#include "intake/app/registry_cache.h"
#include "intake/app/ticket.h"
#include "intake/domain/dates.h"
#include "intake/domain/deadlines.h"
#include "intake/domain/escalation.h"
#include "intake/domain/names.h"
#include "intake/domain/ticket_status.h"

namespace aftercare::intake::app {

using kit::from_timestamp;
using kit::to_timestamp;

namespace {

// The ticket an earlier request with the same idempotency key created (ALREADY_EXISTS for a
// different request), or nullopt.
std::optional<Status> replayed(pqxx::transaction_base& tx, const Context& ctx,
                               const v1::OpenTicketRequest& r, const std::string& request_hash,
                               v1::Ticket* out) {
  if (r.idempotency_key().empty()) return std::nullopt;
  std::string stored_hash;
  auto first =
      store::find_by_idempotency_key(tx, actor_of(ctx.caller), r.idempotency_key(), &stored_hash);
  if (!first) return std::nullopt;
  if (stored_hash != request_hash)
    return Status{StatusCode::ALREADY_EXISTS, "idempotency_key was used for a different request"};
  *out = *first;
  return Status::OK;
}

}  // namespace

Status open_ticket(const Context& ctx, RegistryCache& registry, const v1::OpenTicketRequest& r,
                   absl::Time reported_at, const std::string& request_hash, v1::Ticket* out) {
  // Issue 21: the project, unit, policy and calendars come from the process's copy of the
  // registry, checked against the registry's version by the statement that takes the number.
  auto check = [&](const ReferenceData& ref) -> Status {
    if (!ref.project) return not_found("project " + r.project_id());
    if (!ref.unit || ref.unit->project_id() != r.project_id())
      return not_found("unit " + r.unit_id());
    if (auto e = domain::check_reported_at(reported_at, ctx.now, ref.rules->policy); !e.empty())
      return bad(e);
    return Status::OK;
  };
  ReferenceData ref = registry.get(ctx.db, r.project_id(), r.unit_id(), reported_at);
  Status valid = check(ref);
  if (!valid.ok() && !ref.fresh) {  // refused on a copy: ask the registry itself
    ref = registry.get(ctx.db, r.project_id(), r.unit_id(), reported_at, RegistryCache::kReload);
    valid = check(ref);
  }
  if (!valid.ok()) {
    // A replay is answered as the first request was, whatever changed since.
    if (auto s = ctx.db.in_transaction(
            [&](pqxx::work& tx) { return replayed(tx, ctx, r, request_hash, out); }))
      return *s;
    return valid;
  }
  // The day's ticket number first, in a statement of its own (autocommitted). Taken inside the
  // ticket's transaction, the project's counter row stays locked until that commits, so every
  // report of a project waits for the one before it (tests/bench/run: ~95 ms of lock wait per
  // ticket at 16 clients). A number whose report then fails (bad input found later, a lost
  // idempotency race) is skipped: numbers are unique and increasing per project and day, not
  // gapless. Bad input changes nothing, not even the counter: the checks above come first.
  std::string day = domain::format_day(domain::local_day(reported_at, ref.rules->zone));
  store::NumberTaken taken = [&] {
    auto lease = ctx.db.acquire();
    pqxx::nontransaction q(*lease);
    return store::take_ticket_number(q, r.project_id(), day, actor_of(ctx.caller),
                                     r.idempotency_key());
  }();
  if (!taken.replay && taken.registry_version != ref.version) {
    // The registry changed since the copy was taken: the report follows the new rows.
    ref = registry.get(ctx.db, r.project_id(), r.unit_id(), reported_at, taken.registry_version);
    if (Status s = check(ref); !s.ok()) return s;
  }
  std::optional<TicketNumber> number;
  if (taken.sequence) number = TicketNumber{day, *taken.sequence};
  // A concurrent twin with the same idempotency key loses the unique index: retry once and
  // find the twin's ticket.
  for (int attempt = 0;; ++attempt) {
    try {
      return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
        if (taken.replay || attempt > 0)
          if (auto s = replayed(tx, ctx, r, request_hash, out)) return *s;
        NewReport report{*ref.unit,
                         r.kind(),
                         r.category(),
                         r.component(),
                         r.urgency(),
                         r.channel(),
                         default_repair_area(r.repair_area(), r.category()),
                         r.description(),
                         reported_at,
                         ctx.caller.is(kit::Role::agent) ? ctx.caller.sub : "",
                         actor_of(ctx.caller),
                         "",
                         "",
                         r.idempotency_key(),
                         r.idempotency_key().empty() ? "" : request_hash};
        Tickets tickets(tx, ctx.outbox, ctx.now);
        *out = open_report(tickets, *ref.rules, report, number ? &*number : nullptr);
        return Status::OK;
      });
    } catch (const pqxx::unique_violation&) {
      if (attempt > 0 || r.idempotency_key().empty()) throw;
    }
  }
}

Status get_ticket(const Context& ctx, const v1::GetTicketRequest& r, v1::Ticket* out) {
  auto t =
      ctx.db.in_transaction([&](pqxx::work& tx) { return store::find_ticket(tx, r.ticket_id()); });
  if (!t || !sees_ticket(ctx.caller, *t)) return not_found("ticket " + r.ticket_id());
  *out = *t;
  return Status::OK;
}

Status list_tickets(const Context& ctx, const store::TicketFilter& f,
                    const std::optional<store::PageCursor>& after, int limit,
                    v1::ListTicketsResponse* out) {
  auto rows = ctx.db.in_transaction([&](pqxx::work& tx) {
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
}

Status get_ticket_history(const Context& ctx, const v1::GetTicketHistoryRequest& r,
                          v1::GetTicketHistoryResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    auto t = store::find_ticket(tx, r.ticket_id());
    if (!t || !sees_ticket(ctx.caller, *t)) return not_found("ticket " + r.ticket_id());
    for (auto& e : store::history(tx, r.ticket_id())) *out->add_entries() = std::move(e);
    return Status::OK;
  });
}

Status record_response(const Context& ctx, const v1::RecordResponseRequest& r, absl::Time at,
                       v1::Ticket* out) {
  return change_ticket(ctx, r.ticket_id(), kTicketEditors, out,
                       [&](Tickets& tickets, v1::Ticket& t) {
                         if (domain::is_final(t.status()))
                           return Status(StatusCode::FAILED_PRECONDITION,
                                         "ticket is " + domain::public_name(t.status()));
                         bool first = !is_set(t.responded_at());
                         if (first) *t.mutable_responded_at() = to_timestamp(at);
                         // First-contact ownership: the first agent who deals with a self-service
                         // report owns it.
                         if (t.owner_agent().empty() && ctx.caller.is(kit::Role::agent))
                           t.set_owner_agent(ctx.caller.sub);
                         tickets.history(t, actor_of(ctx.caller), "responded", r.message());
                         if (first) tickets.responded(t, at, actor_of(ctx.caller));
                         return Status::OK;
                       });
}

Status transition_ticket(const Context& ctx, const v1::TransitionTicketRequest& r,
                         v1::Ticket* out) {
  return change_ticket(
      ctx, r.ticket_id(), kTicketEditors, out, [&](Tickets& tickets, v1::Ticket& t) {
        if (r.expected_version() != 0 && r.expected_version() != t.version())
          return Status(StatusCode::ABORTED,
                        "ticket changed (version " + std::to_string(t.version()) + ")");
        return tickets.move(t, r.to_status(), actor_of(ctx.caller), r.reason());
      });
}

Status resolve_ticket(const Context& ctx, const v1::ResolveTicketRequest& r, v1::Ticket* out) {
  return change_ticket(
      ctx, r.ticket_id(), kTicketEditors, out, [&](Tickets& tickets, v1::Ticket& t) {
        if (Status s =
                tickets.move(t, v1::TICKET_STATUS_RESOLVED, actor_of(ctx.caller), r.resolution());
            !s.ok())
          return s;
        tickets.resolved(t, r.resolution(), "");
        return Status::OK;
      });
}

Status close_ticket(const Context& ctx, const v1::CloseTicketRequest& r, v1::Ticket* out) {
  return change_ticket(
      ctx, r.ticket_id(), kTicketEditors, out, [&](Tickets& tickets, v1::Ticket& t) {
        if (Status s = tickets.move(t, v1::TICKET_STATUS_CLOSED, actor_of(ctx.caller), r.note());
            !s.ok())
          return s;
        tickets.closed(t, r.note(), "");
        return Status::OK;
      });
}

Status cancel_ticket(const Context& ctx, const v1::CancelTicketRequest& r, v1::Ticket* out) {
  return change_ticket(ctx, r.ticket_id(), kCancellers, out, [&](Tickets& tickets, v1::Ticket& t) {
    if (Status s = tickets.move(t, v1::TICKET_STATUS_CANCELLED, actor_of(ctx.caller), r.reason());
        !s.ok())
      return s;
    v1::Event e = event(t);
    e.mutable_ticket_cancelled()->set_ticket_id(t.ticket_id());
    e.mutable_ticket_cancelled()->set_reason(kit::mask_digit_runs(r.reason()));
    tickets.outbox().add(tickets.tx(), e);
    return Status::OK;
  });
}

Status reopen_ticket(const Context& ctx, const v1::ReopenTicketRequest& r, v1::Ticket* out) {
  return change_ticket(ctx, r.ticket_id(), kTicketEditors, out,
                       [&](Tickets& tickets, v1::Ticket& t) {
                         auto project = store::find_project(tickets.tx(), t.project_id());
                         return tickets.reopen(t, load_rules(tickets.tx(), *project, ctx.now),
                                               actor_of(ctx.caller), r.reason(), "");
                       });
}

Status extend_deadline(const Context& ctx, const v1::ExtendDeadlineRequest& r, v1::Ticket* out) {
  return change_ticket(
      ctx, r.ticket_id(), kTicketEditors, out, [&](Tickets& tickets, v1::Ticket& t) {
        if (!domain::is_active(t.status()))
          return Status(StatusCode::FAILED_PRECONDITION,
                        "ticket is " + domain::public_name(t.status()));
        absl::Time current = from_timestamp(t.resolve_due());
        absl::Time wanted = from_timestamp(r.new_resolve_due());
        if (auto e = domain::check_deadline_extension(current, wanted,
                                                      from_timestamp(r.notice_sent_at()), ctx.now,
                                                      domain::IntakePolicy::defaults());
            !e.empty())
          return bad(e);
        *t.mutable_resolve_due() = r.new_resolve_due();
        t.set_extension_count(t.extension_count() + 1);
        tickets.history(t, actor_of(ctx.caller), "deadline_extended",
                        absl::FormatTime(current) + " -> " + absl::FormatTime(wanted) + ": " +
                            r.reason() + " (owner notified " +
                            absl::FormatTime(from_timestamp(r.notice_sent_at())) + ")");
        v1::Event e = event(t);
        auto* p = e.mutable_deadline_extended();
        p->set_ticket_id(t.ticket_id());
        *p->mutable_previous_resolve_due() = to_timestamp(current);
        *p->mutable_new_resolve_due() = r.new_resolve_due();
        p->set_reason(kit::mask_digit_runs(r.reason()));
        *p->mutable_notice_sent_at() = r.notice_sent_at();
        p->set_notice_channel(r.notice_channel());
        tickets.outbox().add(tickets.tx(), e);
        return Status::OK;
      });
}

Status link_duplicate(const Context& ctx, const v1::LinkDuplicateRequest& r, v1::Ticket* out) {
  return change_ticket(
      ctx, r.ticket_id(), kTicketEditors, out, [&](Tickets& tickets, v1::Ticket& t) {
        auto primary = store::find_ticket(tickets.tx(), r.duplicate_of(), true);
        if (!primary || !sees_ticket(ctx.caller, *primary))
          return not_found("ticket " + r.duplicate_of());
        if (primary->unit_id() != t.unit_id() || primary->category() != t.category() ||
            primary->component() != t.component())
          return Status(StatusCode::FAILED_PRECONDITION,
                        "duplicate_of: not the same unit, category and component");
        if (!domain::is_active(primary->status()))
          return Status(StatusCode::FAILED_PRECONDITION,
                        "duplicate_of: that ticket is " + domain::public_name(primary->status()));
        if (Status s = tickets.move(t, v1::TICKET_STATUS_CANCELLED, actor_of(ctx.caller),
                                    "duplicate of " + primary->ticket_no());
            !s.ok())
          return s;
        t.set_duplicate_of(primary->ticket_id());
        tickets.history(*primary, actor_of(ctx.caller), "duplicate_linked",
                        "report " + t.ticket_no() + " linked");
        v1::Event e = event(t);
        e.mutable_tickets_linked()->set_ticket_id(t.ticket_id());
        e.mutable_tickets_linked()->set_duplicate_of(primary->ticket_id());
        e.mutable_tickets_linked()->set_recurrence(primary->recurrence());
        tickets.outbox().add(tickets.tx(), e);
        return Status::OK;
      });
}

Status escalate_ticket(const Context& ctx, const v1::EscalateTicketRequest& r, v1::Ticket* out) {
  return change_ticket(ctx, r.ticket_id(), kEscalators, out, [&](Tickets& tickets, v1::Ticket& t) {
    auto project = store::find_project(tickets.tx(), t.project_id());
    ProjectRules rules = load_rules(tickets.tx(), *project, ctx.now);
    if (auto e = domain::check_fine(r.fine_fen(), r.level(), rules.policy); !e.empty())
      return bad(e);
    if (r.level() < t.escalation_level())
      return Status(StatusCode::FAILED_PRECONDITION,
                    "level: ticket is already at level " + std::to_string(t.escalation_level()));
    int previous = t.escalation_level();
    t.set_escalation_level(r.level());
    store::record_escalation(tickets.tx(), t.ticket_id(), r.level(), previous, r.fine_fen(),
                             r.fault_party_id(), kit::to_micros(ctx.now));
    if (r.fine_fen() > 0) {
      t.set_fault_party(r.fault_party());
      t.set_fault_party_id(r.fault_party_id());
      t.set_fine_fen(t.fine_fen() + r.fine_fen());
    }
    tickets.history(t, actor_of(ctx.caller), "escalated",
                    "level " + std::to_string(previous) + " -> " + std::to_string(r.level()) +
                        ": " + r.reason() +
                        (r.fine_fen() > 0 ? " (fine " + std::to_string(r.fine_fen()) +
                                                " fen against " + r.fault_party_id() + ")"
                                          : ""));
    v1::Event e = event(t);
    auto* p = e.mutable_ticket_escalated();
    p->set_ticket_id(t.ticket_id());
    p->set_level(r.level());
    p->set_previous_level(previous);
    p->set_fault_party(r.fault_party());
    p->set_fault_party_id(r.fault_party_id());
    p->set_fine_fen(r.fine_fen());
    p->set_reason(kit::mask_digit_runs(r.reason()));
    p->set_recurrence(t.recurrence());
    tickets.outbox().add(tickets.tx(), e);
    return Status::OK;
  });
}

}  // namespace aftercare::intake::app
