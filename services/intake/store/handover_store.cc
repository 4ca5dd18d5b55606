#include "intake/store/handover_store.h"

#include "common/time.h"
#include "intake/domain/dates.h"
#include "intake/domain/names.h"

namespace aftercare::intake::store {
namespace {

using kit::from_timestamp;
using kit::to_micros;

constexpr const char* kInsertInspection = R"(
  INSERT INTO inspections (inspection_id, project_id, unit_id, stage, status, created_at, data)
  VALUES ($1::uuid, $2, $3, $4, $5, kit_ts($6), $7))";
constexpr const char* kUpdateInspection =
    "UPDATE inspections SET status = $2, data = $3 WHERE inspection_id = $1::uuid";
constexpr const char* kFindInspection =
    "SELECT data FROM inspections WHERE inspection_id = $1::uuid";
constexpr const char* kInspectionsOfUnit =
    "SELECT data FROM inspections WHERE unit_id = $1 ORDER BY seq";

constexpr const char* kInsertDefect = R"(
  INSERT INTO inspection_defects (defect_id, inspection_id, project_id, unit_id, status,
    work_order_id, party_id, component, rectify_due, created_at, data)
  VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, kit_ts($9), kit_ts($10), $11))";
constexpr const char* kUpdateDefect = R"(
  UPDATE inspection_defects SET status = $2, work_order_id = $3, party_id = $4,
    fixed_at = CASE WHEN $5::bigint = 0 THEN NULL ELSE kit_ts($5) END,
    ticket_id = nullif($6, '')::uuid, data = $7
  WHERE defect_id = $1::uuid)";
constexpr const char* kFindDefect =
    "SELECT data FROM inspection_defects WHERE defect_id = $1::uuid";
constexpr const char* kDefectsOfInspection = R"(
  SELECT data FROM inspection_defects WHERE inspection_id = $1::uuid ORDER BY seq)";
constexpr const char* kLockDefectsOfUnit = R"(
  SELECT data FROM inspection_defects WHERE unit_id = $1 ORDER BY seq FOR UPDATE)";

constexpr const char* kKeyColumns = R"(unit_id, project_id, coalesce(notice_on::text, ''),
  coalesce(collected_on::text, ''), coalesce(last_reminded_on::text, ''), reminders)";
constexpr const char* kSetNotice = R"(
  INSERT INTO unit_keys (unit_id, project_id, notice_on) VALUES ($1, $2, $3::date)
  ON CONFLICT (unit_id) DO UPDATE SET notice_on = EXCLUDED.notice_on)";
constexpr const char* kRecordHandover = R"(
  INSERT INTO unit_keys (unit_id, project_id, collected_on, handed_over_at, handed_over_by)
  VALUES ($1, $2, $3::date, kit_ts($4), $5)
  ON CONFLICT (unit_id) DO UPDATE SET collected_on = EXCLUDED.collected_on,
    handed_over_at = EXCLUDED.handed_over_at, handed_over_by = EXCLUDED.handed_over_by
  WHERE unit_keys.collected_on IS NULL)";
constexpr const char* kUncollected = R"(
  SELECT unit_id, project_id, coalesce(notice_on::text, ''), coalesce(collected_on::text, ''),
    coalesce(last_reminded_on::text, ''), reminders
  FROM unit_keys WHERE project_id = $1 AND collected_on IS NULL AND notice_on <= $2::date
  ORDER BY notice_on, unit_id)";
constexpr const char* kRecordReminder = R"(
  UPDATE unit_keys SET reminders = reminders + 1, last_reminded_on = $2::date
  WHERE unit_id = $1 AND collected_on IS NULL
    AND (last_reminded_on IS NULL OR last_reminded_on < $2::date))";
constexpr const char* kSetHandoverDate =
    "UPDATE units SET handover_date = $2::date, updated_at = now() WHERE unit_id = $1";

constexpr const char* kInsertPermit = R"(
  INSERT INTO decoration_permits (permit_id, project_id, unit_id, status, applied_at, data)
  VALUES ($1::uuid, $2, $3, $4, kit_ts($5), $6))";
constexpr const char* kUpdatePermit = R"(
  UPDATE decoration_permits SET status = $2,
    decided_at = CASE WHEN $3::bigint = 0 THEN NULL ELSE kit_ts($3) END,
    finished_at = CASE WHEN $4::bigint = 0 THEN NULL ELSE kit_ts($4) END,
    deposit_fen = $5, deductions_fen = $6, refunded_fen = $7, data = $8
  WHERE permit_id = $1::uuid)";
constexpr const char* kFindPermit =
    "SELECT data FROM decoration_permits WHERE permit_id = $1::uuid";
constexpr const char* kListPermits = R"(
  SELECT data FROM decoration_permits WHERE project_id = $1 AND ($2 = 0 OR status = $2)
  ORDER BY seq LIMIT $3)";

pqxx::binarystring blob(const google::protobuf::Message& m, std::string& buffer) {
  buffer = m.SerializeAsString();
  return pqxx::binarystring(buffer.data(), buffer.size());
}

template <typename M>
M parse(const pqxx::field& f) {
  pqxx::binarystring bytes(f);
  M m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw std::runtime_error("stored " + M::descriptor()->name() + " does not parse");
  return m;
}

template <typename M>
std::vector<M> parse_all(const pqxx::result& rows) {
  std::vector<M> out;
  for (const auto& r : rows) out.push_back(parse<M>(r[0]));
  return out;
}

int64_t micros_or_zero(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return 0;
  return to_micros(from_timestamp(ts));
}

std::optional<absl::CivilDay> day_or_null(const pqxx::field& f) {
  std::string s = f.as<std::string>();
  if (s.empty()) return std::nullopt;
  absl::CivilDay d;
  if (!absl::ParseCivilTime(s, &d)) return std::nullopt;
  return d;
}

UnitKeys keys_from_row(const pqxx::row& r) {
  UnitKeys k;
  k.unit_id = r[0].as<std::string>();
  k.project_id = r[1].as<std::string>();
  k.notice_on = day_or_null(r[2]);
  k.collected_on = day_or_null(r[3]);
  k.last_reminded_on = day_or_null(r[4]);
  k.reminders = r[5].as<int>();
  return k;
}

}  // namespace

// ---- inspections and defects ----

void insert_inspection(pqxx::transaction_base& tx, const v1::Inspection& i) {
  v1::Inspection stored = i;
  stored.clear_defects();
  std::string buffer;
  tx.exec_params0(kInsertInspection, i.inspection_id(), i.project_id(), i.unit_id(),
                  static_cast<int>(i.stage()), static_cast<int>(i.status()),
                  to_micros(from_timestamp(i.created_at())), blob(stored, buffer));
}

void update_inspection(pqxx::transaction_base& tx, const v1::Inspection& i) {
  v1::Inspection stored = i;
  stored.clear_defects();
  std::string buffer;
  tx.exec_params0(kUpdateInspection, i.inspection_id(), static_cast<int>(i.status()),
                  blob(stored, buffer));
}

std::optional<v1::Inspection> find_inspection(pqxx::transaction_base& tx, const std::string& id,
                                              bool for_update) {
  auto rows = tx.exec_params(std::string(kFindInspection) + (for_update ? " FOR UPDATE" : ""), id);
  if (rows.empty()) return std::nullopt;
  return parse<v1::Inspection>(rows[0][0]);
}

std::vector<v1::Inspection> inspections_of_unit(pqxx::transaction_base& tx,
                                                const std::string& unit_id) {
  return parse_all<v1::Inspection>(tx.exec_params(kInspectionsOfUnit, unit_id));
}

void insert_defect(pqxx::transaction_base& tx, const std::string& project_id, const v1::Defect& d) {
  std::string buffer;
  tx.exec_params0(kInsertDefect, d.defect_id(), d.inspection_id(), project_id, d.unit_id(),
                  static_cast<int>(d.status()), d.work_order_id(), d.party_id(),
                  static_cast<int>(d.component()), to_micros(from_timestamp(d.rectify_due())),
                  to_micros(from_timestamp(d.created_at())), blob(d, buffer));
}

void update_defect(pqxx::transaction_base& tx, const v1::Defect& d) {
  std::string buffer;
  tx.exec_params0(kUpdateDefect, d.defect_id(), static_cast<int>(d.status()), d.work_order_id(),
                  d.party_id(), micros_or_zero(d.fixed_at()), d.ticket_id(), blob(d, buffer));
}

std::optional<v1::Defect> find_defect(pqxx::transaction_base& tx, const std::string& defect_id,
                                      bool for_update) {
  auto rows =
      tx.exec_params(std::string(kFindDefect) + (for_update ? " FOR UPDATE" : ""), defect_id);
  if (rows.empty()) return std::nullopt;
  return parse<v1::Defect>(rows[0][0]);
}

std::vector<v1::Defect> defects_of_inspection(pqxx::transaction_base& tx,
                                              const std::string& inspection_id) {
  return parse_all<v1::Defect>(tx.exec_params(kDefectsOfInspection, inspection_id));
}

std::vector<v1::Defect> lock_defects_of_unit(pqxx::transaction_base& tx,
                                             const std::string& unit_id) {
  return parse_all<v1::Defect>(tx.exec_params(kLockDefectsOfUnit, unit_id));
}

// ---- keys ----

std::optional<UnitKeys> find_keys(pqxx::transaction_base& tx, const std::string& unit_id,
                                  bool for_update) {
  auto rows =
      tx.exec_params(std::string("SELECT ") + kKeyColumns + " FROM unit_keys WHERE unit_id = $1" +
                         (for_update ? " FOR UPDATE" : ""),
                     unit_id);
  if (rows.empty()) return std::nullopt;
  return keys_from_row(rows[0]);
}

void set_notice(pqxx::transaction_base& tx, const std::string& unit_id,
                const std::string& project_id, absl::CivilDay notice_on) {
  tx.exec_params0(kSetNotice, unit_id, project_id, domain::format_day(notice_on));
}

bool record_key_handover(pqxx::transaction_base& tx, const std::string& unit_id,
                         const std::string& project_id, absl::CivilDay on, int64_t at_micros,
                         const std::string& by) {
  return tx.exec_params(kRecordHandover, unit_id, project_id, domain::format_day(on), at_micros, by)
             .affected_rows() == 1;
}

std::vector<UnitKeys> uncollected_keys(pqxx::transaction_base& tx, const std::string& project_id,
                                       absl::CivilDay today) {
  std::vector<UnitKeys> out;
  for (const auto& r : tx.exec_params(kUncollected, project_id, domain::format_day(today)))
    out.push_back(keys_from_row(r));
  return out;
}

bool record_reminder(pqxx::transaction_base& tx, const std::string& unit_id, absl::CivilDay day) {
  return tx.exec_params(kRecordReminder, unit_id, domain::format_day(day)).affected_rows() == 1;
}

void set_handover_date(pqxx::transaction_base& tx, const std::string& unit_id, absl::CivilDay day) {
  tx.exec_params0(kSetHandoverDate, unit_id, domain::format_day(day));
}

// ---- decoration permits ----

void insert_permit(pqxx::transaction_base& tx, const v1::DecorationPermit& p) {
  std::string buffer;
  tx.exec_params0(kInsertPermit, p.permit_id(), p.project_id(), p.unit_id(),
                  static_cast<int>(p.status()), to_micros(from_timestamp(p.applied_at())),
                  blob(p, buffer));
}

void update_permit(pqxx::transaction_base& tx, const v1::DecorationPermit& p) {
  std::string buffer;
  tx.exec_params0(kUpdatePermit, p.permit_id(), static_cast<int>(p.status()),
                  micros_or_zero(p.decided_at()), micros_or_zero(p.finished_at()), p.deposit_fen(),
                  p.deductions_fen(), p.deposit_refunded_fen(), blob(p, buffer));
}

std::optional<v1::DecorationPermit> find_permit(pqxx::transaction_base& tx,
                                                const std::string& permit_id, bool for_update) {
  auto rows =
      tx.exec_params(std::string(kFindPermit) + (for_update ? " FOR UPDATE" : ""), permit_id);
  if (rows.empty()) return std::nullopt;
  return parse<v1::DecorationPermit>(rows[0][0]);
}

std::vector<v1::DecorationPermit> list_permits(pqxx::transaction_base& tx,
                                               const std::string& project_id, int status,
                                               int limit) {
  return parse_all<v1::DecorationPermit>(tx.exec_params(kListPermits, project_id, status, limit));
}

// ---- report ----

v1::HandoverStatsResponse handover_stats(pqxx::transaction_base& tx, const std::string& project_id,
                                         int64_t from_us, int64_t to_us, int64_t now_us,
                                         absl::CivilDay last_day) {
  v1::HandoverStatsResponse s;
  auto recorded = tx.exec_params(R"(SELECT count(*) FROM inspection_defects
      WHERE project_id = $1 AND created_at >= kit_ts($2) AND created_at < kit_ts($3))",
                                 project_id, from_us, to_us);
  s.set_defects_recorded(recorded[0][0].as<int64_t>());
  for (const auto& r : tx.exec_params(R"(SELECT party_id, count(*) FROM inspection_defects
      WHERE project_id = $1 AND created_at >= kit_ts($2) AND created_at < kit_ts($3)
      GROUP BY party_id ORDER BY party_id)",
                                      project_id, from_us, to_us)) {
    auto* t = s.add_defects_by_builder();
    t->set_key(r[0].as<std::string>());
    t->set_count(r[1].as<int64_t>());
  }
  for (const auto& r : tx.exec_params(R"(SELECT component, count(*) FROM inspection_defects
      WHERE project_id = $1 AND created_at >= kit_ts($2) AND created_at < kit_ts($3)
      GROUP BY component ORDER BY component)",
                                      project_id, from_us, to_us)) {
    auto* t = s.add_defects_by_component();
    t->set_key(domain::public_name(static_cast<v1::Component>(r[0].as<int>())));
    t->set_count(r[1].as<int64_t>());
  }
  // Fixed in the period, plus those that fell due in it unfixed (and did not become tickets).
  auto onto = tx.exec_params(R"(SELECT count(*), count(*) FILTER (WHERE fixed_at <= rectify_due)
      FROM inspection_defects WHERE project_id = $1 AND (
        (fixed_at >= kit_ts($2) AND fixed_at < kit_ts($3)) OR
        (fixed_at IS NULL AND rectify_due >= kit_ts($2) AND rectify_due < kit_ts($3)
         AND rectify_due < kit_ts($4))))",
                             project_id, from_us, to_us, now_us);
  s.mutable_rectified_on_time()->set_denominator(onto[0][0].as<int64_t>());
  s.mutable_rectified_on_time()->set_numerator(onto[0][1].as<int64_t>());
  auto keys = tx.exec_params(R"(SELECT count(*), count(*) FILTER (WHERE collected_on <= $2::date)
      FROM unit_keys WHERE project_id = $1 AND notice_on <= $2::date)",
                             project_id, domain::format_day(last_day));
  s.mutable_key_collection_rate()->set_denominator(keys[0][0].as<int64_t>());
  s.mutable_key_collection_rate()->set_numerator(keys[0][1].as<int64_t>());
  auto permits = tx.exec_params(R"(SELECT
        count(*) FILTER (WHERE status IN (1, 2, 4)),
        count(*) FILTER (WHERE status <> 3 AND decided_at >= kit_ts($2) AND decided_at < kit_ts($3)),
        count(*) FILTER (WHERE finished_at >= kit_ts($2) AND finished_at < kit_ts($3)),
        coalesce(sum(deposit_fen) FILTER (WHERE status IN (2, 4)), 0),
        coalesce(sum(refunded_fen) FILTER (WHERE finished_at >= kit_ts($2) AND finished_at < kit_ts($3)), 0)
      FROM decoration_permits WHERE project_id = $1)",
                                project_id, from_us, to_us);
  s.set_permits_open(permits[0][0].as<int64_t>());
  s.set_permits_approved(permits[0][1].as<int64_t>());
  s.set_permits_finished(permits[0][2].as<int64_t>());
  s.set_deposits_held_fen(permits[0][3].as<int64_t>());
  s.set_deposits_refunded_fen(permits[0][4].as<int64_t>());
  return s;
}

}  // namespace aftercare::intake::store
