#include "dispatch/store/technician_store.h"

#include "absl/strings/str_split.h"
#include "common/pg.h"
#include "dispatch/domain/names.h"
#include "dispatch/store/dispatch_store.h"

namespace aftercare::dispatch::store {

using kit::text_array;
namespace {

constexpr const char* kColumns = R"(
  technician_id, project_id, party_id, name, array_to_string(trades, ','),
  coalesce(daily_cap, 0), active,
  array_to_string(ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(days_off) AS d ORDER BY d),
                  ','),
  work_start, work_end, (extract(epoch FROM updated_at) * 1000000)::bigint)";

constexpr const char* kUpsertTechnician = R"(
  INSERT INTO technicians (technician_id, project_id, party_id, name, trades, daily_cap, active,
                           days_off, work_start, work_end, updated_at)
  VALUES ($1, $2, $3, $4, $5::text[], $6::integer, $7, $8::date[], $9, $10, $11::timestamptz)
  ON CONFLICT (technician_id) DO UPDATE
    SET party_id = EXCLUDED.party_id, name = EXCLUDED.name, trades = EXCLUDED.trades,
        daily_cap = EXCLUDED.daily_cap, active = EXCLUDED.active, days_off = EXCLUDED.days_off,
        work_start = EXCLUDED.work_start, work_end = EXCLUDED.work_end,
        updated_at = EXCLUDED.updated_at
    WHERE technicians.project_id = EXCLUDED.project_id)";

std::string select_technicians(const char* where_and_order) {
  return std::string("SELECT ") + kColumns + " FROM technicians " + where_and_order;
}

// Orders whose technician assignment no longer stands.
constexpr const char* kWithdrawn = "('cancelled', 'declined', 'rerouted')";

std::string loads_sql() {
  return std::string(R"(
  SELECT technician_id,
         count(*) FILTER (WHERE technician_day = $2::date),
         count(*) FILTER (WHERE technician_day = $2::date
                            AND status IN ('created', 'accepted', 'scheduled', 'in_progress')),
         count(*)
  FROM work_orders
  WHERE technician_id = ANY ($1::text[])
    AND technician_day BETWEEN $3::date AND $4::date
    AND work_order_id <> $5
    AND status NOT IN )") +
         kWithdrawn + R"(
  GROUP BY technician_id)";
}

constexpr const char* kBusy = R"(
  SELECT DISTINCT substr(resource, 12) FROM appointments
  WHERE resource = ANY ($1::text[])
    AND during && tstzrange($2::timestamptz, $3::timestamptz, '[)')
    AND work_order_id <> $4)";

std::string appointments_sql() {
  return std::string(R"(
  SELECT doc FROM work_orders
  WHERE technician_id = $1
    AND appointment && tstzrange($2::timestamptz, $3::timestamptz, '[)')
    AND status NOT IN )") +
         kWithdrawn + R"(
  ORDER BY lower(appointment), work_order_id)";
}

constexpr const char* kPartyProjects =
    "SELECT DISTINCT project_id FROM parties WHERE party_id = $1 ORDER BY project_id";

aftercare::v1::Technician technician_from_row(const pqxx::row& r) {
  aftercare::v1::Technician t;
  t.set_technician_id(r[0].as<std::string>());
  t.set_project_id(r[1].as<std::string>());
  t.set_party_id(r[2].as<std::string>());
  t.set_name(r[3].as<std::string>());
  for (const auto& word : absl::StrSplit(r[4].as<std::string>(), ',', absl::SkipEmpty())) {
    if (auto c = domain::parse_public_name<aftercare::v1::TicketCategory>(std::string(word)))
      t.add_trades(*c);
  }
  int cap = r[5].as<int>();
  t.set_daily_cap(cap);
  t.set_daily_cap_is_default(cap == 0);
  t.set_active(r[6].as<bool>());
  for (const auto& day : absl::StrSplit(r[7].as<std::string>(), ',', absl::SkipEmpty()))
    t.add_days_off(std::string(day));
  t.set_work_start(r[8].as<std::string>());
  t.set_work_end(r[9].as<std::string>());
  *t.mutable_updated_at() = to_timestamp(absl::FromUnixMicros(r[10].as<int64_t>()));
  return t;
}

std::vector<aftercare::v1::Technician> technicians_of(const pqxx::result& rows) {
  std::vector<aftercare::v1::Technician> out;
  for (const auto& row : rows) out.push_back(technician_from_row(row));
  return out;
}

}  // namespace

bool upsert_technician(pqxx::work& tx, const aftercare::v1::Technician& t) {
  std::vector<std::string> trades;
  for (int c : t.trades())
    trades.push_back(domain::public_name(static_cast<aftercare::v1::TicketCategory>(c)));
  std::vector<std::string> days(t.days_off().begin(), t.days_off().end());
  std::string cap = std::to_string(t.daily_cap());
  pqxx::result r =
      tx.exec_params(std::string(kUpsertTechnician) + " RETURNING technician_id", t.technician_id(),
                     t.project_id(), t.party_id(), t.name(), text_array(trades),
                     t.daily_cap_is_default() ? nullptr : cap.c_str(), t.active(), text_array(days),
                     t.work_start(), t.work_end(), sql_time(from_timestamp(t.updated_at())));
  // Empty: the id is taken in another project and nothing was written.
  return !r.empty();
}

std::optional<aftercare::v1::Technician> find_technician(pqxx::work& tx,
                                                         const std::string& technician_id,
                                                         bool for_update) {
  pqxx::result r =
      tx.exec_params(select_technicians(for_update ? "WHERE technician_id = $1 FOR UPDATE"
                                                   : "WHERE technician_id = $1"),
                     technician_id);
  if (r.empty()) return std::nullopt;
  return technician_from_row(r[0]);
}

std::vector<aftercare::v1::Technician> list_technicians(pqxx::work& tx,
                                                        const std::string& project_id,
                                                        const std::string& party_id) {
  return technicians_of(
      tx.exec_params(select_technicians("WHERE project_id = $1 AND ($2 = '' OR party_id = $2) "
                                        "ORDER BY technician_id"),
                     project_id, party_id));
}

std::vector<aftercare::v1::Technician> lock_party_technicians(pqxx::work& tx,
                                                              const std::string& project_id,
                                                              const std::string& party_id) {
  return technicians_of(tx.exec_params(select_technicians("WHERE project_id = $1 AND party_id = $2 "
                                                          "ORDER BY technician_id FOR UPDATE"),
                                       project_id, party_id));
}

aftercare::v1::Technician with_effective_cap(aftercare::v1::Technician t,
                                             const domain::DispatchPolicy& policy) {
  if (t.daily_cap_is_default() || t.daily_cap() <= 0) {
    t.set_daily_cap(policy.technician_daily_cap);
    t.set_daily_cap_is_default(true);
  }
  return t;
}

domain::TechnicianInfo technician_info(const aftercare::v1::Technician& stored,
                                       const domain::DispatchPolicy& policy) {
  aftercare::v1::Technician t = with_effective_cap(stored, policy);
  domain::TechnicianInfo info;
  info.technician_id = t.technician_id();
  info.party_id = t.party_id();
  for (int c : t.trades()) info.trades.insert(static_cast<aftercare::v1::TicketCategory>(c));
  info.active = t.active();
  info.daily_cap = t.daily_cap();
  for (const std::string& d : t.days_off()) {
    if (auto day = domain::parse_day(d)) info.days_off.insert(*day);
  }
  // Stored hours were checked on upsert; unreadable ones fall back to the policy's.
  info.work_start = domain::parse_clock(t.work_start())
                        .value_or(domain::parse_clock(policy.technician_work_start).value_or(0));
  info.work_end = domain::parse_clock(t.work_end())
                      .value_or(domain::parse_clock(policy.technician_work_end).value_or(0));
  return info;
}

std::map<std::string, domain::TechnicianLoad> technician_loads(
    pqxx::work& tx, const std::vector<std::string>& technician_ids, absl::CivilDay day,
    const std::string& exclude_order) {
  std::map<std::string, domain::TechnicianLoad> out;
  absl::CivilDay monday = domain::week_start(day);
  for (const auto& row :
       tx.exec_params(loads_sql(), text_array(technician_ids), domain::format_day(day),
                      domain::format_day(monday), domain::format_day(monday + 6), exclude_order)) {
    domain::TechnicianLoad& load = out[row[0].as<std::string>()];
    load.assigned_on_day = row[1].as<int>();
    load.open_on_day = row[2].as<int>();
    load.assigned_in_week = row[3].as<int>();
  }
  return out;
}

std::set<std::string> busy_technicians(pqxx::work& tx,
                                       const std::vector<std::string>& technician_ids,
                                       absl::Time start, absl::Time end,
                                       const std::string& exclude_order) {
  std::vector<std::string> resources;
  for (const std::string& id : technician_ids) resources.push_back("technician:" + id);
  std::set<std::string> out;
  for (const auto& row : tx.exec_params(kBusy, text_array(resources), sql_time(start),
                                        sql_time(end), exclude_order)) {
    out.insert(row[0].as<std::string>());
  }
  return out;
}

std::vector<aftercare::v1::TechnicianAppointment> technician_appointments(
    pqxx::work& tx, const std::string& technician_id, absl::Time from, absl::Time to) {
  std::vector<aftercare::v1::TechnicianAppointment> out;
  for (const auto& row :
       tx.exec_params(appointments_sql(), technician_id, sql_time(from), sql_time(to))) {
    auto o = parse<aftercare::v1::WorkOrder>(row[0]);
    aftercare::v1::TechnicianAppointment a;
    a.set_work_order_id(o.work_order_id());
    *a.mutable_start() = o.appointment().start();
    *a.mutable_end() = o.appointment().end();
    a.set_status(o.status());
    a.set_ticket_no(o.ticket_no());
    a.set_unit_id(o.unit_id());
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<std::string> party_projects(pqxx::work& tx, const std::string& party_id) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(kPartyProjects, party_id))
    out.push_back(row[0].as<std::string>());
  return out;
}

}  // namespace aftercare::dispatch::store
