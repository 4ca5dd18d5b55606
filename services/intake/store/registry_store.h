// Intake's SQL for the property registry: projects, units, calendars, policies. Every function
// runs inside the caller's transaction.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aftercare/v1/intake.pb.h"
#include "intake/domain/calendar.h"
#include "intake/domain/warranty_expiry.h"

namespace aftercare::intake::store {

// --- registry ---
std::optional<v1::Project> find_project(pqxx::transaction_base& tx, const std::string& project_id);
v1::Project upsert_project(pqxx::transaction_base& tx, const std::string& project_id,
                           const std::string& name, const std::string& timezone);

std::optional<v1::Unit> find_unit(pqxx::transaction_base& tx, const std::string& unit_id);
// Returns the stored unit; `previous_owner_id` gets the owner before the change ("" if new).
v1::Unit upsert_unit(pqxx::transaction_base& tx, const v1::UpsertUnitRequest& unit,
                     std::string* previous_owner_id);
std::vector<v1::Unit> list_units(pqxx::transaction_base& tx, const std::string& project_id,
                                 const std::string& building, const std::string& owner_id,
                                 const std::string& after_unit_id, int limit);

void put_calendar(pqxx::transaction_base& tx, const v1::PutCalendarRequest& calendar);
std::optional<v1::Calendar> find_calendar(pqxx::transaction_base& tx, const std::string& project_id,
                                          int year);
// The project's calendar for the years [first_year, last_year] (years without data follow
// Monday-Friday).
domain::WorkingDayCalendar load_calendar(pqxx::transaction_base& tx, const std::string& project_id,
                                         int first_year, int last_year);

std::optional<v1::Policy> find_policy(pqxx::transaction_base& tx, const std::string& project_id);
// Stores the overrides and returns them with the new version.
v1::Policy save_policy(pqxx::transaction_base& tx, const std::string& project_id,
                       v1::Policy policy);

// The version of the project's registry rows (project, units, calendars, policy): a new one
// from a sequence whenever any of them changes (migration 011); 0 for a project never stored.
int64_t registry_version(pqxx::transaction_base& tx, const std::string& project_id);

// The projects intake knows with their time zone names: those of `only`, or every one when `all`.
std::vector<std::pair<std::string, std::string>> project_timezones(
    pqxx::transaction_base& tx, const std::vector<std::string>& only, bool all);

// --- warranty-expiry outreach ---
// Units of the project whose handover date falls in one of the [first, last] windows.
std::vector<domain::UnitHandover> units_handed_over(
    pqxx::transaction_base& tx, const std::string& project_id,
    const std::vector<std::pair<absl::CivilDay, absl::CivilDay>>& windows);

}  // namespace aftercare::intake::store
