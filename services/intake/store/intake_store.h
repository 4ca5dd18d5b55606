// Intake's SQL: the tickets (the registry's is in registry_store.h, included here). Every function
// runs inside the caller's transaction, so a handler's writes and its outbox events commit
// together.
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aftercare/v1/intake.pb.h"
#include "common/outbox.h"
#include "intake/domain/calendar.h"
#include "intake/domain/warranty_expiry.h"
#include "intake/store/registry_store.h"

namespace aftercare::intake::store {

// --- tickets ---
std::optional<v1::Ticket> find_ticket(pqxx::transaction_base& tx, const std::string& ticket_id,
                                      bool for_update = false);
// The ticket an earlier request with this idempotency key created; `request_hash` gets the
// hash stored with it.
std::optional<v1::Ticket> find_by_idempotency_key(pqxx::transaction_base& tx,
                                                  const std::string& reported_by,
                                                  const std::string& key,
                                                  std::string* request_hash);
void insert_ticket(pqxx::transaction_base& tx, const v1::Ticket& ticket,
                   const std::string& idempotency_key, const std::string& request_hash);
// Writes the ticket's mutable fields and bumps its version.
void update_ticket(pqxx::transaction_base& tx, const v1::Ticket& ticket);
void set_resolved_from_callback(pqxx::transaction_base& tx, const std::string& ticket_id,
                                const std::string& work_order_id);
std::string resolved_from_callback(pqxx::transaction_base& tx, const std::string& ticket_id);
// A rework order that dispatch created before intake saw the unsatisfied callback that reopens
// the ticket (the two topics are not ordered with each other).
void set_rework_waiting(pqxx::transaction_base& tx, const std::string& ticket_id, bool waiting);
bool rework_waiting(pqxx::transaction_base& tx, const std::string& ticket_id);
void set_assignee(pqxx::transaction_base& tx, const std::string& ticket_id,
                  const std::string& party_id);

// Next number of the project's local day (1, 2, ...).
int64_t next_ticket_sequence(pqxx::transaction_base& tx, const std::string& project_id,
                             const std::string& local_day);

// --- opening a report (issue 21: report_store.cc, one statement each) ---
// The day's next ticket number (autocommitted, without a WAL flush of its own), unless
// `reported_by` already has a ticket with `idempotency_key` (a replay takes none); with the
// project's registry version.
struct NumberTaken {
  std::optional<int64_t> sequence;
  bool replay = false;
  int64_t registry_version = 0;
};
NumberTaken take_ticket_number(pqxx::transaction_base& tx, const std::string& project_id,
                               const std::string& local_day, const std::string& reported_by,
                               const std::string& idempotency_key);
// Locks the issue and returns how often it was reported so far; then, when `component_lock` is
// not empty, takes that incident component lock (component_lock_key) as lock_public_component.
int lock_issue_for_report(pqxx::transaction_base& tx, const std::string& unit_id, int category,
                          int component, const std::string& component_lock);
std::string component_lock_key(const std::string& project_id, const std::string& building,
                               int component);
// The issue's most recent still-active ticket and, when asked, the party of the latest work
// order on any ticket of the issue ("" if none).
struct IssueState {
  std::optional<v1::Ticket> active;
  std::string latest_assignee;
};
IssueState issue_state(pqxx::transaction_base& tx, const std::string& unit_id, int category,
                       int component, bool with_assignee);
// Everything a new report writes, stored in this order by one statement.
struct HistoryRow {
  std::string ticket_id, actor, action, detail;
};
struct EscalationRow {
  int level = 0, previous_level = 0;
  int64_t fine_fen = 0;
  std::string fault_party_id;
};
struct ReportWrite {
  v1::Ticket ticket;  // its final values
  std::string idempotency_key, request_hash;
  bool incident_follower = false;
  bool updated = false;              // stored as changed once after its insert (version 2)
  std::optional<int> issue_reports;  // the issue's new count, when it changes
  int64_t at_us = 0;                 // time of the history and escalation rows
  std::vector<HistoryRow> history;
  std::optional<EscalationRow> escalation;
  std::string incident_lead_of;  // the incident this ticket becomes the lead of
  std::vector<kit::OutboxRow> events;
};
// Returns the ticket as stored.
v1::Ticket write_report(pqxx::transaction_base& tx, const ReportWrite& write);

// Locks the issue (unit + category + component) and returns how often it was reported so far.
int lock_issue(pqxx::transaction_base& tx, const std::string& unit_id, int category, int component);
void set_issue_reports(pqxx::transaction_base& tx, const std::string& unit_id, int category,
                       int component, int reports);
// The most recent still-active ticket of the issue, if any.
std::optional<v1::Ticket> active_ticket_of_issue(pqxx::transaction_base& tx,
                                                 const std::string& unit_id, int category,
                                                 int component);
// The party of the latest work order on any ticket of the issue ("" if none).
std::string latest_assignee_of_issue(pqxx::transaction_base& tx, const std::string& unit_id,
                                     int category, int component);

void append_history(pqxx::transaction_base& tx, const std::string& ticket_id, int64_t at_us,
                    const std::string& actor, const std::string& action, const std::string& detail);
std::vector<v1::HistoryEntry> history(pqxx::transaction_base& tx, const std::string& ticket_id);

struct TicketFilter {
  std::string project_id;             // "" = any (admin only)
  std::vector<std::string> unit_ids;  // owners: their units; empty = any
  std::string unit_id;
  int status = 0, kind = 0, category = 0, min_escalation_level = 0;
  std::string owner_agent;
  int64_t reported_from_us = 0, reported_to_us = 0;  // 0 = open-ended
};
struct PageCursor {
  int64_t created_us = 0;
  std::string ticket_id;
};
std::vector<v1::Ticket> list_tickets(pqxx::transaction_base& tx, const TicketFilter& filter,
                                     const std::optional<PageCursor>& after, int limit);
int64_t created_micros(pqxx::transaction_base& tx, const std::string& ticket_id);

// Active tickets of the project (or all projects when "") whose response or resolve deadline
// passed before `as_of_us`.
struct Breach {
  v1::Ticket ticket;
  int deadline;  // v1::SlaDeadline
  int64_t due_us;
};
std::vector<Breach> breached(pqxx::transaction_base& tx, const std::string& project_id,
                             int64_t as_of_us, int limit);
// Records a breach; false when it was announced before.
bool record_breach(pqxx::transaction_base& tx, const std::string& ticket_id, int deadline,
                   int64_t due_us, int64_t detected_us);

void record_escalation(pqxx::transaction_base& tx, const std::string& ticket_id, int level,
                       int previous_level, int64_t fine_fen, const std::string& fault_party_id,
                       int64_t at_us);

// Figures of one project over [from_us, to_us) for the KPI report (DOMAIN §6).
struct TicketStats {
  int64_t total = 0, duplicates = 0, complaints = 0;
  std::vector<std::pair<int, int64_t>> by_kind, by_category, repairs_by_area;  // enum number, count
  int64_t response_due = 0, responded_on_time = 0;
  int64_t resolve_measured = 0, resolved_on_time = 0;
  int64_t reopened = 0, escalated_level1 = 0, escalated_level2 = 0, fines_fen = 0;
};
TicketStats ticket_stats(pqxx::transaction_base& tx, const std::string& project_id, int64_t from_us,
                         int64_t to_us, int64_t now_us);
// Issue 20, the group view: ticket_stats of many projects at once, each over its own
// [from_us, to_us) (its period in its own time zone), with the same statements grouped by
// project; ticket_stats is this with one window. One entry per window, by project id.
struct StatsWindow {
  std::string project_id;
  int64_t from_us = 0, to_us = 0;
};
std::map<std::string, TicketStats> group_ticket_stats(pqxx::transaction_base& tx,
                                                      const std::vector<StatsWindow>& windows,
                                                      int64_t now_us);
// --- attachments ---
// Stores the attachment (with its content) unless the ticket already has the same content
// (same sha256); `stored` gets the attachment as stored, without content: the new one, or the
// earlier one. Returns whether it was inserted.
bool add_attachment(pqxx::transaction_base& tx, const v1::Attachment& attachment,
                    v1::Attachment* stored);
int count_attachments(pqxx::transaction_base& tx, const std::string& ticket_id);
// Metadata of the ticket's attachments, oldest first.
std::vector<v1::Attachment> list_attachments(pqxx::transaction_base& tx,
                                             const std::string& ticket_id);
std::optional<v1::Attachment> find_attachment(pqxx::transaction_base& tx,
                                              const std::string& attachment_id, bool with_content);

}  // namespace aftercare::intake::store
