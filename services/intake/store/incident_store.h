// Intake's SQL of incidents and announcements (issue 23). Every function runs inside the
// caller's transaction.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "aftercare/v1/intake.pb.h"
#include "intake/domain/incidents.h"

namespace aftercare::intake::store {

// --- incidents ---
void insert_incident(pqxx::transaction_base& tx, const v1::Incident& incident);
// With ticket_ids (oldest first), work_order_id (the lead's latest) and reporters filled in.
std::optional<v1::Incident> find_incident(pqxx::transaction_base& tx,
                                          const std::string& incident_id, bool for_update = false);
struct IncidentCursor {
  int64_t created_us = 0;
  std::string incident_id;
};
// Newest first.
std::vector<v1::Incident> list_incidents(pqxx::transaction_base& tx, const std::string& project_id,
                                         int status, const std::optional<IncidentCursor>& before,
                                         int limit);
int64_t incident_created_micros(pqxx::transaction_base& tx, const std::string& incident_id);
// The project's open incidents of a component, locked (a first report takes the lead once).
std::vector<domain::OpenIncident> open_incidents(pqxx::transaction_base& tx,
                                                 const std::string& project_id, int component);
void link_ticket(pqxx::transaction_base& tx, const std::string& ticket_id,
                 const std::string& incident_id, bool follower);
void set_incident_lead(pqxx::transaction_base& tx, const std::string& incident_id,
                       const std::string& ticket_id);
void set_resolved(pqxx::transaction_base& tx, const std::string& incident_id,
                  const std::string& note, const std::string& by, int64_t at_us);
// Serialises reports of one public component in one building (transaction advisory lock), so
// two first reports arriving together cannot both miss each other.
void lock_public_component(pqxx::transaction_base& tx, const std::string& project_id,
                           const std::string& building, int component);
// Active public reports of the component in the building, linked to nothing, reported at or
// after `since_us`; `except` is the report being opened.
std::vector<domain::RecentReport> recent_public_reports(pqxx::transaction_base& tx,
                                                        const std::string& project_id,
                                                        const std::string& building, int component,
                                                        int64_t since_us,
                                                        const std::string& except);
// The ticket's latest work order (from dispatch's WorkOrderCreated).
void set_work_order(pqxx::transaction_base& tx, const std::string& ticket_id,
                    const std::string& work_order_id);
std::string work_order_of(pqxx::transaction_base& tx, const std::string& ticket_id);
// The buildings of the given units that are in the project (an owner's homes there).
std::vector<std::string> buildings_of_units(pqxx::transaction_base& tx,
                                            const std::string& project_id,
                                            const std::vector<std::string>& unit_ids);

// Issue 23: a pending proposal confirmed or dismissed.
void decide_proposal(pqxx::transaction_base& tx, const std::string& incident_id,
                     v1::ProposalStatus proposal, v1::IncidentStatus status, const std::string& by,
                     int64_t at_us, const std::string& reason);
// The report leaves the incident (dismissed), remembering where it came from.
void unlink_ticket(pqxx::transaction_base& tx, const std::string& ticket_id,
                   const std::string& incident_id);
// A resolved incident open again; returns its reopen_count after.
int reopen_incident(pqxx::transaction_base& tx, const std::string& incident_id);
// One unit of each owner of the project's units in the buildings (empty = all), at most `limit`.
std::vector<v1::Recipient> recipients_in_scope(pqxx::transaction_base& tx,
                                               const std::string& project_id,
                                               const std::vector<std::string>& buildings,
                                               int limit);

// --- announcements ---
// Distinct owners of the project's units in the buildings (empty = all).
int count_recipients(pqxx::transaction_base& tx, const std::string& project_id,
                     const std::vector<std::string>& buildings);
void insert_announcement(pqxx::transaction_base& tx, const v1::Announcement& a);
std::optional<v1::Announcement> find_announcement(pqxx::transaction_base& tx,
                                                  const std::string& announcement_id);
// Newest first. `owner_buildings` set: sent ones whose buildings meet them (owners).
std::vector<v1::Announcement> list_announcements(
    pqxx::transaction_base& tx, const std::string& project_id,
    const std::optional<std::vector<std::string>>& owner_buildings,
    const std::optional<IncidentCursor>& before, int limit);
int64_t announcement_created_micros(pqxx::transaction_base& tx, const std::string& announcement_id);
// Scheduled announcements due by `now_us`, locked (other replicas skip them).
std::vector<v1::Announcement> due_announcements(pqxx::transaction_base& tx, int64_t now_us,
                                                int limit);
void mark_sent(pqxx::transaction_base& tx, const std::string& announcement_id, int recipients,
               int64_t at_us);
void mark_read(pqxx::transaction_base& tx, const std::string& announcement_id,
               const std::string& owner_id, int64_t at_us);

}  // namespace aftercare::intake::store
