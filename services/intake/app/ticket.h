// The ticket aggregate inside one transaction: its status moves, history entries, escalation,
// reopening and the events each of them writes to the outbox; the opening of a new report; and
// change_ticket, the load-check-change-store frame of every use case that changes one ticket.
#pragma once

#include <set>

#include "common/refusal.h"
#include "intake/access.h"
#include "intake/app/context.h"
#include "intake/domain/validation.h"
#include "intake/store/intake_store.h"

namespace aftercare::intake::app {

class Tickets {
 public:
  Tickets(pqxx::work& tx, const kit::Outbox& outbox, absl::Time now)
      : tx_(tx), outbox_(outbox), now_(now) {}

  void history(const v1::Ticket& t, const std::string& actor, const std::string& action,
               const std::string& detail);
  // Moves the ticket to `to` with its history entry and TicketStatusChanged; refuses a move the
  // status machine does not allow.
  Status move(v1::Ticket& t, v1::TicketStatus to, const std::string& actor,
              const std::string& reason);
  // incident_round: resolved with its incident after the incident's n-th reopening (issue 23).
  void resolved(const v1::Ticket& t, const std::string& resolution,
                const std::string& work_order_id, int incident_round = 0);
  void closed(const v1::Ticket& t, const std::string& reason, const std::string& callback_id);
  // Applies the escalation tables to the ticket at `recurrence`. A rise in level requests the
  // policy's fine against the party of the latest work order (the builder in warranty,
  // else the crew); with no known party no fine is requested and a supervisor decides.
  // `known_party`: the latest party when the caller read it already.
  void escalate_by_rules(v1::Ticket& t, const ProjectRules& rules, const std::string& actor,
                         const std::string* known_party = nullptr);
  // Reopening counts as a new report of the issue: recurrence + 1, escalation rules, and new
  // deadlines counted from now.
  Status reopen(v1::Ticket& t, const ProjectRules& rules, const std::string& actor,
                const std::string& reason, const std::string& callback_id);
  // TicketResponded for the first response at `at`.
  void responded(const v1::Ticket& t, absl::Time at, const std::string& actor);

  // While set (open_report), history, escalation and events are collected into `write`, to be
  // stored with the new ticket by one statement; nullptr writes each at once again.
  void collect_into(store::ReportWrite* write) { pending_ = write; }
  // Adds the event to the outbox (or to the collected writes).
  void add_event(const v1::Event& e);

  pqxx::work& tx() { return tx_; }
  const kit::Outbox& outbox() { return outbox_; }
  absl::Time now() const { return now_; }

 private:
  pqxx::work& tx_;
  const kit::Outbox& outbox_;
  absl::Time now_;
  store::ReportWrite* pending_ = nullptr;
};

v1::RepairArea default_repair_area(v1::RepairArea requested, v1::TicketCategory category);

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

// A ticket number taken ahead of the ticket's own transaction (see open_ticket).
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
                       const TicketNumber* number = nullptr);

// Loads a ticket for change under its row lock, checks the caller, runs `change`, stores the
// ticket and returns it fresh.
template <typename F>
Status change_ticket(const Context& ctx, const std::string& ticket_id, kit::Roles roles,
                     v1::Ticket* out, F&& change) {
  if (auto e = domain::check_uuid(ticket_id, "ticket_id"); !e.empty())
    return not_found("ticket " + ticket_id);
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    auto t = store::find_ticket(tx, ticket_id, /*for_update=*/true);
    if (!t || !sees_ticket(ctx.caller, *t)) return not_found("ticket " + ticket_id);
    if (!has_role(ctx.caller, roles))
      return denied("role " + ctx.caller.role_name() + " cannot do this");
    Tickets tickets(tx, ctx.outbox, ctx.now);
    // A refused change may have written already: throwing rolls it back (committing after
    // tx.abort() would throw and turn the refusal into INTERNAL).
    if (Status s = change(tickets, *t); !s.ok()) throw kit::Refusal{s};
    store::update_ticket(tx, *t);
    *out = *store::find_ticket(tx, ticket_id);
    return Status::OK;
  });
}

}  // namespace aftercare::intake::app
