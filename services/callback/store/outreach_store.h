// SQL of owner outreach (issue 18): projections that find a message's owner, channels,
// opt-outs, template overrides and the message log. Instants cross as microseconds.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "callback/store/callback_store.h"

namespace aftercare::callback::store {

// ---- projections ------------------------------------------------------------------------------

struct WorkOrderRow {
  std::string work_order_id, project_id, ticket_id, unit_id;
  bool emergency = false;
  std::string origin;  // WorkOrderOrigin's public name ("rectification": not an owner's repair)
};
void upsert_work_order(pqxx::transaction_base& tx, const WorkOrderRow& row);
std::optional<WorkOrderRow> load_work_order(pqxx::transaction_base& tx, const std::string& id);

struct TicketRow {
  std::string ticket_id, project_id, unit_id, owner_id;
  bool emergency = false;
};
void upsert_ticket(pqxx::transaction_base& tx, const TicketRow& row);
std::optional<TicketRow> load_ticket(pqxx::transaction_base& tx, const std::string& id);

// The unit's label and owner's masked phone (the unit row itself is store::upsert_unit's).
void set_unit_details(pqxx::transaction_base& tx, const std::string& unit_id,
                      const std::string& building, const std::string& room,
                      const std::string& phone_masked);
struct UnitAddress {
  std::string unit_id, project_id, owner_id, building, room, phone_masked;
};
std::optional<UnitAddress> load_unit_address(pqxx::transaction_base& tx,
                                             const std::string& unit_id);
// Issue 21: a work order and its unit (nullopt when the unit is not known) in one statement.
std::optional<std::pair<WorkOrderRow, std::optional<UnitAddress>>> load_work_order_with_unit(
    pqxx::transaction_base& tx, const std::string& id);
// Issue 21: everything a new message of `kind` reads, in one statement.
struct MessageSettings {
  ProjectContext project;                    // time zone and policy
  std::optional<std::string> template_text;  // the project's override of the kind's template
  bool opted_out = false;                    // the owner opted out of the kind
  std::optional<UnitAddress> unit;           // unit_id's address ("" or unknown: nullopt)
};
MessageSettings load_message_settings(pqxx::transaction_base& tx, const std::string& project_id,
                                      const std::string& kind, const std::string& owner_id,
                                      const std::string& unit_id);
// Issue 23: one unit of each owner of the project's units in the buildings (empty = all).
std::vector<UnitAddress> owners_in_scope(pqxx::transaction_base& tx, const std::string& project_id,
                                         const std::vector<std::string>& buildings);

// Projects with a unit of the owner (ordered), and whether callback knows the project.
std::vector<std::string> owner_projects(pqxx::transaction_base& tx, const std::string& owner_id);
bool project_known(pqxx::transaction_base& tx, const std::string& project_id);

// ---- channels, preferences, templates ---------------------------------------------------------

struct ChannelRow {
  std::string project_id, channel, url, secret;
  bool enabled = true;
};
void upsert_channel(pqxx::transaction_base& tx, const ChannelRow& row, absl::Time now);
std::optional<ChannelRow> load_channel(pqxx::transaction_base& tx, const std::string& project_id,
                                       const std::string& channel);

void replace_opt_outs(pqxx::transaction_base& tx, const std::string& owner_id,
                      const std::vector<std::string>& kinds);
std::vector<std::string> load_opt_outs(pqxx::transaction_base& tx, const std::string& owner_id);
std::optional<std::string> template_override(pqxx::transaction_base& tx,
                                             const std::string& project_id,
                                             const std::string& kind);

// ---- messages ---------------------------------------------------------------------------------

struct MessageRow {
  std::string message_id, source_key, project_id, unit_id, owner_id, channel, kind, to_masked, text,
      status, last_error;
  bool urgent = false;
  int attempts = 0;
  absl::Time send_at, created_at;
  std::optional<absl::Time> sent_at, delivered_at;
};
// false when a message of the same id existed (nothing written).
bool insert_message(pqxx::transaction_base& tx, const MessageRow& m);
std::optional<MessageRow> load_message(pqxx::transaction_base& tx, const std::string& message_id);
// Non-urgent, not suppressed messages of the owner planned to go in [from, to).
int planned_between(pqxx::transaction_base& tx, const std::string& owner_id, absl::Time from,
                    absl::Time to);
// Up to `limit` messages due by `now` (queued or held), locked for this transaction; others
// running the same query skip them.
std::vector<MessageRow> claim_due(pqxx::transaction_base& tx, absl::Time now, int limit);
void record_attempt(pqxx::transaction_base& tx, const std::string& message_id,
                    const std::string& status, int attempts, std::optional<absl::Time> next_at,
                    const std::string& error, const std::string& to_masked, absl::Time now);
// Leaves a due message as it is for `delay` (no provider configured yet, contact not known).
void postpone(pqxx::transaction_base& tx, const std::string& message_id, absl::Time until,
              const std::string& why, absl::Time now);
void set_receipt_status(pqxx::transaction_base& tx, const std::string& message_id,
                        const std::string& status, absl::Time at, absl::Time now);
// The owner's messages, newest first.
std::vector<MessageRow> list_messages(pqxx::transaction_base& tx, const std::string& owner_id,
                                      int limit);

// Delivery figures of a project for messages created in [from, to).
struct DeliveryStats {
  int64_t created = 0, posted = 0, delivered = 0, failed = 0, suppressed = 0, pending = 0;
};
DeliveryStats delivery_stats(pqxx::transaction_base& tx, const std::string& project_id,
                             absl::Time from, absl::Time to);

}  // namespace aftercare::callback::store
