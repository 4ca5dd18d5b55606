#include "callback/store/outreach_store.h"

#include "callback/store/sql_time.h"

#include "callback/store/callback_store.h"

#include "common/pg.h"
#include "common/time.h"

namespace aftercare::callback::store {
namespace {

constexpr const char* kUpsertWorkOrder =
    "INSERT INTO callback_work_orders (work_order_id, project_id, ticket_id, unit_id, emergency, "
    "origin) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (work_order_id) DO UPDATE SET "
    "project_id = EXCLUDED.project_id, ticket_id = EXCLUDED.ticket_id, unit_id = EXCLUDED.unit_id, "
    "emergency = EXCLUDED.emergency, origin = EXCLUDED.origin, updated_at = now()";
constexpr const char* kLoadWorkOrder =
    "SELECT work_order_id, project_id, ticket_id, unit_id, emergency, origin "
    "FROM callback_work_orders WHERE work_order_id = $1";
constexpr const char* kUpsertTicket =
    "INSERT INTO callback_tickets (ticket_id, project_id, unit_id, owner_id, emergency) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ticket_id) DO UPDATE SET "
    "project_id = EXCLUDED.project_id, unit_id = EXCLUDED.unit_id, owner_id = EXCLUDED.owner_id, "
    "emergency = EXCLUDED.emergency, updated_at = now()";
constexpr const char* kLoadTicket =
    "SELECT ticket_id, project_id, unit_id, owner_id, emergency FROM callback_tickets "
    "WHERE ticket_id = $1";
// Issue 21: a work order with its unit (NULLs when the unit is not known).
constexpr const char* kLoadWorkOrderWithUnit =
    "SELECT w.work_order_id, w.project_id, w.ticket_id, w.unit_id, w.emergency, w.origin, "
    "u.unit_id, u.project_id, u.owner_id, u.building, u.room, u.owner_phone_masked "
    "FROM callback_work_orders w LEFT JOIN callback_units u ON u.unit_id = w.unit_id "
    "WHERE w.work_order_id = $1";
// Issue 21: what a new message needs, in one statement: the project's time zone and policy,
// the kind's template override, whether the owner opted out of the kind, and the unit.
// $1 project, $2 kind, $3 owner, $4 unit.
constexpr const char* kMessageSettings =
    "SELECT (SELECT timezone FROM callback_projects WHERE project_id = $1), "
    "(SELECT policy FROM callback_policies WHERE project_id = $1), "
    "(SELECT template FROM message_templates WHERE project_id = $1 AND kind = $2 "
    "AND locale = 'zh-CN'), "
    "EXISTS (SELECT 1 FROM owner_opt_outs WHERE owner_id = $3 AND kind = $2), "
    "u.unit_id, u.project_id, u.owner_id, u.building, u.room, u.owner_phone_masked "
    "FROM (SELECT 1) AS one LEFT JOIN callback_units u ON u.unit_id = $4";
constexpr const char* kSetUnitDetails =
    "UPDATE callback_units SET building = $2, room = $3, owner_phone_masked = $4 "
    "WHERE unit_id = $1";
constexpr const char* kLoadUnitAddress =
    "SELECT unit_id, project_id, owner_id, building, room, owner_phone_masked FROM callback_units "
    "WHERE unit_id = $1";

constexpr const char* kOwnersInScope = R"(
  SELECT DISTINCT ON (owner_id) unit_id, project_id, owner_id, building, room, owner_phone_masked
  FROM callback_units
  WHERE project_id = $1 AND owner_id <> ''
    AND (cardinality($2::text[]) = 0 OR building = ANY($2::text[]))
  ORDER BY owner_id, unit_id)";

constexpr const char* kUpsertChannel =
    "INSERT INTO notification_channels (project_id, channel, url, secret, enabled, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, " AC_TS("$6") ") ON CONFLICT (project_id, channel) DO UPDATE SET "
    "url = EXCLUDED.url, secret = EXCLUDED.secret, enabled = EXCLUDED.enabled, "
    "updated_at = EXCLUDED.updated_at";
constexpr const char* kLoadChannel =
    "SELECT project_id, channel, url, secret, enabled FROM notification_channels "
    "WHERE project_id = $1 AND channel = $2";

constexpr const char* kDeleteOptOuts = "DELETE FROM owner_opt_outs WHERE owner_id = $1";
constexpr const char* kInsertOptOut =
    "INSERT INTO owner_opt_outs (owner_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING";
constexpr const char* kLoadOptOuts =
    "SELECT kind FROM owner_opt_outs WHERE owner_id = $1 ORDER BY kind";
constexpr const char* kTemplate =
    "SELECT template FROM message_templates WHERE project_id = $1 AND kind = $2 "
    "AND locale = 'zh-CN'";

constexpr const char* kMessageColumns =
    "message_id::text, source_key, project_id, unit_id, owner_id, channel, kind, to_masked, text, "
    "status, last_error, urgent, attempts, " AC_US("send_at") ", " AC_US("created_at") ", " AC_US(
        "sent_at") ", " AC_US("delivered_at");

constexpr const char* kInsertMessage =
    "INSERT INTO owner_messages (message_id, source_key, project_id, unit_id, owner_id, channel, "
    "kind, urgent, to_masked, text, status, send_at, created_at, updated_at) "
    "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, " AC_TS("$12") ", " AC_TS(
        "$13") ", " AC_TS("$13") ") ON CONFLICT DO NOTHING";
constexpr const char* kPlannedBetween =
    "SELECT count(*) FROM owner_messages WHERE owner_id = $1 AND NOT urgent "
    "AND status <> 'suppressed' AND send_at >= " AC_TS("$2") " AND send_at < " AC_TS("$3");
constexpr const char* kRecordAttempt =
    "UPDATE owner_messages SET status = $2, attempts = $3, "
    "send_at = COALESCE(" AC_TS("$4") ", send_at), last_error = $5, "
    "to_masked = CASE WHEN $6 = '' THEN to_masked ELSE $6 END, "
    "sent_at = CASE WHEN $2 = 'sent' THEN " AC_TS("$7") " ELSE sent_at END, "
    "failed_at = CASE WHEN $2 = 'failed' THEN " AC_TS("$7") " ELSE failed_at END, "
    "updated_at = " AC_TS("$7") " WHERE message_id = $1::uuid";
constexpr const char* kPostpone = "UPDATE owner_messages SET send_at = " AC_TS(
    "$2") ", last_error = $3, updated_at = " AC_TS("$4") " WHERE message_id = $1::uuid";
constexpr const char* kSetReceipt =
    "UPDATE owner_messages SET status = $2, "
    "delivered_at = CASE WHEN $2 = 'delivered' THEN " AC_TS("$3") " ELSE delivered_at END, "
    "failed_at = CASE WHEN $2 = 'failed' THEN " AC_TS("$3") " ELSE failed_at END, "
    "sent_at = COALESCE(sent_at, " AC_TS("$3") "), updated_at = " AC_TS("$4") " "
    "WHERE message_id = $1::uuid";
constexpr const char* kDeliveryStats =
    "SELECT count(*), count(*) FILTER (WHERE sent_at IS NOT NULL), "
    "count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'failed'), "
    "count(*) FILTER (WHERE status = 'suppressed'), "
    "count(*) FILTER (WHERE status IN ('queued', 'held')) FROM owner_messages "
    "WHERE project_id = $1 AND created_at >= " AC_TS("$2") " AND created_at < " AC_TS("$3");

std::optional<absl::Time> opt_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return kit::from_micros(f.as<int64_t>());
}

MessageRow row_to_message(const pqxx::row& r) {
  MessageRow m;
  m.message_id = r[0].c_str();
  m.source_key = r[1].c_str();
  m.project_id = r[2].c_str();
  m.unit_id = r[3].c_str();
  m.owner_id = r[4].c_str();
  m.channel = r[5].c_str();
  m.kind = r[6].c_str();
  m.to_masked = r[7].c_str();
  m.text = r[8].c_str();
  m.status = r[9].c_str();
  m.last_error = r[10].c_str();
  m.urgent = r[11].as<bool>();
  m.attempts = r[12].as<int>();
  m.send_at = kit::from_micros(r[13].as<int64_t>());
  m.created_at = kit::from_micros(r[14].as<int64_t>());
  m.sent_at = opt_time(r[15]);
  m.delivered_at = opt_time(r[16]);
  return m;
}

std::string opt_micros(std::optional<absl::Time> t) {
  return t ? std::to_string(kit::to_micros(*t)) : std::string();
}

}  // namespace

void upsert_work_order(pqxx::transaction_base& tx, const WorkOrderRow& r) {
  kit::exec_prepared(tx, "callback_upsert_work_order", kUpsertWorkOrder, r.work_order_id,
                     r.project_id, r.ticket_id, r.unit_id, r.emergency, r.origin);
}

std::optional<WorkOrderRow> load_work_order(pqxx::transaction_base& tx, const std::string& id) {
  pqxx::result r = kit::exec_prepared(tx, "callback_load_work_order", kLoadWorkOrder, id);
  if (r.empty()) return std::nullopt;
  return WorkOrderRow{r[0][0].c_str(), r[0][1].c_str(),    r[0][2].c_str(),
                      r[0][3].c_str(), r[0][4].as<bool>(), r[0][5].c_str()};
}

static std::optional<UnitAddress> unit_address_at(const pqxx::row& r, int first) {
  if (r[first].is_null()) return std::nullopt;
  return UnitAddress{r[first].c_str(),     r[first + 1].c_str(), r[first + 2].c_str(),
                     r[first + 3].c_str(), r[first + 4].c_str(), r[first + 5].c_str()};
}

std::optional<std::pair<WorkOrderRow, std::optional<UnitAddress>>> load_work_order_with_unit(
    pqxx::transaction_base& tx, const std::string& id) {
  pqxx::result r =
      kit::exec_prepared(tx, "callback_load_work_order_with_unit", kLoadWorkOrderWithUnit, id);
  if (r.empty()) return std::nullopt;
  return std::make_pair(WorkOrderRow{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str(),
                                     r[0][3].c_str(), r[0][4].as<bool>(), r[0][5].c_str()},
                        unit_address_at(r[0], 6));
}

MessageSettings load_message_settings(pqxx::transaction_base& tx, const std::string& project_id,
                                      const std::string& kind, const std::string& owner_id,
                                      const std::string& unit_id) {
  pqxx::row r = kit::exec_prepared(tx, "callback_message_settings", kMessageSettings, project_id,
                                   kind, owner_id, unit_id)[0];
  MessageSettings out{context_from(project_id, r[0], r[1]), std::nullopt, r[3].as<bool>(),
                      unit_address_at(r, 4)};
  if (!r[2].is_null()) out.template_text = r[2].c_str();
  return out;
}

void upsert_ticket(pqxx::transaction_base& tx, const TicketRow& r) {
  kit::exec_prepared(tx, "callback_upsert_ticket", kUpsertTicket, r.ticket_id, r.project_id,
                     r.unit_id, r.owner_id, r.emergency);
}

std::optional<TicketRow> load_ticket(pqxx::transaction_base& tx, const std::string& id) {
  pqxx::result r = tx.exec_params(kLoadTicket, id);
  if (r.empty()) return std::nullopt;
  return TicketRow{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str(), r[0][3].c_str(),
                   r[0][4].as<bool>()};
}

void set_unit_details(pqxx::transaction_base& tx, const std::string& unit_id,
                      const std::string& building, const std::string& room,
                      const std::string& phone_masked) {
  tx.exec_params(kSetUnitDetails, unit_id, building, room, phone_masked);
}

std::optional<UnitAddress> load_unit_address(pqxx::transaction_base& tx,
                                             const std::string& unit_id) {
  pqxx::result r = tx.exec_params(kLoadUnitAddress, unit_id);
  if (r.empty()) return std::nullopt;
  return UnitAddress{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str(),
                     r[0][3].c_str(), r[0][4].c_str(), r[0][5].c_str()};
}

std::vector<UnitAddress> owners_in_scope(pqxx::transaction_base& tx, const std::string& project_id,
                                         const std::vector<std::string>& buildings) {
  std::string array = "{";
  for (size_t i = 0; i < buildings.size(); ++i) {
    array += i ? ",\"" : "\"";
    for (char c : buildings[i]) {
      if (c == '"' || c == '\\') array += '\\';
      array += c;
    }
    array += '"';
  }
  array += "}";
  std::vector<UnitAddress> out;
  for (const auto& r : tx.exec_params(kOwnersInScope, project_id, array))
    out.push_back(UnitAddress{r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(),
                              r[5].c_str()});
  return out;
}

std::vector<std::string> owner_projects(pqxx::transaction_base& tx, const std::string& owner_id) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(
           "SELECT DISTINCT project_id FROM callback_units WHERE owner_id = $1 "
           "UNION SELECT DISTINCT project_id FROM owner_messages WHERE owner_id = $1 ORDER BY 1",
           owner_id))
    out.emplace_back(row[0].c_str());
  return out;
}

bool project_known(pqxx::transaction_base& tx, const std::string& project_id) {
  return !tx.exec_params(
                "SELECT 1 FROM callback_projects WHERE project_id = $1 UNION ALL "
                "SELECT 1 FROM callback_units WHERE project_id = $1 LIMIT 1",
                project_id)
              .empty();
}

void upsert_channel(pqxx::transaction_base& tx, const ChannelRow& row, absl::Time now) {
  tx.exec_params(kUpsertChannel, row.project_id, row.channel, row.url, row.secret, row.enabled,
                 kit::to_micros(now));
}

std::optional<ChannelRow> load_channel(pqxx::transaction_base& tx, const std::string& project_id,
                                       const std::string& channel) {
  pqxx::result r = tx.exec_params(kLoadChannel, project_id, channel);
  if (r.empty()) return std::nullopt;
  return ChannelRow{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str(), r[0][3].c_str(),
                    r[0][4].as<bool>()};
}

void replace_opt_outs(pqxx::transaction_base& tx, const std::string& owner_id,
                      const std::vector<std::string>& kinds) {
  tx.exec_params(kDeleteOptOuts, owner_id);
  for (const std::string& k : kinds) tx.exec_params(kInsertOptOut, owner_id, k);
}

std::vector<std::string> load_opt_outs(pqxx::transaction_base& tx, const std::string& owner_id) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(kLoadOptOuts, owner_id)) out.emplace_back(row[0].c_str());
  return out;
}

std::optional<std::string> template_override(pqxx::transaction_base& tx,
                                             const std::string& project_id,
                                             const std::string& kind) {
  pqxx::result r = tx.exec_params(kTemplate, project_id, kind);
  if (r.empty()) return std::nullopt;
  return std::string(r[0][0].c_str());
}

bool insert_message(pqxx::transaction_base& tx, const MessageRow& m) {
  pqxx::result r = kit::exec_prepared(tx, "callback_insert_message", kInsertMessage, m.message_id,
                                      m.source_key, m.project_id, m.unit_id, m.owner_id, m.channel,
                                      m.kind, m.urgent, m.to_masked, m.text, m.status,
                                      kit::to_micros(m.send_at), kit::to_micros(m.created_at));
  return r.affected_rows() == 1;
}

std::optional<MessageRow> load_message(pqxx::transaction_base& tx, const std::string& message_id) {
  pqxx::result r = tx.exec_params(
      std::string("SELECT ") + kMessageColumns + " FROM owner_messages WHERE message_id = $1::uuid",
      message_id);
  if (r.empty()) return std::nullopt;
  return row_to_message(r[0]);
}

int planned_between(pqxx::transaction_base& tx, const std::string& owner_id, absl::Time from,
                    absl::Time to) {
  return kit::exec_prepared(tx, "callback_planned_between", kPlannedBetween, owner_id,
                            kit::to_micros(from), kit::to_micros(to))[0][0]
      .as<int>();
}

std::vector<MessageRow> claim_due(pqxx::transaction_base& tx, absl::Time now, int limit) {
  std::vector<MessageRow> out;
  for (const auto& row : tx.exec_params(
           std::string("SELECT ") + kMessageColumns +
               " FROM owner_messages WHERE status IN ('queued', 'held') AND send_at <= " +
               AC_TS("$1") " ORDER BY send_at, message_id LIMIT $2 "
                           "FOR UPDATE SKIP LOCKED",
           kit::to_micros(now), limit)) {
    out.push_back(row_to_message(row));
  }
  return out;
}

void record_attempt(pqxx::transaction_base& tx, const std::string& message_id,
                    const std::string& status, int attempts, std::optional<absl::Time> next_at,
                    const std::string& error, const std::string& to_masked, absl::Time now) {
  std::string next = opt_micros(next_at);
  tx.exec_params(kRecordAttempt, message_id, status, attempts, kit::nullable(next), error,
                 to_masked, kit::to_micros(now));
}

void postpone(pqxx::transaction_base& tx, const std::string& message_id, absl::Time until,
              const std::string& why, absl::Time now) {
  tx.exec_params(kPostpone, message_id, kit::to_micros(until), why, kit::to_micros(now));
}

void set_receipt_status(pqxx::transaction_base& tx, const std::string& message_id,
                        const std::string& status, absl::Time at, absl::Time now) {
  tx.exec_params(kSetReceipt, message_id, status, kit::to_micros(at), kit::to_micros(now));
}

std::vector<MessageRow> list_messages(pqxx::transaction_base& tx, const std::string& owner_id,
                                      int limit) {
  std::vector<MessageRow> out;
  for (const auto& row : tx.exec_params(std::string("SELECT ") + kMessageColumns +
                                            " FROM owner_messages WHERE owner_id = $1 "
                                            "ORDER BY created_at DESC, message_id LIMIT $2",
                                        owner_id, limit)) {
    out.push_back(row_to_message(row));
  }
  return out;
}

DeliveryStats delivery_stats(pqxx::transaction_base& tx, const std::string& project_id,
                             absl::Time from, absl::Time to) {
  pqxx::row r =
      tx.exec_params(kDeliveryStats, project_id, kit::to_micros(from), kit::to_micros(to))[0];
  return {r[0].as<int64_t>(), r[1].as<int64_t>(), r[2].as<int64_t>(),
          r[3].as<int64_t>(), r[4].as<int64_t>(), r[5].as<int64_t>()};
}

}  // namespace aftercare::callback::store
