#include "callback/store/callback_store.h"

#include "callback/store/sql_time.h"

#include <spdlog/spdlog.h>

#include "callback/domain/dates.h"
#include "callback/domain/events.h"
#include "callback/domain/names.h"
#include "common/pg.h"
#include "common/report_windows.h"

namespace aftercare::callback::store {

using kit::text_array;
namespace {

namespace v1 = aftercare::v1;

// ---- SQL ------------------------------------------------------------------------------------
// $n::bigint microseconds since the epoch <-> timestamptz, exactly.

constexpr const char* kUpsertProject =
    "INSERT INTO callback_projects (project_id, timezone) VALUES ($1, $2) "
    "ON CONFLICT (project_id) DO UPDATE SET timezone = EXCLUDED.timezone, updated_at = now()";

constexpr const char* kUpsertPolicy =
    "INSERT INTO callback_policies (project_id, version, policy) VALUES ($1, $2, $3) "
    "ON CONFLICT (project_id) DO UPDATE SET version = EXCLUDED.version, policy = EXCLUDED.policy, "
    "updated_at = now() WHERE callback_policies.version < EXCLUDED.version";

constexpr const char* kLoadContext =
    "SELECT (SELECT timezone FROM callback_projects WHERE project_id = $1), "
    "(SELECT policy FROM callback_policies WHERE project_id = $1)";
// The same and the origin of work order $2 (NULL when not known), for the sign-off's callback.
constexpr const char* kLoadContextAndOrigin =
    "SELECT (SELECT timezone FROM callback_projects WHERE project_id = $1), "
    "(SELECT policy FROM callback_policies WHERE project_id = $1), "
    "(SELECT origin FROM callback_work_orders WHERE work_order_id = $2)";

constexpr const char* kUpsertUnit =
    "INSERT INTO callback_units (unit_id, project_id, owner_id, handover_date) "
    "VALUES ($1, $2, $3, $4::date) "
    "ON CONFLICT (unit_id) DO UPDATE SET project_id = EXCLUDED.project_id, "
    "owner_id = EXCLUDED.owner_id, handover_date = EXCLUDED.handover_date, updated_at = now()";

constexpr const char* kHandOutreachToNewOwner =
    "UPDATE callbacks SET owner_id = $2, updated_at = now() "
    "WHERE unit_id = $1 AND status = 'pending' AND ticket_id = '' AND owner_id <> $2";

constexpr const char* kLoadUnit =
    "SELECT unit_id, project_id, owner_id, to_char(handover_date, 'YYYY-MM-DD') "
    "FROM callback_units WHERE unit_id = $1";

// The callback's own columns row_to_callback reads first, in order.
#define AC_CALLBACK_OWN_COLUMNS \
  "c.callback_id::text, c.project_id, c.unit_id, c.owner_id, c.ticket_id, c.work_order_id, " \
  "c.reason, c.due_kind, c.component, c.milestone_months, "                                  \
  "to_char(c.warranty_ends, 'YYYY-MM-DD'), " AC_US("c.basis_at") ", " AC_US("c.due_at") ", " \
  "c.status, c.assigned_agent, c.attempts, " AC_US("c.last_attempt_at") ", "                \
  AC_US("c.next_attempt_at") ", " AC_US("c.created_at") ", " AC_US("c.updated_at")

constexpr const char* kInsertCallback =
    "INSERT INTO callbacks AS c (callback_id, source_key, project_id, unit_id, owner_id, ticket_id, "
    "work_order_id, reason, due_kind, component, milestone_months, warranty_ends, basis_at, "
    "due_at, assigned_agent, created_at, updated_at) "
    "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::date, " AC_TS("$13") ", "
    AC_TS("$14") ", $15, " AC_TS("$16") ", " AC_TS("$16") ") "
    "ON CONFLICT (source_key) DO NOTHING RETURNING " AC_CALLBACK_OWN_COLUMNS
    // a new callback has no record, review or rework yet (issue 21: no read back)
    ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL";

// The columns row_to_callback reads, in order.
#define AC_CALLBACK_COLUMNS \
  AC_CALLBACK_OWN_COLUMNS ", " \
  "r.satisfaction, r.score, r.attitude, r.timely, r.charge_ok, r.comment, r.owner_confirmed, " \
  "r.recorded_by, " AC_US("r.recorded_at") ", "                                                \
  "v.reviewer_id, v.approved, v.note, " AC_US("v.reviewed_at") ", " AC_US("w.return_due") " "

#define AC_CALLBACK_FROM                                           \
  "FROM callbacks c "                                              \
  "LEFT JOIN callback_records r ON r.callback_id = c.callback_id " \
  "LEFT JOIN callback_reviews v ON v.callback_id = c.callback_id " \
  "LEFT JOIN callback_reworks w ON w.callback_id = c.callback_id "

constexpr const char* kLoadCallback =
    "SELECT " AC_CALLBACK_COLUMNS AC_CALLBACK_FROM "WHERE c.callback_id = $1::uuid";
constexpr const char* kLoadCallbackForUpdate =
    "SELECT " AC_CALLBACK_COLUMNS AC_CALLBACK_FROM "WHERE c.callback_id = $1::uuid FOR UPDATE OF c";
constexpr const char* kFindBySourceKey =
    "SELECT " AC_CALLBACK_COLUMNS AC_CALLBACK_FROM "WHERE c.source_key = $1";

// Optional filters: a NULL parameter disables its condition.
constexpr const char* kListCallbacks =
    "SELECT " AC_CALLBACK_COLUMNS AC_CALLBACK_FROM
    "WHERE ($1::text[] IS NULL OR c.project_id = ANY($1::text[])) "
    "AND ($2::text IS NULL OR c.project_id = $2) "
    "AND ($3::text IS NULL OR c.ticket_id = $3) "
    "AND ($4::bigint IS NULL OR c.due_at < " AC_TS("$4") ") "
    "AND ($5::text IS NULL OR c.status = $5) "
    "AND ($6::text IS NULL OR c.assigned_agent = $6) "
    "AND ($7::text IS NULL OR c.reason = $7) "
    "AND ($8::bigint IS NULL OR (c.due_at, c.callback_id) > (" AC_TS("$8") ", $9::uuid)) "
    "ORDER BY c.due_at, c.callback_id LIMIT $10";

constexpr const char* kWorkList =
    "SELECT " AC_CALLBACK_COLUMNS AC_CALLBACK_FROM
    "WHERE c.status = 'pending' "
    "AND ($1::text[] IS NULL OR c.project_id = ANY($1::text[])) "
    "AND (c.assigned_agent = $2 OR c.assigned_agent = '') "
    "AND c.due_at <= " AC_TS("$3") " "
    "AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= " AC_TS("$3") ") "
    "ORDER BY c.due_at, c.callback_id LIMIT $4";

constexpr const char* kCountRecordedBy =
    "SELECT count(*) FROM callback_records r JOIN callbacks c ON c.callback_id = r.callback_id "
    "WHERE r.recorded_by = $2 AND ($1::text[] IS NULL OR c.project_id = ANY($1::text[])) "
    "AND r.recorded_at >= " AC_TS("$3") " AND r.recorded_at < " AC_TS("$4");

constexpr const char* kInsertRecord =
    "INSERT INTO callback_records (callback_id, satisfaction, score, attitude, timely, charge_ok, "
    "comment, owner_confirmed, recorded_by, recorded_at, on_time) "
    "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, " AC_TS("$10") ", $11) "
    "ON CONFLICT (callback_id) DO NOTHING";

constexpr const char* kMarkDone =
    "UPDATE callbacks SET status = 'done', closed_at = " AC_TS("$2") ", next_attempt_at = NULL, "
    "updated_at = " AC_TS("$2") " WHERE callback_id = $1::uuid";

constexpr const char* kInsertAttempt =
    "INSERT INTO callback_attempts (callback_id, attempt_no, agent_id, attempted_at, note, "
    "next_attempt_at, gave_up) VALUES ($1::uuid, $2, $3, " AC_TS("$4") ", $5, " AC_TS("$6") ", $7)";

constexpr const char* kUpdateAfterAttempt =
    "UPDATE callbacks SET attempts = $2, last_attempt_at = " AC_TS("$3") ", "
    "next_attempt_at = " AC_TS("$4") ", "
    "status = CASE WHEN $5 THEN 'failed' ELSE status END, "
    "closed_at = CASE WHEN $5 THEN " AC_TS("$3") " ELSE closed_at END, "
    "updated_at = " AC_TS("$3") " WHERE callback_id = $1::uuid";

constexpr const char* kAssign =
    "UPDATE callbacks SET assigned_agent = $2, updated_at = " AC_TS("$3") " "
    "WHERE callback_id = $1::uuid";
constexpr const char* kInsertAssignment =
    "INSERT INTO callback_assignments (callback_id, from_agent, to_agent, assigned_by, "
    "assigned_at) "
    "VALUES ($1::uuid, $2, $3, $5, " AC_TS("$4") ")";

constexpr const char* kInsertReview =
    "INSERT INTO callback_reviews (callback_id, reviewer_id, approved, note, reviewed_at) "
    "VALUES ($1::uuid, $2, $3, $4, " AC_TS("$5") ") ON CONFLICT (callback_id) DO NOTHING";

constexpr const char* kInsertRework =
    "INSERT INTO callback_reworks (callback_id, project_id, ticket_id, work_order_id, reason, "
    "requested_at, return_due) VALUES ($1::uuid, $2, $3, $4, $5, " AC_TS("$6") ", " AC_TS("$7") ") "
    "ON CONFLICT (callback_id) DO NOTHING";

constexpr const char* kMarkReworkReturned =
    "UPDATE callback_reworks SET returned_at = " AC_TS("$3") ", rework_work_order_id = $2 "
    "WHERE work_order_id = $1 AND returned_at IS NULL";

constexpr const char* kProjectsWithUnits =
    "SELECT DISTINCT project_id FROM callback_units WHERE handover_date IS NOT NULL ORDER BY 1";

constexpr const char* kUnitsHandedOverBetween =
    "SELECT unit_id, project_id, owner_id, to_char(handover_date, 'YYYY-MM-DD') "
    "FROM callback_units WHERE project_id = $1 AND handover_date BETWEEN $2::date AND $3::date "
    "ORDER BY unit_id";

// Per window (project, from, to): $1 project ids, $2 and $3 the bounds in microseconds.
constexpr const char* kGroupProjectTotals =
    "WITH b AS (SELECT project_id, " AC_TS("f") " AS f, " AC_TS("t") " AS t FROM "
    "unnest($1::text[], $2::bigint[], $3::bigint[]) AS x(project_id, f, t)) "
    "SELECT b.project_id, count(*), "
    "count(*) FILTER (WHERE c.status = 'done'), "
    "count(*) FILTER (WHERE c.status = 'done' AND r.on_time), "
    "count(*) FILTER (WHERE c.status = 'failed'), "
    "count(*) FILTER (WHERE r.satisfaction = 'satisfied'), "
    "count(*) FILTER (WHERE r.satisfaction = 'basically_satisfied'), "
    "count(*) FILTER (WHERE r.satisfaction = 'unsatisfied'), "
    "count(w.callback_id), "
    "count(w.returned_at), "
    "count(*) FILTER (WHERE w.returned_at <= w.return_due), "
    "count(v.callback_id) "
    "FROM b JOIN callbacks c ON c.project_id = b.project_id AND c.due_at >= b.f AND c.due_at < b.t "
    "LEFT JOIN callback_records r ON r.callback_id = c.callback_id "
    "LEFT JOIN callback_reviews v ON v.callback_id = c.callback_id "
    "LEFT JOIN callback_reworks w ON w.callback_id = c.callback_id "
    "GROUP BY b.project_id";

constexpr const char* kAgentCounts =
    "SELECT agent, sum(done)::bigint, sum(attempts)::bigint FROM ("
    "  SELECT r.recorded_by AS agent, 1 AS done, 0 AS attempts FROM callback_records r "
    "  JOIN callbacks c ON c.callback_id = r.callback_id WHERE c.project_id = $1 "
    "  AND r.recorded_at >= " AC_TS("$2") " AND r.recorded_at < " AC_TS("$3") " "
    "  UNION ALL "
    "  SELECT a.agent_id, 0, 1 FROM callback_attempts a "
    "  JOIN callbacks c ON c.callback_id = a.callback_id WHERE c.project_id = $1 "
    "  AND a.attempted_at >= " AC_TS("$2") " AND a.attempted_at < " AC_TS("$3") " "
    ") x WHERE ($4::text IS NULL OR agent = $4) GROUP BY agent ORDER BY agent";

// ---- helpers ------------------------------------------------------------------------------

std::string micros(absl::Time t) {
  return std::to_string(absl::ToUnixMicros(t));
}
std::string micros(const std::optional<absl::Time>& t) {
  return t ? micros(*t) : std::string();
}

void set_micros(google::protobuf::Timestamp* out, const pqxx::field& f) {
  domain::set_timestamp(out, absl::FromUnixMicros(f.as<int64_t>()));
}

template <typename Enum>
Enum enum_of(const pqxx::field& f) {
  auto value = domain::parse_public_name<Enum>(f.c_str());
  return value ? *value : static_cast<Enum>(0);
}

v1::CallbackStatus status_of(const std::string& s) {
  if (s == "done") return v1::CALLBACK_STATUS_DONE;
  if (s == "failed") return v1::CALLBACK_STATUS_FAILED;
  return v1::CALLBACK_STATUS_PENDING;
}

v1::Callback row_to_callback(const pqxx::row& row) {
  v1::Callback cb;
  int i = 0;
  cb.set_callback_id(row[i++].c_str());
  cb.set_project_id(row[i++].c_str());
  cb.set_unit_id(row[i++].c_str());
  cb.set_owner_id(row[i++].c_str());
  cb.set_ticket_id(row[i++].c_str());
  cb.set_work_order_id(row[i++].c_str());
  cb.set_reason(enum_of<v1::CallbackReason>(row[i++]));
  cb.set_due_kind(enum_of<v1::CallbackDueKind>(row[i++]));
  cb.set_component(enum_of<v1::Component>(row[i++]));
  cb.set_milestone_months(row[i++].as<int>());
  if (!row[i].is_null()) {
    absl::CivilDay day;
    if (domain::parse_day(row[i].c_str(), &day)) *cb.mutable_warranty_ends() = domain::to_date(day);
  }
  ++i;
  if (!row[i].is_null()) set_micros(cb.mutable_basis_at(), row[i]);
  ++i;
  set_micros(cb.mutable_due_at(), row[i++]);
  cb.set_status(status_of(row[i++].c_str()));
  cb.set_assigned_agent(row[i++].c_str());
  cb.set_attempts(row[i++].as<int>());
  if (!row[i].is_null()) set_micros(cb.mutable_last_attempt_at(), row[i]);
  ++i;
  if (!row[i].is_null()) set_micros(cb.mutable_next_attempt_at(), row[i]);
  ++i;
  set_micros(cb.mutable_created_at(), row[i++]);
  set_micros(cb.mutable_updated_at(), row[i++]);
  if (!row[i].is_null()) {  // the record
    v1::CallbackOutcome* o = cb.mutable_outcome();
    o->set_reached(true);
    o->set_satisfaction(enum_of<v1::Satisfaction>(row[i]));
    o->set_score(row[i + 1].as<int>());
    o->set_attitude(row[i + 2].as<int>());
    o->set_timely(row[i + 3].as<bool>());
    o->set_charge_ok(row[i + 4].as<bool>());
    o->set_comment(row[i + 5].c_str());
    o->set_owner_confirmed(row[i + 6].as<bool>());
    o->set_recorded_by(row[i + 7].c_str());
    set_micros(o->mutable_recorded_at(), row[i + 8]);
  }
  i += 9;
  if (!row[i].is_null()) {  // the review
    v1::CallbackReview* r = cb.mutable_review();
    r->set_reviewer_id(row[i].c_str());
    r->set_approved(row[i + 1].as<bool>());
    r->set_note(row[i + 2].c_str());
    set_micros(r->mutable_reviewed_at(), row[i + 3]);
  }
  i += 4;
  if (!row[i].is_null()) set_micros(cb.mutable_rework_return_due(), row[i]);
  return cb;
}

std::vector<v1::Callback> rows_to_callbacks(const pqxx::result& result) {
  std::vector<v1::Callback> out;
  out.reserve(result.size());
  for (const auto& row : result) out.push_back(row_to_callback(row));
  return out;
}

UnitRow row_to_unit(const pqxx::row& row) {
  UnitRow unit{row[0].c_str(), row[1].c_str(), row[2].c_str(), std::nullopt};
  absl::CivilDay day;
  if (!row[3].is_null() && domain::parse_day(row[3].c_str(), &day)) unit.handover = day;
  return unit;
}

}  // namespace

void upsert_project(pqxx::transaction_base& tx, const std::string& project_id,
                    const std::string& timezone) {
  tx.exec_params(kUpsertProject, project_id, timezone);
}

void upsert_policy(pqxx::transaction_base& tx, const std::string& project_id, int64_t version,
                   const std::string& serialized_policy) {
  tx.exec_params(kUpsertPolicy, project_id, version,
                 pqxx::binarystring(serialized_policy.data(), serialized_policy.size()));
}

void upsert_unit(pqxx::transaction_base& tx, const UnitRow& unit) {
  std::string handover = unit.handover ? domain::format_day(*unit.handover) : "";
  tx.exec_params(kUpsertUnit, unit.unit_id, unit.project_id, unit.owner_id,
                 kit::nullable(handover));
  tx.exec_params(kHandOutreachToNewOwner, unit.unit_id, unit.owner_id);
}

std::optional<UnitRow> load_unit(pqxx::transaction_base& tx, const std::string& unit_id) {
  pqxx::result r = tx.exec_params(kLoadUnit, unit_id);
  if (r.empty()) return std::nullopt;
  return row_to_unit(r[0]);
}

ProjectContext load_context(pqxx::transaction_base& tx, const std::string& project_id) {
  pqxx::result r = kit::exec_prepared(tx, "callback_load_context", kLoadContext, project_id);
  return context_from(project_id, r[0][0], r[0][1]);
}

ProjectContext load_context(pqxx::transaction_base& tx, const std::string& project_id,
                            const std::string& work_order_id,
                            std::optional<std::string>* work_order_origin) {
  pqxx::result r = kit::exec_prepared(tx, "callback_load_context_and_origin", kLoadContextAndOrigin,
                                      project_id, work_order_id);
  *work_order_origin =
      r[0][2].is_null() ? std::nullopt : std::optional<std::string>(r[0][2].c_str());
  return context_from(project_id, r[0][0], r[0][1]);
}

ProjectContext context_from(const std::string& project_id, const pqxx::field& timezone,
                            const pqxx::field& policy_bytes) {
  ProjectContext context{domain::CallbackPolicy::defaults(),
                         domain::zone_or_default(timezone.is_null() ? "" : timezone.c_str())};
  if (!policy_bytes.is_null()) {
    pqxx::binarystring bytes(policy_bytes);
    v1::Policy policy;
    if (policy.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      std::string error = context.policy.apply_overrides(policy);
      // intake validated the policy with its own bounds; one this service cannot use keeps the
      // defaults rather than stopping callbacks of the whole project.
      if (!error.empty()) {
        spdlog::warn("project {}: policy not applied, defaults used: {}", project_id, error);
      }
    }
  }
  return context;
}

std::optional<v1::Callback> insert_callback(pqxx::transaction_base& tx, const NewCallback& c) {
  std::string ends = c.warranty_ends ? domain::format_day(*c.warranty_ends) : "";
  std::string basis = micros(c.basis_at);
  pqxx::result r = kit::exec_prepared(
      tx, "callback_insert", kInsertCallback, c.callback_id, c.source_key, c.project_id, c.unit_id,
      c.owner_id, c.ticket_id, c.work_order_id, domain::public_name(c.reason),
      domain::public_name(c.due_kind), domain::public_name(c.component), c.milestone_months,
      kit::nullable(ends), kit::nullable(basis), micros(c.due_at), c.assigned_agent, micros(c.now));
  if (r.empty()) return std::nullopt;
  return row_to_callback(r[0]);
}

std::optional<v1::Callback> find_by_source_key(pqxx::transaction_base& tx,
                                               const std::string& source_key) {
  pqxx::result r = tx.exec_params(kFindBySourceKey, source_key);
  if (r.empty()) return std::nullopt;
  return row_to_callback(r[0]);
}

std::optional<v1::Callback> load_callback(pqxx::transaction_base& tx,
                                          const std::string& callback_id, bool for_update) {
  pqxx::result r = tx.exec_params(for_update ? kLoadCallbackForUpdate : kLoadCallback, callback_id);
  if (r.empty()) return std::nullopt;
  return row_to_callback(r[0]);
}

std::vector<v1::Callback> list_callbacks(pqxx::transaction_base& tx, const ListFilter& f) {
  std::string projects = f.all_projects ? "" : text_array(f.projects);
  std::string due_before = micros(f.due_before);
  std::string after = micros(f.after_due);
  std::string after_id = f.after_due ? f.after_id : "";
  const char* agent = f.assigned_agent ? f.assigned_agent->c_str() : nullptr;
  return rows_to_callbacks(tx.exec_params(
      kListCallbacks, kit::nullable(projects), kit::nullable(f.project_id),
      kit::nullable(f.ticket_id), kit::nullable(due_before), kit::nullable(f.status), agent,
      kit::nullable(f.reason), kit::nullable(after), kit::nullable(after_id), f.limit));
}

std::vector<v1::Callback> work_list(pqxx::transaction_base& tx, bool all_projects,
                                    const std::vector<std::string>& projects,
                                    const std::string& agent, absl::Time day_end, int limit) {
  std::string scope = all_projects ? "" : text_array(projects);
  return rows_to_callbacks(
      tx.exec_params(kWorkList, kit::nullable(scope), agent, micros(day_end), limit));
}

int64_t count_recorded_by(pqxx::transaction_base& tx, bool all_projects,
                          const std::vector<std::string>& projects, const std::string& agent,
                          absl::Time from, absl::Time to) {
  std::string scope = all_projects ? "" : text_array(projects);
  return tx
      .exec_params(kCountRecordedBy, kit::nullable(scope), agent, micros(from), micros(to))[0][0]
      .as<int64_t>();
}

bool record_answer(pqxx::transaction_base& tx, const std::string& callback_id,
                   const v1::CallbackOutcome& o, bool on_time, absl::Time now) {
  pqxx::result r = tx.exec_params(kInsertRecord, callback_id, domain::public_name(o.satisfaction()),
                                  o.score(), o.attitude(), o.timely(), o.charge_ok(), o.comment(),
                                  o.owner_confirmed(), o.recorded_by(), micros(now), on_time);
  if (r.affected_rows() == 0) return false;
  tx.exec_params(kMarkDone, callback_id, micros(now));
  return true;
}

void record_attempt(pqxx::transaction_base& tx, const std::string& callback_id,
                    const domain::AttemptDecision& d, const std::string& agent_id,
                    const std::string& note, absl::Time now) {
  std::string next = micros(d.next_attempt_at);
  tx.exec_params(kInsertAttempt, callback_id, d.attempt_no, agent_id, micros(now), note,
                 kit::nullable(next), d.gave_up);
  tx.exec_params(kUpdateAfterAttempt, callback_id, d.attempt_no, micros(now), kit::nullable(next),
                 d.gave_up);
}

void assign(pqxx::transaction_base& tx, const std::string& callback_id,
            const std::string& from_agent, const std::string& to_agent,
            const std::string& assigned_by, absl::Time now) {
  tx.exec_params(kAssign, callback_id, to_agent, micros(now));
  tx.exec_params(kInsertAssignment, callback_id, from_agent, to_agent, micros(now), assigned_by);
}

bool insert_review(pqxx::transaction_base& tx, const std::string& callback_id,
                   const std::string& reviewer_id, bool approved, const std::string& note,
                   absl::Time now) {
  return tx.exec_params(kInsertReview, callback_id, reviewer_id, approved, note, micros(now))
             .affected_rows() > 0;
}

void insert_rework(pqxx::transaction_base& tx, const v1::Callback& cb, const std::string& reason,
                   absl::Time requested_at, absl::Time return_due) {
  tx.exec_params(kInsertRework, cb.callback_id(), cb.project_id(), cb.ticket_id(),
                 cb.work_order_id(), reason, micros(requested_at), micros(return_due));
}

int mark_rework_returned(pqxx::transaction_base& tx, const std::string& rework_of,
                         const std::string& rework_work_order_id, absl::Time at) {
  return static_cast<int>(
      tx.exec_params(kMarkReworkReturned, rework_of, rework_work_order_id, micros(at))
          .affected_rows());
}

std::vector<std::string> projects_with_units(pqxx::transaction_base& tx) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec(kProjectsWithUnits)) out.emplace_back(row[0].c_str());
  return out;
}

std::vector<UnitRow> units_handed_over_between(pqxx::transaction_base& tx,
                                               const std::string& project_id, absl::CivilDay first,
                                               absl::CivilDay last) {
  std::vector<UnitRow> out;
  for (const auto& row : tx.exec_params(kUnitsHandedOverBetween, project_id,
                                        domain::format_day(first), domain::format_day(last))) {
    out.push_back(row_to_unit(row));
  }
  return out;
}

ProjectTotals project_totals(pqxx::transaction_base& tx, const std::string& project_id,
                             absl::Time from, absl::Time to) {
  return group_project_totals(tx, {{project_id, from, to}})[project_id];
}

std::map<std::string, ProjectTotals> group_project_totals(
    pqxx::transaction_base& tx, const std::vector<TotalsWindow>& windows) {
  std::map<std::string, ProjectTotals> out;
  kit::ReportWindows arrays(windows, &TotalsWindow::from, &TotalsWindow::to, out);
  if (arrays.empty()) return out;
  for (const auto& r :
       tx.exec_params(kGroupProjectTotals, arrays.project_ids(), arrays.froms(), arrays.tos())) {
    ProjectTotals& t = out[r[0].as<std::string>()];
    t.due = r[1].as<int64_t>();
    t.done = r[2].as<int64_t>();
    t.done_on_time = r[3].as<int64_t>();
    t.failed = r[4].as<int64_t>();
    t.satisfied = r[5].as<int64_t>();
    t.basically_satisfied = r[6].as<int64_t>();
    t.unsatisfied = r[7].as<int64_t>();
    t.reworks_requested = r[8].as<int64_t>();
    t.reworks_returned = r[9].as<int64_t>();
    t.reworks_returned_on_time = r[10].as<int64_t>();
    t.reviewed = r[11].as<int64_t>();
  }
  return out;
}

std::vector<AgentCounts> agent_counts(pqxx::transaction_base& tx, const std::string& project_id,
                                      absl::Time from, absl::Time to, const std::string& agent_id) {
  std::vector<AgentCounts> out;
  for (const auto& row : tx.exec_params(kAgentCounts, project_id, micros(from), micros(to),
                                        kit::nullable(agent_id))) {
    out.push_back({row[0].c_str(), row[1].as<int64_t>(), row[2].as<int64_t>()});
  }
  return out;
}

}  // namespace aftercare::callback::store
