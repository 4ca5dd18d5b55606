// SQL of technicians, their loads and calendars. Every function runs in the caller's
// transaction.
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/dispatch.pb.h"
#include "dispatch/domain/policy.h"
#include "dispatch/domain/technicians.h"

namespace aftercare::dispatch::store {

// A technician as stored: daily_cap is the technician's own cap, 0 when the project's default
// applies (daily_cap_is_default). with_effective_cap fills in the default. False, with nothing
// written, when the id belongs to a technician of another project.
[[nodiscard]] bool upsert_technician(pqxx::work& tx, const aftercare::v1::Technician& technician);
std::optional<aftercare::v1::Technician> find_technician(pqxx::work& tx,
                                                         const std::string& technician_id,
                                                         bool for_update);
// party_id "" = every party of the project. By technician_id.
std::vector<aftercare::v1::Technician> list_technicians(pqxx::work& tx,
                                                        const std::string& project_id,
                                                        const std::string& party_id);
// The party's technicians, locked FOR UPDATE in technician_id order: assignments to one party
// wait for each other, so two concurrent assignments cannot both take a technician's last slot.
std::vector<aftercare::v1::Technician> lock_party_technicians(pqxx::work& tx,
                                                              const std::string& project_id,
                                                              const std::string& party_id);
// Sets daily_cap to the policy's default when the technician has none of its own.
aftercare::v1::Technician with_effective_cap(aftercare::v1::Technician t,
                                             const domain::DispatchPolicy& policy);
domain::TechnicianInfo technician_info(const aftercare::v1::Technician& t,
                                       const domain::DispatchPolicy& policy);

// Loads of the technicians on `day` and its week, without `exclude_order` (the order being
// assigned). Technicians without work are absent (zero load). `busy` stays false.
std::map<std::string, domain::TechnicianLoad> technician_loads(
    pqxx::work& tx, const std::vector<std::string>& technician_ids, absl::CivilDay day,
    const std::string& exclude_order);
// Those of the technicians holding an appointment that overlaps [start, end), other than
// exclude_order's.
std::set<std::string> busy_technicians(pqxx::work& tx,
                                       const std::vector<std::string>& technician_ids,
                                       absl::Time start, absl::Time end,
                                       const std::string& exclude_order);
// The technician's appointments overlapping [from, to) of orders not withdrawn, by start.
std::vector<aftercare::v1::TechnicianAppointment> technician_appointments(
    pqxx::work& tx, const std::string& technician_id, absl::Time from, absl::Time to);

// The projects in which party_id is registered (a party id may serve several projects).
std::vector<std::string> party_projects(pqxx::work& tx, const std::string& party_id);

}  // namespace aftercare::dispatch::store
