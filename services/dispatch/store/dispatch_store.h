// SQL of the dispatch service. Every function runs inside the caller's transaction; statements
// are named constants with bound parameters (dispatch_store.cc). Instants go to PostgreSQL as
// RFC 3339 text with microseconds (exact, independent of the session's time zone).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/events.pb.h"
#include "common/time.h"
#include "dispatch/domain/policy.h"
#include "dispatch/domain/routing.h"
#include "dispatch/domain/work_order.h"

namespace aftercare::dispatch::store {

// "2026-11-22T10:00:00.123456+00:00".
std::string sql_time(absl::Time t);
inline pqxx::binarystring bytes(const std::string& s) {
  return pqxx::binarystring(s.data(), s.size());
}
// A protobuf message stored as bytea; throws when it does not parse.
template <typename Message>
Message parse(const pqxx::field& f) {
  pqxx::binarystring raw(f);
  Message m;
  if (!m.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    throw std::runtime_error("unreadable " + m.GetTypeName() + " in the database");
  }
  return m;
}
// The kit's one conversion (common/time.h); truncate_to_micros gives an instant as PostgreSQL
// stores it, so a value read back compares equal.
using kit::from_timestamp;
using kit::to_timestamp;
using kit::truncate_to_micros;

// ---- policies ----
domain::DispatchPolicy load_policy(pqxx::work& tx, const std::string& project_id);
// Stores the effective policy of a project unless a newer version is already stored.
void save_policy(pqxx::work& tx, const std::string& project_id, int64_t version,
                 const aftercare::v1::DispatchPolicy& policy);

// ---- projects ----
void save_project_timezone(pqxx::work& tx, const std::string& project_id, const std::string& zone);
// The project's IANA zone name; "Asia/Shanghai" when intake has not told us.
std::string project_timezone(pqxx::work& tx, const std::string& project_id);
// The zone of a project dispatch has not heard of (project_timezone's answer for it).
inline constexpr const char* kDefaultProjectTimezone = "Asia/Shanghai";

// ---- parties ----
void upsert_party(pqxx::work& tx, const aftercare::v1::Party& party);
std::optional<aftercare::v1::Party> find_party(pqxx::work& tx, const std::string& project_id,
                                               const std::string& party_id);
// kind / trade UNSPECIFIED = no filter. Ordered by party_id.
std::vector<aftercare::v1::Party> list_parties(pqxx::work& tx, const std::string& project_id,
                                               aftercare::v1::PartyKind kind,
                                               aftercare::v1::TicketCategory trade);
std::vector<domain::PartyInfo> routing_parties(pqxx::work& tx, const std::string& project_id);

// ---- ticket projection ----
struct Ticket {
  domain::TicketFacts facts;
  aftercare::v1::TicketOpened opened;
  std::string owner_id;
  bool cancelled = false;
};
domain::TicketFacts facts_of(const std::string& project_id, const aftercare::v1::TicketOpened& t);
// false when the ticket was already known (a redelivered or repeated TicketOpened).
bool insert_ticket(pqxx::work& tx, const std::string& project_id,
                   const aftercare::v1::TicketOpened& opened);
std::optional<Ticket> load_ticket(pqxx::work& tx, const std::string& ticket_id);
// What load_ticket reads right after insert_ticket stored `opened` (not cancelled).
Ticket ticket_as_inserted(const std::string& project_id, const aftercare::v1::TicketOpened& opened);
// Replaces the stored TicketOpened (issue 23: a report unlinked from a dismissed incident).
void update_ticket_opened(pqxx::work& tx, const std::string& ticket_id,
                          const aftercare::v1::TicketOpened& opened);
void set_ticket_resolve_due(pqxx::work& tx, const std::string& ticket_id, absl::Time resolve_due);
void mark_ticket_cancelled(pqxx::work& tx, const std::string& ticket_id);

// ---- work orders ----
// false when an order with the same source key (or a second original order of the ticket)
// exists: nothing is written.
bool insert_work_order(pqxx::work& tx, const aftercare::v1::WorkOrder& order,
                       const std::string& source_key);
std::optional<aftercare::v1::WorkOrder> load_work_order(pqxx::work& tx, const std::string& id,
                                                        bool for_update);
std::optional<aftercare::v1::WorkOrder> find_by_source(pqxx::work& tx,
                                                       const std::string& source_key);
// Writes the order back (doc and columns). The caller bumped version and updated_at.
void update_work_order(pqxx::work& tx, const aftercare::v1::WorkOrder& order);
// Open orders (created, accepted, scheduled, in_progress) of a ticket, locked.
std::vector<aftercare::v1::WorkOrder> lock_open_orders_of_ticket(pqxx::work& tx,
                                                                 const std::string& ticket_id);
// The ticket's most recently signed-off order, the one a reopening sends back for rework.
std::optional<aftercare::v1::WorkOrder> latest_signed_off_order(pqxx::work& tx,
                                                                const std::string& ticket_id);
// Parties that declined an order of this ticket (not offered it again).
std::vector<std::string> decliners_of_ticket(pqxx::work& tx, const std::string& ticket_id);
// Up to `limit` builder orders whose deadline passed at as_of, locked FOR UPDATE SKIP LOCKED
// so concurrent sweepers never take the same order. project_id "" = every project.
std::vector<aftercare::v1::WorkOrder> claim_late_builder_orders(pqxx::work& tx, absl::Time as_of,
                                                                const std::string& project_id,
                                                                int limit);

// Orders of the project that may count in a report of [start, end): changed in the period and
// created before its end, plus the originals of the period's reworks.
std::vector<aftercare::v1::WorkOrder> report_orders(pqxx::work& tx, const std::string& project_id,
                                                    absl::Time start, absl::Time end);

// Issue 20, the group view: the projects dispatch knows (a time zone announced or parties
// registered) with their time zone names ("" = none announced): every one when `all`, else
// those of `only`; by project id.
std::vector<std::pair<std::string, std::string>> project_timezones(
    pqxx::work& tx, const std::vector<std::string>& only, bool all);

// A project's report window, [start, end) (the group view: store/report_store.h).
struct ReportWindow {
  std::string project_id;
  absl::Time start;
  absl::Time end;
};

struct ListQuery {
  std::string ticket_id, project_id, party_id;
  aftercare::v1::WorkOrderStatus status = aftercare::v1::WORK_ORDER_STATUS_UNSPECIFIED;
  aftercare::v1::PartyKind assignee_kind = aftercare::v1::PARTY_KIND_UNSPECIFIED;
  // Visibility of the caller: every project, or these projects; a partner's own party only;
  // an owner's units only.
  bool all_projects = false;
  std::vector<std::string> projects;
  std::string only_party;
  bool units_only = false;
  std::vector<std::string> units;
  // Keyset page: after (created_at, work_order_id).
  std::optional<absl::Time> after_time;
  std::string after_id;
  int limit = 50;
};
std::vector<aftercare::v1::WorkOrder> list_work_orders(pqxx::work& tx, const ListQuery& q);

// ---- appointments ----
// Books or moves the order's appointment. The exclusion constraint refuses an overlap even
// against a concurrent booking that commits first: false when the window overlaps another
// appointment of the same resource (technician or party); the transaction is then failed and
// can only be rolled back (app::book_appointment refuses).
[[nodiscard]] bool put_appointment(pqxx::work& tx, const std::string& work_order_id,
                                   const std::string& resource, const domain::Window& window,
                                   absl::Time reminder_due);
void drop_appointment(pqxx::work& tx, const std::string& work_order_id);
// Orders whose reminder is due at `now` and not yet sent, locked (SKIP LOCKED).
std::vector<std::string> claim_due_reminders(pqxx::work& tx, absl::Time now, int limit);
void mark_reminded(pqxx::work& tx, const std::string& work_order_id, absl::Time now);

// ---- partner feed ----
// Appending: store/batch_store.h (append_partner_event, write_events).
// The party's events after `after_seq`, oldest first.
std::vector<aftercare::v1::PartnerEvent> read_partner_events(pqxx::work& tx,
                                                             const std::string& party_id,
                                                             int64_t after_seq, int limit);

}  // namespace aftercare::dispatch::store
