#include "callback/store/targets_store.h"

#include "callback/store/sql_time.h"

#include <spdlog/spdlog.h>

#include "callback/domain/dates.h"
#include "common/pg.h"
#include "common/time.h"

namespace aftercare::callback::store {
namespace {

namespace v1 = aftercare::v1;

// $n::bigint microseconds since the epoch <-> timestamptz, exactly.

constexpr const char* kLoadTargets =
    "SELECT p.timezone, (SELECT policy FROM callback_policies WHERE project_id = p.project_id) "
    "FROM callback_projects p WHERE p.project_id = $1";

constexpr const char* kGroupDoneByRecorder =
    "WITH b AS (SELECT project_id, " AC_TS("f") " AS f, " AC_TS("t") " AS t FROM "
    "unnest($1::text[], $2::bigint[], $3::bigint[]) AS x(project_id, f, t)) "
    "SELECT b.project_id, r.recorded_by, count(*) FROM b "
    "JOIN callbacks c ON c.project_id = b.project_id AND c.due_at >= b.f AND c.due_at < b.t "
    "JOIN callback_records r ON r.callback_id = c.callback_id "
    "WHERE c.status = 'done' GROUP BY b.project_id, r.recorded_by "
    "ORDER BY b.project_id, r.recorded_by";

constexpr const char* kAllTargets =
    "SELECT p.project_id, p.timezone, cp.policy FROM callback_projects p "
    "LEFT JOIN callback_policies cp ON cp.project_id = p.project_id ORDER BY p.project_id";

constexpr const char* kKnownProjects = "SELECT project_id, timezone, " AC_US(
    "first_seen") " FROM callback_projects ORDER BY project_id";

constexpr const char* kPeriodClosed =
    "SELECT 1 FROM callback_period_closes WHERE project_id = $1 AND period_label = $2";

constexpr const char* kInsertPeriodClose =
    "INSERT INTO callback_period_closes (project_id, period_label, closed_at, missed) "
    "VALUES ($1, $2, " AC_TS("$3") ", $4) ON CONFLICT DO NOTHING";

constexpr const char* kInsertAlert =
    "INSERT INTO callback_kpi_alerts (alert_id, project_id, period_label, alert, raised_at) "
    "VALUES ($1::uuid, $2, $3, $4, " AC_TS("$5") ") ON CONFLICT DO NOTHING";

#define AC_ALERT_COLUMNS                                                \
  "alert, acknowledged_by, " AC_US("acknowledged_at") ", note, " AC_US( \
      "raised_at") ", alert_id::text "

constexpr const char* kLoadAlert =
    "SELECT " AC_ALERT_COLUMNS "FROM callback_kpi_alerts WHERE alert_id = $1::uuid";
constexpr const char* kLoadAlertForUpdate =
    "SELECT " AC_ALERT_COLUMNS "FROM callback_kpi_alerts WHERE alert_id = $1::uuid FOR UPDATE";

constexpr const char* kListAlerts =
    "SELECT " AC_ALERT_COLUMNS
    "FROM callback_kpi_alerts WHERE project_id = $1 "
    "AND (NOT $2::boolean OR acknowledged_at IS NULL) "
    "AND ($3::bigint IS NULL OR (raised_at, alert_id) < (" AC_TS("$3") ", $4::uuid)) "
    "ORDER BY raised_at DESC, alert_id DESC LIMIT $5";

constexpr const char* kAcknowledgeAlert =
    "UPDATE callback_kpi_alerts SET acknowledged_by = $2, acknowledged_at = " AC_TS(
        "$3") ", note = $4 WHERE alert_id = $1::uuid";

std::string micros(absl::Time t) {
  return std::to_string(absl::ToUnixMicros(t));
}

v1::KpiAlert alert_of(const pqxx::row& row) {
  v1::KpiAlert a;
  pqxx::binarystring bytes(row[0]);
  if (!a.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw std::runtime_error("callback_kpi_alerts: unreadable alert " + row[5].as<std::string>());
  a.set_acknowledged(!row[2].is_null());
  a.set_acknowledged_by(row[1].c_str());
  if (!row[2].is_null())
    *a.mutable_acknowledged_at() = kit::to_timestamp(absl::FromUnixMicros(row[2].as<int64_t>()));
  a.set_note(row[3].c_str());
  return a;
}

// The stored policy's targets over the platform defaults (NULL: none stored).
domain::Targets targets_of(const std::string& project_id, const pqxx::field& stored) {
  v1::Policy policy;
  if (!stored.is_null()) {
    pqxx::binarystring bytes(stored);
    if (!policy.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      spdlog::warn("project {}: stored policy unreadable, default targets used", project_id);
      policy.Clear();
    }
  }
  return domain::Targets::of(policy);
}

}  // namespace

std::optional<TargetContext> load_targets(pqxx::transaction_base& tx,
                                          const std::string& project_id) {
  pqxx::result r = tx.exec_params(kLoadTargets, project_id);
  if (r.empty()) return std::nullopt;
  return TargetContext{targets_of(project_id, r[0][1]), domain::zone_or_default(r[0][0].c_str())};
}

std::map<std::string, std::vector<domain::RecorderCount>> group_done_by_recorder(
    pqxx::transaction_base& tx, const std::vector<TotalsWindow>& windows) {
  std::map<std::string, std::vector<domain::RecorderCount>> out;
  std::vector<std::string> ids, froms, tos;
  for (const TotalsWindow& w : windows) {
    ids.push_back(w.project_id);
    froms.push_back(micros(w.from));
    tos.push_back(micros(w.to));
  }
  if (windows.empty()) return out;
  for (const auto& row : tx.exec_params(kGroupDoneByRecorder, kit::text_array(ids),
                                        kit::text_array(froms), kit::text_array(tos)))
    out[row[0].c_str()].push_back({row[1].c_str(), row[2].as<int64_t>()});
  return out;
}

std::map<std::string, TargetContext> all_targets(pqxx::transaction_base& tx) {
  std::map<std::string, TargetContext> out;
  for (const auto& row : tx.exec(kAllTargets)) {
    const std::string project_id = row[0].c_str();
    out.emplace(project_id, TargetContext{targets_of(project_id, row[2]),
                                          domain::zone_or_default(row[1].c_str())});
  }
  return out;
}

std::vector<domain::RecorderCount> done_by_recorder(pqxx::transaction_base& tx,
                                                    const std::string& project_id, absl::Time from,
                                                    absl::Time to) {
  return group_done_by_recorder(tx, {{project_id, from, to}})[project_id];
}

std::vector<KnownProject> known_projects(pqxx::transaction_base& tx) {
  std::vector<KnownProject> out;
  for (const auto& row : tx.exec(kKnownProjects))
    out.push_back({row[0].c_str(), row[1].c_str(), absl::FromUnixMicros(row[2].as<int64_t>())});
  return out;
}

bool period_closed(pqxx::transaction_base& tx, const std::string& project_id,
                   const std::string& period_label) {
  return !tx.exec_params(kPeriodClosed, project_id, period_label).empty();
}

bool insert_period_close(pqxx::transaction_base& tx, const std::string& project_id,
                         const std::string& period_label, int missed, absl::Time now) {
  return tx.exec_params(kInsertPeriodClose, project_id, period_label, micros(now), missed)
             .affected_rows() == 1;
}

void insert_alert(pqxx::transaction_base& tx, const v1::KpiAlert& alert) {
  std::string bytes = alert.SerializeAsString();
  tx.exec_params(kInsertAlert, alert.alert_id(), alert.project_id(), alert.period_label(),
                 pqxx::binarystring(bytes.data(), bytes.size()),
                 micros(kit::from_timestamp(alert.raised_at())));
}

std::optional<v1::KpiAlert> load_alert(pqxx::transaction_base& tx, const std::string& alert_id,
                                       bool for_update) {
  pqxx::result r = tx.exec_params(for_update ? kLoadAlertForUpdate : kLoadAlert, alert_id);
  if (r.empty()) return std::nullopt;
  return alert_of(r[0]);
}

std::vector<v1::KpiAlert> list_alerts(pqxx::transaction_base& tx, const AlertPage& page) {
  std::optional<std::string> after_us, after_id;
  if (page.after) {
    after_us = micros(page.after->first);
    after_id = page.after->second;
  }
  std::vector<v1::KpiAlert> out;
  for (const auto& row :
       tx.exec_params(kListAlerts, page.project_id, page.open_only, after_us, after_id, page.limit))
    out.push_back(alert_of(row));
  return out;
}

void acknowledge_alert(pqxx::transaction_base& tx, const std::string& alert_id,
                       const std::string& by, const std::string& note, absl::Time now) {
  tx.exec_params(kAcknowledgeAlert, alert_id, by, micros(now), note);
}

}  // namespace aftercare::callback::store
