// Intake's SQL for the property registry: projects, units, calendars, policies, and the version
// of a project's registry rows (issue 21: reports use an in-memory copy checked against it).
#include "intake/store/registry_store.h"

#include "common/pg.h"
#include "common/time.h"
#include "intake/domain/dates.h"
#include "intake/store/rows.h"

namespace aftercare::intake::store {
namespace {

using namespace detail;

constexpr const char* kProjectColumns =
    "project_id, name, timezone, kit_us(created_at), kit_us(updated_at)";
constexpr const char* kUnitColumns =
    "project_id, unit_id, building, room, area_centi_m2, owner_id, owner_name, owner_phone, "
    "handover_date::text, kit_us(updated_at)";
constexpr const char* kUpsertProject = R"(
  INSERT INTO projects (project_id, name, timezone) VALUES ($1, $2, $3)
  ON CONFLICT (project_id) DO UPDATE SET name = EXCLUDED.name, timezone = EXCLUDED.timezone,
                                         updated_at = now())";
constexpr const char* kPreviousOwner = "SELECT owner_id FROM units WHERE unit_id = $1 FOR UPDATE";
constexpr const char* kUpsertUnit = R"(
  INSERT INTO units (unit_id, project_id, building, room, area_centi_m2, owner_id, owner_name,
                     owner_phone, handover_date)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date)
  ON CONFLICT (unit_id) DO UPDATE SET project_id = EXCLUDED.project_id,
    building = EXCLUDED.building, room = EXCLUDED.room, area_centi_m2 = EXCLUDED.area_centi_m2,
    owner_id = EXCLUDED.owner_id, owner_name = EXCLUDED.owner_name,
    owner_phone = EXCLUDED.owner_phone, handover_date = EXCLUDED.handover_date, updated_at = now())";
constexpr const char* kPutCalendar = R"(
  INSERT INTO calendars (project_id, year, holidays, workdays) VALUES ($1, $2, $3::date[], $4::date[])
  ON CONFLICT (project_id, year) DO UPDATE SET holidays = EXCLUDED.holidays,
    workdays = EXCLUDED.workdays, updated_at = now())";
constexpr const char* kFindCalendar = R"(
  SELECT year, array_to_string(holidays, ','), array_to_string(workdays, ','), kit_us(updated_at)
  FROM calendars WHERE project_id = $1 AND year BETWEEN $2 AND $3 ORDER BY year)";
constexpr const char* kFindPolicy =
    "SELECT policy, version, kit_us(updated_at) FROM policies WHERE project_id = $1";
constexpr const char* kSavePolicy = R"(
  INSERT INTO policies (project_id, policy, version) VALUES ($1, $2, 1)
  ON CONFLICT (project_id) DO UPDATE SET policy = EXCLUDED.policy,
    version = policies.version + 1, updated_at = now()
  RETURNING version, kit_us(updated_at))";

constexpr const char* kRegistryVersion =
    "SELECT coalesce(max(version), 0) FROM registry_versions WHERE project_id = $1";
constexpr const char* kUnitsHandedOver = R"(
  SELECT u.unit_id, u.building, u.room, u.owner_id, u.handover_date::text FROM units u
  WHERE u.project_id = $1 AND EXISTS (
    SELECT 1 FROM unnest($2::date[], $3::date[]) AS w(first_day, last_day)
    WHERE u.handover_date BETWEEN w.first_day AND w.last_day)
  ORDER BY u.unit_id)";

v1::Project project_from_row(const pqxx::row& r) {
  v1::Project p;
  p.set_project_id(r[0].as<std::string>());
  p.set_name(r[1].as<std::string>());
  p.set_timezone(r[2].as<std::string>());
  set_time([&] { return p.mutable_created_at(); }, r[3]);
  set_time([&] { return p.mutable_updated_at(); }, r[4]);
  return p;
}

v1::Unit unit_from_row(const pqxx::row& r) {
  v1::Unit u;
  u.set_project_id(r[0].as<std::string>());
  u.set_unit_id(r[1].as<std::string>());
  u.set_building(r[2].as<std::string>());
  u.set_room(r[3].as<std::string>());
  u.set_area_centi_m2(r[4].as<int64_t>());
  u.set_owner_id(r[5].as<std::string>());
  u.set_owner_name(r[6].as<std::string>());
  u.set_owner_phone(r[7].as<std::string>());
  *u.mutable_handover_date() = parse_date(r[8].as<std::string>());
  set_time([&] { return u.mutable_updated_at(); }, r[9]);
  return u;
}

std::string date_array(const google::protobuf::RepeatedPtrField<v1::Date>& dates) {
  std::string out = "{";
  for (int i = 0; i < dates.size(); ++i)
    out += (i ? "," : "") + domain::format_day(domain::to_civil_day(dates[i]));
  return out + "}";
}

std::vector<absl::CivilDay> parse_days(const std::string& joined) {
  std::vector<absl::CivilDay> days;
  size_t start = 0;
  while (start < joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    days.push_back(domain::to_civil_day(parse_date(joined.substr(start, comma - start))));
    start = comma + 1;
  }
  return days;
}

}  // namespace

std::optional<v1::Project> find_project(pqxx::transaction_base& tx, const std::string& project_id) {
  auto r = tx.exec_params(
      std::string("SELECT ") + kProjectColumns + " FROM projects WHERE project_id = $1",
      project_id);
  if (r.empty()) return std::nullopt;
  return project_from_row(r[0]);
}

v1::Project upsert_project(pqxx::transaction_base& tx, const std::string& project_id,
                           const std::string& name, const std::string& timezone) {
  tx.exec_params(kUpsertProject, project_id, name, timezone);
  return *find_project(tx, project_id);
}

std::optional<v1::Unit> find_unit(pqxx::transaction_base& tx, const std::string& unit_id) {
  auto r = tx.exec_params(std::string("SELECT ") + kUnitColumns + " FROM units WHERE unit_id = $1",
                          unit_id);
  if (r.empty()) return std::nullopt;
  return unit_from_row(r[0]);
}

v1::Unit upsert_unit(pqxx::transaction_base& tx, const v1::UpsertUnitRequest& u,
                     std::string* previous_owner_id) {
  auto prev = tx.exec_params(kPreviousOwner, u.unit_id());
  if (previous_owner_id) *previous_owner_id = prev.empty() ? "" : prev[0][0].as<std::string>();
  tx.exec_params(kUpsertUnit, u.unit_id(), u.project_id(), u.building(), u.room(),
                 u.area_centi_m2(), u.owner_id(), u.owner_name(), u.owner_phone(),
                 domain::format_day(domain::to_civil_day(u.handover_date())));
  return *find_unit(tx, u.unit_id());
}

std::vector<v1::Unit> list_units(pqxx::transaction_base& tx, const std::string& project_id,
                                 const std::string& building, const std::string& owner_id,
                                 const std::string& after_unit_id, int limit) {
  auto rows = tx.exec_params(std::string("SELECT ") + kUnitColumns + R"( FROM units
      WHERE project_id = $1 AND ($2 = '' OR building = $2) AND ($3 = '' OR owner_id = $3)
        AND unit_id > $4 ORDER BY unit_id LIMIT $5)",
                             project_id, building, owner_id, after_unit_id, limit);
  std::vector<v1::Unit> out;
  for (const auto& r : rows) out.push_back(unit_from_row(r));
  return out;
}

void put_calendar(pqxx::transaction_base& tx, const v1::PutCalendarRequest& c) {
  tx.exec_params(kPutCalendar, c.project_id(), c.year(), date_array(c.holidays()),
                 date_array(c.workdays()));
}

std::optional<v1::Calendar> find_calendar(pqxx::transaction_base& tx, const std::string& project_id,
                                          int year) {
  auto rows = tx.exec_params(kFindCalendar, project_id, year, year);
  if (rows.empty()) return std::nullopt;
  v1::Calendar c;
  c.set_project_id(project_id);
  c.set_year(year);
  for (auto d : parse_days(rows[0][1].as<std::string>())) *c.add_holidays() = domain::to_date(d);
  for (auto d : parse_days(rows[0][2].as<std::string>())) *c.add_workdays() = domain::to_date(d);
  set_time([&] { return c.mutable_updated_at(); }, rows[0][3]);
  return c;
}

domain::WorkingDayCalendar load_calendar(pqxx::transaction_base& tx, const std::string& project_id,
                                         int first_year, int last_year) {
  domain::WorkingDayCalendar calendar;
  for (const auto& r : tx.exec_params(kFindCalendar, project_id, first_year, last_year))
    calendar.set_year(r[0].as<int>(), parse_days(r[1].as<std::string>()),
                      parse_days(r[2].as<std::string>()));
  return calendar;
}

std::optional<v1::Policy> find_policy(pqxx::transaction_base& tx, const std::string& project_id) {
  auto rows = tx.exec_params(kFindPolicy, project_id);
  if (rows.empty()) return std::nullopt;
  v1::Policy p;
  pqxx::binarystring bytes(rows[0][0]);
  p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  p.set_version(rows[0][1].as<int64_t>());
  set_time([&] { return p.mutable_updated_at(); }, rows[0][2]);
  return p;
}

v1::Policy save_policy(pqxx::transaction_base& tx, const std::string& project_id,
                       v1::Policy policy) {
  policy.set_project_id(project_id);
  policy.clear_version();
  policy.clear_updated_at();
  std::string bytes = policy.SerializeAsString();
  auto r = tx.exec_params(kSavePolicy, project_id, pqxx::binarystring(bytes.data(), bytes.size()));
  policy.set_version(r[0][0].as<int64_t>());
  set_time([&] { return policy.mutable_updated_at(); }, r[0][1]);
  return policy;
}

int64_t registry_version(pqxx::transaction_base& tx, const std::string& project_id) {
  return kit::exec_prepared(tx, "intake_registry_version", kRegistryVersion, project_id)[0][0]
      .as<int64_t>();
}

std::vector<std::pair<std::string, std::string>> project_timezones(
    pqxx::transaction_base& tx, const std::vector<std::string>& only, bool all) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : tx.exec_params(
           "SELECT project_id, timezone FROM projects WHERE $1 OR project_id = ANY($2::text[]) "
           "ORDER BY project_id",
           all, kit::text_array(only)))
    out.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
  return out;
}

std::vector<domain::UnitHandover> units_handed_over(
    pqxx::transaction_base& tx, const std::string& project_id,
    const std::vector<std::pair<absl::CivilDay, absl::CivilDay>>& windows) {
  std::string firsts = "{", lasts = "{";
  for (size_t i = 0; i < windows.size(); ++i) {
    firsts += (i ? "," : "") + domain::format_day(windows[i].first);
    lasts += (i ? "," : "") + domain::format_day(windows[i].second);
  }
  firsts += "}";
  lasts += "}";
  std::vector<domain::UnitHandover> out;
  for (const auto& r : tx.exec_params(kUnitsHandedOver, project_id, firsts, lasts))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(),
                   domain::to_civil_day(parse_date(r[4].as<std::string>()))});
  return out;
}

}  // namespace aftercare::intake::store
