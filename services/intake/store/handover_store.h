// SQL of the handover aggregates (issue 19): inspections and their defects, key collection and
// decoration permits. Aggregates are stored as their protobuf with the queried columns beside it.
// Every function runs inside the caller's transaction.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "aftercare/v1/handover.pb.h"
#include "aftercare/v1/intake.pb.h"

namespace aftercare::intake::store {

// --- inspections and defects ---
void insert_inspection(pqxx::transaction_base& tx, const v1::Inspection& inspection);
void update_inspection(pqxx::transaction_base& tx, const v1::Inspection& inspection);
// Without its defects (see defects_of_inspection).
std::optional<v1::Inspection> find_inspection(pqxx::transaction_base& tx, const std::string& id,
                                              bool for_update = false);
std::vector<v1::Inspection> inspections_of_unit(pqxx::transaction_base& tx,
                                                const std::string& unit_id);

void insert_defect(pqxx::transaction_base& tx, const std::string& project_id, const v1::Defect& d);
void update_defect(pqxx::transaction_base& tx, const v1::Defect& d);
std::optional<v1::Defect> find_defect(pqxx::transaction_base& tx, const std::string& defect_id,
                                      bool for_update = false);
std::vector<v1::Defect> defects_of_inspection(pqxx::transaction_base& tx,
                                              const std::string& inspection_id);
// Every defect of the unit, locked, oldest first.
std::vector<v1::Defect> lock_defects_of_unit(pqxx::transaction_base& tx,
                                             const std::string& unit_id);

// --- inspection attachments ---
bool add_inspection_attachment(pqxx::transaction_base& tx, const v1::Attachment& a,
                               v1::Attachment* stored);
int count_inspection_attachments(pqxx::transaction_base& tx, const std::string& inspection_id);
std::optional<v1::Attachment> find_inspection_attachment(pqxx::transaction_base& tx,
                                                         const std::string& attachment_id,
                                                         bool with_content);

// --- keys ---
struct UnitKeys {
  std::string unit_id, project_id;
  std::optional<absl::CivilDay> notice_on, collected_on, last_reminded_on;
  int reminders = 0;
};
std::optional<UnitKeys> find_keys(pqxx::transaction_base& tx, const std::string& unit_id,
                                  bool for_update = false);
void set_notice(pqxx::transaction_base& tx, const std::string& unit_id,
                const std::string& project_id, absl::CivilDay notice_on);
// Records the handover once: false when the keys were handed over already.
bool record_key_handover(pqxx::transaction_base& tx, const std::string& unit_id,
                         const std::string& project_id, absl::CivilDay on, int64_t at_micros,
                         const std::string& by);
// Units of the project with a notice on or before `today` and no keys collected.
std::vector<UnitKeys> uncollected_keys(pqxx::transaction_base& tx, const std::string& project_id,
                                       absl::CivilDay today);
// One reminder per unit and day: false when the unit was reminded on `day` already.
bool record_reminder(pqxx::transaction_base& tx, const std::string& unit_id, absl::CivilDay day);
// Sets the unit's handover date (the warranty clock).
void set_handover_date(pqxx::transaction_base& tx, const std::string& unit_id, absl::CivilDay day);

// --- decoration permits ---
void insert_permit(pqxx::transaction_base& tx, const v1::DecorationPermit& p);
void update_permit(pqxx::transaction_base& tx, const v1::DecorationPermit& p);
std::optional<v1::DecorationPermit> find_permit(pqxx::transaction_base& tx,
                                                const std::string& permit_id,
                                                bool for_update = false);
std::vector<v1::DecorationPermit> list_permits(pqxx::transaction_base& tx,
                                               const std::string& project_id, int status,
                                               int limit);

// --- report ---
v1::HandoverStatsResponse handover_stats(pqxx::transaction_base& tx, const std::string& project_id,
                                         int64_t from_us, int64_t to_us, int64_t now_us,
                                         absl::CivilDay last_day);

}  // namespace aftercare::intake::store
