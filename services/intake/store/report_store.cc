// Intake's SQL for opening a report in the fewest statements (issue 21): the day's number taken
// with the idempotency check in one autocommitted statement, the issue locked with one, the
// issue's state read with one, and everything the report writes (the ticket with its final
// values, the issue's count, history, escalation, the incident's lead, outbox events) stored by
// one statement that returns the ticket as stored. All are prepared once per connection.
#include "common/outbox.h"
#include "common/pg.h"
#include "intake/domain/dates.h"
#include "intake/store/intake_store.h"
#include "intake/store/rows.h"

namespace aftercare::intake::store {
namespace {

using namespace detail;

// No WAL flush of its own: the ticket that uses the number commits later and flushes this one
// with it; a number lost in a crash was never used. A replay (the key already has a ticket)
// takes no number.
constexpr const char* kTakeNumber = R"(
  WITH prior AS (SELECT 1 FROM tickets WHERE $4 <> '' AND reported_by = $3 AND idempotency_key = $4),
  quiet AS (SELECT set_config('synchronous_commit', 'off', true)),
  n AS (INSERT INTO ticket_counters (project_id, local_day, last)
        SELECT $1, $2::date, 1 FROM quiet WHERE NOT EXISTS (SELECT 1 FROM prior)
        ON CONFLICT (project_id, local_day) DO UPDATE SET last = ticket_counters.last + 1
        RETURNING last)
  SELECT (SELECT last FROM n), EXISTS (SELECT 1 FROM prior),
         (SELECT coalesce(max(version), 0) FROM registry_versions WHERE project_id = $1))";

// The issue's row locked (created at 0 the first time), then the incident component lock when
// asked ($4 = its key, the one incident_store's lock_public_component takes).
constexpr const char* kLockIssue = R"(
  INSERT INTO issue_reports (unit_id, category, component, reports) VALUES ($1, $2, $3, 0)
  ON CONFLICT (unit_id, category, component) DO UPDATE SET reports = issue_reports.reports
  RETURNING reports,
    (SELECT true FROM (SELECT pg_advisory_xact_lock(hashtextextended($4, 0))) AS l WHERE $4 <> ''))";

std::string issue_state_sql() {
  // The lateral subquery is named `tickets` so the shared column list reads from it; no active
  // ticket = one row of NULLs. The active ticket is locked (FOR NO KEY UPDATE) before the report
  // writes the reminder's history on it: unlocked, a change of that ticket by another transaction
  // (dispatch's WorkOrderCreated: SELECT ... FOR UPDATE, then its own history row) and the
  // report's write (history row first, then the duplicate_of key check's KEY SHARE on the same
  // ticket) deadlocked on a fresh stack, where tickets are dispatched while their reminders
  // come in: a 1-s wait (deadlock_timeout) behind the issue lock and a 409 for the loser.
  return std::string("SELECT ") + kTicketColumns + R"(,
      CASE WHEN $4 THEN (SELECT x.assignee_party_id FROM tickets x
        WHERE x.unit_id = $1 AND x.category = $2 AND x.component = $3 AND x.assignee_party_id <> ''
        ORDER BY x.created_at DESC LIMIT 1) END
    FROM (SELECT 1) AS one LEFT JOIN LATERAL (
      SELECT * FROM tickets t WHERE t.unit_id = $1 AND t.category = $2 AND t.component = $3
        AND t.status IN (1, 2, 3, 6) AND t.duplicate_of IS NULL
      ORDER BY t.created_at DESC LIMIT 1 FOR NO KEY UPDATE) AS tickets ON true)";
}

std::string write_report_sql() {
  return std::string(R"(
  WITH t AS (
    INSERT INTO tickets (ticket_id, ticket_no, project_id, unit_id, owner_id, kind, category,
      component, urgency, channel, repair_area, description, status, in_warranty, warranty_ends,
      reported_at, response_due, resolve_due, escalation_level, recurrence, owner_agent,
      reported_by, duplicate_of, fault_party, fault_party_id, fine_fen, created_at, updated_at,
      idempotency_key, request_hash, split_from, incident_id, incident_follower, version)
    VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::date,
      kit_ts($16), kit_ts($17), kit_ts($18), $19, $20, $21, $22, $23::uuid, $24, $25, $26,
      kit_ts($27), CASE WHEN $33 THEN now() ELSE kit_ts($27) END, $28, $29, $30::uuid,
      $31::uuid, $32, CASE WHEN $33 THEN 2 ELSE 1 END)
    RETURNING )") +
         kTicketColumns + R"(),
  i AS (UPDATE issue_reports SET reports = $35
        WHERE $34 AND unit_id = $4 AND category = $7 AND component = $8),
  h AS (INSERT INTO ticket_history (ticket_id, seq, at, actor, action, detail)
        SELECT x.id::uuid, coalesce((SELECT max(y.seq) FROM ticket_history y
                                     WHERE y.ticket_id = x.id::uuid), 0)
                           + row_number() OVER (PARTITION BY x.id ORDER BY x.n),
               kit_ts($36), x.actor, x.action, x.detail
        FROM unnest($37::text[], $38::text[], $39::text[], $40::text[])
             WITH ORDINALITY AS x(id, actor, action, detail, n)),
  e AS (INSERT INTO ticket_escalations (ticket_id, level, previous_level, fine_fen,
                                        fault_party_id, at)
        SELECT $1::uuid, $42, $43, $44, $45, kit_ts($36) WHERE $41),
  l AS (UPDATE incidents SET lead_ticket_id = $1::uuid WHERE incident_id = $46::uuid),
  o AS ()" +
         kit::outbox_insert_sql(47) +
         R"()
  SELECT * FROM t)";
}

}  // namespace

NumberTaken take_ticket_number(pqxx::transaction_base& tx, const std::string& project_id,
                               const std::string& local_day, const std::string& reported_by,
                               const std::string& idempotency_key) {
  auto r = kit::exec_prepared(tx, "intake_take_number", kTakeNumber, project_id, local_day,
                              reported_by, idempotency_key)[0];
  NumberTaken out;
  if (!r[0].is_null()) out.sequence = r[0].as<int64_t>();
  out.replay = r[1].as<bool>();
  out.registry_version = r[2].as<int64_t>();
  return out;
}

int lock_issue_for_report(pqxx::transaction_base& tx, const std::string& unit_id, int category,
                          int component, const std::string& component_lock) {
  return kit::exec_prepared(tx, "intake_lock_issue", kLockIssue, unit_id, category, component,
                            component_lock)[0][0]
      .as<int>();
}

std::string component_lock_key(const std::string& project_id, const std::string& building,
                               int component) {
  return "incident:" + project_id + ":" + building + ":" + std::to_string(component);
}

IssueState issue_state(pqxx::transaction_base& tx, const std::string& unit_id, int category,
                       int component, bool with_assignee) {
  static const std::string sql = issue_state_sql();
  auto r = kit::exec_prepared(tx, "intake_issue_state", sql, unit_id, category, component,
                              with_assignee)[0];
  IssueState out;
  if (!r[0].is_null()) out.active = ticket_from_row(r);
  if (!r[kTicketColumnCount].is_null())
    out.latest_assignee = r[kTicketColumnCount].as<std::string>();
  return out;
}

v1::Ticket write_report(pqxx::transaction_base& tx, const ReportWrite& w) {
  static const std::string sql = write_report_sql();
  const v1::Ticket& t = w.ticket;
  std::vector<std::string> ids, actors, actions, details;
  for (const HistoryRow& h : w.history) {
    ids.push_back(h.ticket_id);
    actors.push_back(h.actor);
    actions.push_back(h.action);
    details.push_back(h.detail);
  }
  auto events = kit::outbox_row_arrays(w.events);
  const EscalationRow esc = w.escalation.value_or(EscalationRow{});
  auto rows = kit::exec_prepared(
      tx, "intake_write_report", sql, t.ticket_id(), t.ticket_no(), t.project_id(), t.unit_id(),
      t.owner_id(), static_cast<int>(t.kind()), static_cast<int>(t.category()),
      static_cast<int>(t.component()), static_cast<int>(t.urgency()), static_cast<int>(t.channel()),
      static_cast<int>(t.repair_area()), t.description(), static_cast<int>(t.status()),
      t.in_warranty(), domain::format_day(domain::to_civil_day(t.warranty_ends())),
      micros(t.reported_at()), micros(t.response_due()), micros(t.resolve_due()),
      t.escalation_level(), t.recurrence(), t.owner_agent(), t.reported_by(),
      kit::nullable(t.duplicate_of()), static_cast<int>(t.fault_party()), t.fault_party_id(),
      t.fine_fen(), micros(t.created_at()), kit::nullable(w.idempotency_key),
      kit::nullable(w.request_hash), kit::nullable(t.split_from_ticket_id()),
      kit::nullable(t.incident_id()), w.incident_follower, w.updated, w.issue_reports.has_value(),
      w.issue_reports.value_or(0), w.at_us, kit::text_array(ids), kit::text_array(actors),
      kit::text_array(actions), kit::text_array(details), w.escalation.has_value(), esc.level,
      esc.previous_level, esc.fine_fen, esc.fault_party_id, kit::nullable(w.incident_lead_of),
      events[0], events[1], events[2], events[3], events[4], events[5]);
  return ticket_from_row(rows.at(0));
}

}  // namespace aftercare::intake::store
