#include "intake/store/intake_store.h"

#include "common/pg.h"
#include "common/time.h"
#include "intake/domain/dates.h"
#include "intake/store/rows.h"

namespace aftercare::intake::store {
namespace {

using namespace detail;

using kit::from_micros;
using kit::to_timestamp;

constexpr const char* kInsertTicket = R"(
  INSERT INTO tickets (ticket_id, ticket_no, project_id, unit_id, owner_id, kind, category,
    component, urgency, channel, repair_area, description, status, in_warranty, warranty_ends,
    reported_at, response_due, resolve_due, escalation_level, recurrence, owner_agent, reported_by,
    duplicate_of, fault_party, fault_party_id, fine_fen, created_at, updated_at,
    idempotency_key, request_hash, split_from)
  VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::date,
    kit_ts($16), kit_ts($17), kit_ts($18), $19, $20, $21, $22, $23::uuid, $24, $25, $26,
    kit_ts($27), kit_ts($27), $28, $29, $30::uuid))";
constexpr const char* kUpdateTicket = R"(
  UPDATE tickets SET kind = $2, status = $3, escalation_level = $4, recurrence = $5,
    owner_agent = $6, duplicate_of = $7::uuid, responded_at = kit_ts($8), resolved_at = kit_ts($9),
    closed_at = kit_ts($10), response_due = kit_ts($11), resolve_due = kit_ts($12),
    extension_count = $13, fault_party = $14, fault_party_id = $15, fine_fen = $16,
    merged_into = $17::uuid, updated_at = now(), version = version + 1
  WHERE ticket_id = $1::uuid)";
constexpr const char* kSetAssignee =
    "UPDATE tickets SET assignee_party_id = $2 WHERE ticket_id = $1::uuid";
constexpr const char* kNextSequence = R"(
  INSERT INTO ticket_counters (project_id, local_day, last) VALUES ($1, $2::date, 1)
  ON CONFLICT (project_id, local_day) DO UPDATE SET last = ticket_counters.last + 1
  RETURNING last)";
constexpr const char* kEnsureIssue = R"(
  INSERT INTO issue_reports (unit_id, category, component, reports) VALUES ($1, $2, $3, 0)
  ON CONFLICT DO NOTHING)";
constexpr const char* kLockIssue = R"(
  SELECT reports FROM issue_reports WHERE unit_id = $1 AND category = $2 AND component = $3
  FOR UPDATE)";
constexpr const char* kSetIssueReports = R"(
  UPDATE issue_reports SET reports = $4 WHERE unit_id = $1 AND category = $2 AND component = $3)";
constexpr const char* kLatestAssignee = R"(
  SELECT assignee_party_id FROM tickets
  WHERE unit_id = $1 AND category = $2 AND component = $3 AND assignee_party_id <> ''
  ORDER BY created_at DESC LIMIT 1)";
constexpr const char* kAppendHistory = R"(
  INSERT INTO ticket_history (ticket_id, seq, at, actor, action, detail)
  SELECT $1::uuid, coalesce(max(seq), 0) + 1, kit_ts($2), $3, $4, $5
  FROM ticket_history WHERE ticket_id = $1::uuid)";
constexpr const char* kHistory = R"(
  SELECT kit_us(at), actor, action, detail, seq FROM ticket_history
  WHERE ticket_id = $1::uuid ORDER BY seq)";
constexpr const char* kRecordBreach = R"(
  INSERT INTO sla_breaches (ticket_id, deadline, due_at, detected_at)
  VALUES ($1::uuid, $2, kit_ts($3), kit_ts($4)) ON CONFLICT DO NOTHING)";

// Active = open, dispatched, in_progress, reopened.
constexpr const char* kActive = "status IN (1, 2, 3, 6)";

}  // namespace

namespace detail {

v1::Date parse_date(const std::string& text) {
  v1::Date d;
  d.set_year(std::stoi(text.substr(0, 4)));
  d.set_month(std::stoi(text.substr(5, 2)));
  d.set_day(std::stoi(text.substr(8, 2)));
  return d;
}

// NULL for an unset timestamp, else its microseconds.
std::optional<int64_t> micros_or_null(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return std::nullopt;
  return kit::to_micros(kit::from_timestamp(ts));
}

int64_t micros(const google::protobuf::Timestamp& ts) {
  return kit::to_micros(kit::from_timestamp(ts));
}

// libpqxx 6 binds std::optional poorly: bind NULL through a pointer.
const char* opt_text(const std::optional<int64_t>& v, std::string& storage) {
  if (!v) return nullptr;
  storage = std::to_string(*v);
  return storage.c_str();
}

v1::Ticket ticket_from_row(const pqxx::row& r) {
  v1::Ticket t;
  t.set_ticket_id(r[0].as<std::string>());
  t.set_ticket_no(r[1].as<std::string>());
  t.set_project_id(r[2].as<std::string>());
  t.set_unit_id(r[3].as<std::string>());
  t.set_kind(static_cast<v1::TicketKind>(r[4].as<int>()));
  t.set_category(static_cast<v1::TicketCategory>(r[5].as<int>()));
  t.set_component(static_cast<v1::Component>(r[6].as<int>()));
  t.set_urgency(static_cast<v1::Urgency>(r[7].as<int>()));
  t.set_channel(static_cast<v1::Channel>(r[8].as<int>()));
  t.set_description(r[9].as<std::string>());
  t.set_status(static_cast<v1::TicketStatus>(r[10].as<int>()));
  t.set_in_warranty(r[11].as<bool>());
  *t.mutable_warranty_ends() = parse_date(r[12].as<std::string>());
  set_time([&] { return t.mutable_reported_at(); }, r[13]);
  set_time([&] { return t.mutable_response_due(); }, r[14]);
  set_time([&] { return t.mutable_resolve_due(); }, r[15]);
  t.set_escalation_level(r[16].as<int>());
  t.set_recurrence(r[17].as<int>());
  t.set_owner_agent(r[18].as<std::string>());
  set_time([&] { return t.mutable_created_at(); }, r[19]);
  t.set_owner_id(r[20].as<std::string>());
  t.set_reported_by(r[21].as<std::string>());
  t.set_repair_area(static_cast<v1::RepairArea>(r[22].as<int>()));
  t.set_duplicate_of(r[23].as<std::string>());
  set_time([&] { return t.mutable_responded_at(); }, r[24]);
  set_time([&] { return t.mutable_resolved_at(); }, r[25]);
  set_time([&] { return t.mutable_closed_at(); }, r[26]);
  t.set_extension_count(r[27].as<int>());
  t.set_fault_party(static_cast<v1::FaultParty>(r[28].as<int>()));
  t.set_fault_party_id(r[29].as<std::string>());
  t.set_fine_fen(r[30].as<int64_t>());
  set_time([&] { return t.mutable_updated_at(); }, r[31]);
  t.set_version(r[32].as<int64_t>());
  t.set_merged_into_ticket_id(r[33].as<std::string>());
  t.set_split_from_ticket_id(r[34].as<std::string>());
  t.set_incident_id(r[35].as<std::string>());
  return t;
}

std::string select_tickets(const std::string& where) {
  return std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE " + where;
}

}  // namespace detail

std::optional<v1::Ticket> find_ticket(pqxx::transaction_base& tx, const std::string& ticket_id,
                                      bool for_update) {
  auto rows = tx.exec_params(
      select_tickets("ticket_id = $1::uuid") + (for_update ? " FOR UPDATE" : ""), ticket_id);
  if (rows.empty()) return std::nullopt;
  return ticket_from_row(rows[0]);
}

std::optional<v1::Ticket> find_by_idempotency_key(pqxx::transaction_base& tx,
                                                  const std::string& reported_by,
                                                  const std::string& key,
                                                  std::string* request_hash) {
  auto rows = tx.exec_params(std::string("SELECT ") + kTicketColumns +
                                 ", coalesce(request_hash, '') FROM tickets WHERE reported_by = $1 "
                                 "AND idempotency_key = $2",
                             reported_by, key);
  if (rows.empty()) return std::nullopt;
  if (request_hash) *request_hash = rows[0][kTicketColumnCount].as<std::string>();
  return ticket_from_row(rows[0]);
}

void insert_ticket(pqxx::transaction_base& tx, const v1::Ticket& t,
                   const std::string& idempotency_key, const std::string& request_hash) {
  tx.exec_params(
      kInsertTicket, t.ticket_id(), t.ticket_no(), t.project_id(), t.unit_id(), t.owner_id(),
      static_cast<int>(t.kind()), static_cast<int>(t.category()), static_cast<int>(t.component()),
      static_cast<int>(t.urgency()), static_cast<int>(t.channel()),
      static_cast<int>(t.repair_area()), t.description(), static_cast<int>(t.status()),
      t.in_warranty(), domain::format_day(domain::to_civil_day(t.warranty_ends())),
      micros(t.reported_at()), micros(t.response_due()), micros(t.resolve_due()),
      t.escalation_level(), t.recurrence(), t.owner_agent(), t.reported_by(),
      kit::nullable(t.duplicate_of()), static_cast<int>(t.fault_party()), t.fault_party_id(),
      t.fine_fen(), micros(t.created_at()), kit::nullable(idempotency_key),
      kit::nullable(request_hash), kit::nullable(t.split_from_ticket_id()));
}

void update_ticket(pqxx::transaction_base& tx, const v1::Ticket& t) {
  std::string s1, s2, s3;
  tx.exec_params(
      kUpdateTicket, t.ticket_id(), static_cast<int>(t.kind()), static_cast<int>(t.status()),
      t.escalation_level(), t.recurrence(), t.owner_agent(), kit::nullable(t.duplicate_of()),
      opt_text(micros_or_null(t.responded_at()), s1), opt_text(micros_or_null(t.resolved_at()), s2),
      opt_text(micros_or_null(t.closed_at()), s3), micros(t.response_due()),
      micros(t.resolve_due()), t.extension_count(), static_cast<int>(t.fault_party()),
      t.fault_party_id(), t.fine_fen(), kit::nullable(t.merged_into_ticket_id()));
}

void set_resolved_from_callback(pqxx::transaction_base& tx, const std::string& ticket_id,
                                const std::string& work_order_id) {
  tx.exec_params("UPDATE tickets SET resolved_from_callback = $2 WHERE ticket_id = $1::uuid",
                 ticket_id, work_order_id);
}

std::string resolved_from_callback(pqxx::transaction_base& tx, const std::string& ticket_id) {
  auto r = tx.exec_params("SELECT resolved_from_callback FROM tickets WHERE ticket_id = $1::uuid",
                          ticket_id);
  return r.empty() ? "" : r[0][0].as<std::string>();
}

void set_rework_waiting(pqxx::transaction_base& tx, const std::string& ticket_id, bool waiting) {
  tx.exec_params("UPDATE tickets SET rework_waiting = $2 WHERE ticket_id = $1::uuid", ticket_id,
                 waiting);
}

bool rework_waiting(pqxx::transaction_base& tx, const std::string& ticket_id) {
  auto r =
      tx.exec_params("SELECT rework_waiting FROM tickets WHERE ticket_id = $1::uuid", ticket_id);
  return !r.empty() && r[0][0].as<bool>();
}

void set_assignee(pqxx::transaction_base& tx, const std::string& ticket_id,
                  const std::string& party_id) {
  tx.exec_params(kSetAssignee, ticket_id, party_id);
}

int64_t next_ticket_sequence(pqxx::transaction_base& tx, const std::string& project_id,
                             const std::string& local_day) {
  return tx.exec_params(kNextSequence, project_id, local_day)[0][0].as<int64_t>();
}

int lock_issue(pqxx::transaction_base& tx, const std::string& unit_id, int category,
               int component) {
  tx.exec_params(kEnsureIssue, unit_id, category, component);
  return tx.exec_params(kLockIssue, unit_id, category, component)[0][0].as<int>();
}

void set_issue_reports(pqxx::transaction_base& tx, const std::string& unit_id, int category,
                       int component, int reports) {
  tx.exec_params(kSetIssueReports, unit_id, category, component, reports);
}

std::optional<v1::Ticket> active_ticket_of_issue(pqxx::transaction_base& tx,
                                                 const std::string& unit_id, int category,
                                                 int component) {
  auto rows = tx.exec_params(
      select_tickets(std::string("unit_id = $1 AND category = $2 AND component = $3 AND ") +
                     kActive + " AND duplicate_of IS NULL ORDER BY created_at DESC LIMIT 1"),
      unit_id, category, component);
  if (rows.empty()) return std::nullopt;
  return ticket_from_row(rows[0]);
}

std::string latest_assignee_of_issue(pqxx::transaction_base& tx, const std::string& unit_id,
                                     int category, int component) {
  auto rows = tx.exec_params(kLatestAssignee, unit_id, category, component);
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

void append_history(pqxx::transaction_base& tx, const std::string& ticket_id, int64_t at_us,
                    const std::string& actor, const std::string& action,
                    const std::string& detail) {
  tx.exec_params(kAppendHistory, ticket_id, at_us, actor, action, detail);
}

std::vector<v1::HistoryEntry> history(pqxx::transaction_base& tx, const std::string& ticket_id) {
  std::vector<v1::HistoryEntry> out;
  for (const auto& r : tx.exec_params(kHistory, ticket_id)) {
    v1::HistoryEntry e;
    set_time([&] { return e.mutable_at(); }, r[0]);
    e.set_actor(r[1].as<std::string>());
    e.set_action(r[2].as<std::string>());
    e.set_detail(r[3].as<std::string>());
    e.set_seq(r[4].as<int64_t>());
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<v1::Ticket> list_tickets(pqxx::transaction_base& tx, const TicketFilter& f,
                                     const std::optional<PageCursor>& after, int limit) {
  std::string units = "{";
  for (size_t i = 0; i < f.unit_ids.size(); ++i) units += (i ? "," : "") + f.unit_ids[i];
  units += "}";
  auto rows = tx.exec_params(
      select_tickets(R"(($1 = '' OR project_id = $1) AND ($2 = '{}' OR unit_id = ANY($2::text[]))
        AND ($3 = '' OR unit_id = $3) AND ($4 = 0 OR status = $4) AND ($5 = 0 OR kind = $5)
        AND ($6 = 0 OR category = $6) AND escalation_level >= $7 AND ($8 = '' OR owner_agent = $8)
        AND ($9::bigint = 0 OR reported_at >= kit_ts($9)) AND ($10::bigint = 0 OR reported_at < kit_ts($10))
        AND ($11::bigint = 0 OR (created_at, ticket_id) > (kit_ts($11), $12::uuid))
        ORDER BY tickets.created_at, tickets.ticket_id LIMIT $13)"),
      f.project_id, units, f.unit_id, f.status, f.kind, f.category, f.min_escalation_level,
      f.owner_agent, f.reported_from_us, f.reported_to_us, after ? after->created_us : 0,
      after ? after->ticket_id : "00000000-0000-0000-0000-000000000000", limit);
  std::vector<v1::Ticket> out;
  for (const auto& r : rows) out.push_back(ticket_from_row(r));
  return out;
}

int64_t created_micros(pqxx::transaction_base& tx, const std::string& ticket_id) {
  return tx
      .exec_params("SELECT kit_us(created_at) FROM tickets WHERE ticket_id = $1::uuid",
                   ticket_id)[0][0]
      .as<int64_t>();
}

std::vector<Breach> breached(pqxx::transaction_base& tx, const std::string& project_id,
                             int64_t as_of_us, int limit) {
  auto rows =
      tx.exec_params(std::string("SELECT ") + kTicketColumns + R"(, d.deadline, kit_us(d.due_at)
      FROM tickets, LATERAL (VALUES (1, response_due, responded_at IS NULL),
                                    (2, resolve_due, true)) AS d(deadline, due_at, pending)
      WHERE ($1 = '' OR project_id = $1) AND status IN (1, 2, 3, 6) AND d.pending
        AND d.due_at < kit_ts($2) AND NOT incident_follower
      ORDER BY d.due_at, ticket_id LIMIT $3)",
                     project_id, as_of_us, limit);
  std::vector<Breach> out;
  for (const auto& r : rows)
    out.push_back({ticket_from_row(r), r[kTicketColumnCount].as<int>(),
                   r[kTicketColumnCount + 1].as<int64_t>()});
  return out;
}

bool record_breach(pqxx::transaction_base& tx, const std::string& ticket_id, int deadline,
                   int64_t due_us, int64_t detected_us) {
  return tx.exec_params(kRecordBreach, ticket_id, deadline, due_us, detected_us).affected_rows() ==
         1;
}

void record_escalation(pqxx::transaction_base& tx, const std::string& ticket_id, int level,
                       int previous_level, int64_t fine_fen, const std::string& fault_party_id,
                       int64_t at_us) {
  tx.exec_params(
      R"(INSERT INTO ticket_escalations (ticket_id, level, previous_level, fine_fen, fault_party_id, at)
                    VALUES ($1::uuid, $2, $3, $4, $5, kit_ts($6)))",
      ticket_id, level, previous_level, fine_fen, fault_party_id, at_us);
}

TicketStats ticket_stats(pqxx::transaction_base& tx, const std::string& project_id, int64_t from_us,
                         int64_t to_us, int64_t now_us) {
  return group_ticket_stats(tx, {{project_id, from_us, to_us}}, now_us)[project_id];
}

std::map<std::string, TicketStats> group_ticket_stats(pqxx::transaction_base& tx,
                                                      const std::vector<StatsWindow>& windows,
                                                      int64_t now_us) {
  std::map<std::string, TicketStats> out;
  // One round of statements per distinct window (the projects of one time zone share theirs):
  // $1 the projects, [$2, $3) the window, $4 now. Constant bounds let the planner read a year of
  // every project in one sequential scan (a month: index ranges); a join of per-project windows
  // read each project's tickets page by page (a year of 500 projects: ~115 000 page visits per
  // statement).
  std::map<std::pair<int64_t, int64_t>, std::vector<std::string>> by_window;
  for (const StatsWindow& w : windows) {
    out[w.project_id];
    by_window[{w.from_us, w.to_us}].push_back(w.project_id);
  }
  for (const auto& [window, ids] : by_window) {
    const std::string id_array = kit::text_array(ids);
    auto run = [&](const char* sql) {  // $1-$3
      return tx.exec_params(sql, id_array, window.first, window.second);
    };
    // Reports of the period (linked duplicates counted apart, they are reminders; an incident's
    // followers not at all: the incident counts once, through its lead ticket). Totals and the
    // three breakdowns in one pass: grouping sets, the set told by which key is set.
    for (const auto& r : run(R"(SELECT t.project_id, t.kind, t.category,
          CASE WHEN t.kind = 1 THEN t.repair_area END AS area,
          GROUPING(t.kind), GROUPING(t.category),
          GROUPING(CASE WHEN t.kind = 1 THEN t.repair_area END),
          count(*) FILTER (WHERE t.duplicate_of IS NULL),
          count(*) FILTER (WHERE t.duplicate_of IS NOT NULL),
          count(*) FILTER (WHERE t.duplicate_of IS NULL AND t.kind = 2)
        FROM tickets t
        WHERE t.project_id = ANY ($1::text[]) AND t.reported_at >= kit_ts($2::bigint)
          AND t.reported_at < kit_ts($3::bigint) AND NOT t.incident_follower
        GROUP BY GROUPING SETS ((t.project_id), (t.project_id, t.kind),
          (t.project_id, t.category), (t.project_id, CASE WHEN t.kind = 1 THEN t.repair_area END))
        ORDER BY 1, 2, 3, 4)")) {
      TicketStats& s = out[r[0].as<std::string>()];
      bool kind_set = r[4].as<int>() == 0, category_set = r[5].as<int>() == 0,
           area_set = r[6].as<int>() == 0;
      int64_t undup = r[7].as<int64_t>();
      if (kind_set) {
        if (undup > 0) s.by_kind.emplace_back(r[1].as<int>(), undup);
      } else if (category_set) {
        if (undup > 0) s.by_category.emplace_back(r[2].as<int>(), undup);
      } else if (area_set) {
        if (!r[3].is_null() && undup > 0) s.repairs_by_area.emplace_back(r[3].as<int>(), undup);
      } else {
        s.total = undup;
        s.duplicates = r[8].as<int64_t>();
        s.complaints = r[9].as<int64_t>();
      }
    }
    // Response: tickets whose response fell due in the period (and is already due). Resolution:
    // tickets resolved in the period, plus those that fell due in it unresolved. One pass.
    for (const auto& r : tx.exec_params(R"(SELECT project_id, count(*) FILTER (WHERE resp),
          count(*) FILTER (WHERE resp AND responded_at <= response_due),
          count(*) FILTER (WHERE res OR unres),
          count(*) FILTER (WHERE res AND resolved_at <= resolve_due)
        FROM (SELECT t.project_id, t.responded_at, t.response_due, t.resolved_at, t.resolve_due,
            t.response_due >= kit_ts($2::bigint) AND t.response_due < kit_ts($3::bigint)
              AND t.response_due < kit_ts($4::bigint) AS resp,
            coalesce(t.resolved_at >= kit_ts($2::bigint) AND t.resolved_at < kit_ts($3::bigint),
                     false) AS res,
            t.resolved_at IS NULL AND t.status <> 7 AND t.resolve_due >= kit_ts($2::bigint)
              AND t.resolve_due < kit_ts($3::bigint) AND t.resolve_due < kit_ts($4::bigint)
              AS unres
          FROM tickets t
          WHERE t.project_id = ANY ($1::text[]) AND t.duplicate_of IS NULL
            AND NOT t.incident_follower) t
        WHERE resp OR res OR unres
        GROUP BY project_id)",
                                        id_array, window.first, window.second, now_us)) {
      TicketStats& s = out[r[0].as<std::string>()];
      s.response_due = r[1].as<int64_t>();
      s.responded_on_time = r[2].as<int64_t>();
      s.resolve_measured = r[3].as<int64_t>();
      s.resolved_on_time = r[4].as<int64_t>();
    }
    for (const auto& r : run(R"(SELECT t.project_id, count(*)
        FROM tickets t JOIN ticket_history h ON h.ticket_id = t.ticket_id
        WHERE t.project_id = ANY ($1::text[]) AND h.action = 'reopened'
          AND h.at >= kit_ts($2::bigint) AND h.at < kit_ts($3::bigint)
        GROUP BY t.project_id)")) {
      out[r[0].as<std::string>()].reopened = r[1].as<int64_t>();
    }
    for (const auto& r : run(R"(SELECT t.project_id, count(*) FILTER (WHERE e.level = 1),
          count(*) FILTER (WHERE e.level = 2), coalesce(sum(e.fine_fen), 0)
        FROM tickets t JOIN ticket_escalations e ON e.ticket_id = t.ticket_id
        WHERE t.project_id = ANY ($1::text[]) AND e.at >= kit_ts($2::bigint)
          AND e.at < kit_ts($3::bigint)
        GROUP BY t.project_id)")) {
      TicketStats& s = out[r[0].as<std::string>()];
      s.escalated_level1 = r[1].as<int64_t>();
      s.escalated_level2 = r[2].as<int64_t>();
      s.fines_fen = r[3].as<int64_t>();
    }
  }
  return out;
}

}  // namespace aftercare::intake::store
