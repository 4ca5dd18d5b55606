#include "dispatch/store/webhook_store.h"

#include <map>

#include "common/pg.h"
#include "common/sql_array.h"
#include "dispatch/domain/names.h"
#include "dispatch/domain/webhook.h"
#include "dispatch/store/dispatch_store.h"

namespace aftercare::dispatch::store {
namespace {

using aftercare::v1::WebhookDelivery;

constexpr const char* kFindWebhook = R"(
  SELECT party_id, url, secret, active, (extract(epoch FROM created_at) * 1000000)::bigint,
         (extract(epoch FROM updated_at) * 1000000)::bigint
  FROM webhooks WHERE party_id = $1)";
constexpr const char* kUpsertWebhook = R"(
  INSERT INTO webhooks (party_id, url, secret, active, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz)
  ON CONFLICT (party_id) DO UPDATE
    SET url = EXCLUDED.url, secret = EXCLUDED.secret, active = EXCLUDED.active,
        updated_at = EXCLUDED.updated_at)";

// Microseconds since the epoch; NULL stays NULL.
constexpr const char* kDeliveryColumns = R"(
  d.delivery_id::text, d.party_id, d.seq, e.event_id::text, e.event_type, e.work_order_id,
  d.status, d.attempts, (extract(epoch FROM d.next_attempt_at) * 1000000)::bigint,
  (extract(epoch FROM d.created_at) * 1000000)::bigint,
  (extract(epoch FROM d.delivered_at) * 1000000)::bigint, d.last_status, d.last_error)";

std::string list_sql() {
  return std::string("SELECT ") + kDeliveryColumns + R"(
  FROM webhook_deliveries d JOIN partner_events e USING (party_id, seq)
  WHERE d.party_id = $1 AND ($2 = '' OR d.status = $2) AND ($3 = 0 OR d.seq < $3)
  ORDER BY d.seq DESC
  LIMIT $4)";
}

std::string find_sql(bool for_update) {
  return std::string("SELECT ") + kDeliveryColumns + R"(
  FROM webhook_deliveries d JOIN partner_events e USING (party_id, seq)
  WHERE d.delivery_id::text = $1)" +
         (for_update ? " FOR UPDATE OF d" : "");
}

constexpr const char* kAttempts = R"(
  SELECT delivery_id::text, attempt, (extract(epoch FROM attempted_at) * 1000000)::bigint,
         status_code, error, duration_ms
  FROM webhook_attempts WHERE delivery_id::text = ANY ($1::text[])
  ORDER BY delivery_id, attempt)";

constexpr const char* kRedeliver = R"(
  UPDATE webhook_deliveries
  SET status = 'pending', schedule_start = $2::timestamptz, failures = 0,
      next_attempt_at = $2::timestamptz, delivered_at = NULL, updated_at = $2::timestamptz
  WHERE delivery_id::text = $1)";

constexpr const char* kClaimDue = R"(
  SELECT d.delivery_id::text, d.party_id, d.seq, d.attempts, d.failures,
         (extract(epoch FROM d.schedule_start) * 1000000)::bigint, w.url, w.secret, e.event
  FROM webhook_deliveries d
  JOIN webhooks w ON w.party_id = d.party_id AND w.active
  JOIN partner_events e ON e.party_id = d.party_id AND e.seq = d.seq
  WHERE d.status = 'pending' AND d.next_attempt_at <= $1::timestamptz
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                    WHERE p.party_id = d.party_id AND p.status = 'pending' AND p.seq < d.seq)
  ORDER BY d.next_attempt_at, d.party_id, d.seq
  LIMIT 1
  FOR UPDATE OF d SKIP LOCKED)";

constexpr const char* kInsertAttempt = R"(
  INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, error,
                                duration_ms)
  VALUES ($1::uuid, $2, $3::timestamptz, $4, $5, $6))";
constexpr const char* kSettle = R"(
  UPDATE webhook_deliveries
  SET attempts = $2, failures = $3, status = $4, next_attempt_at = $5::timestamptz,
      delivered_at = $6::timestamptz, last_status = $7, last_error = $8,
      updated_at = $9::timestamptz
  WHERE delivery_id::text = $1)";

std::optional<absl::Time> micros_or_null(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return absl::FromUnixMicros(f.as<int64_t>());
}

WebhookDelivery delivery_from_row(const pqxx::row& r) {
  WebhookDelivery d;
  d.set_delivery_id(r[0].as<std::string>());
  d.set_party_id(r[1].as<std::string>());
  d.set_cursor(std::to_string(r[2].as<int64_t>()));
  d.set_event_id(r[3].as<std::string>());
  d.set_event_type(r[4].as<std::string>());
  d.set_work_order_id(r[5].as<std::string>());
  d.set_status(
      domain::parse_public_name<aftercare::v1::WebhookDeliveryStatus>(r[6].as<std::string>())
          .value_or(aftercare::v1::WEBHOOK_DELIVERY_STATUS_UNSPECIFIED));
  d.set_attempts(r[7].as<int>());
  if (auto t = micros_or_null(r[8]);
      t && d.status() == aftercare::v1::WEBHOOK_DELIVERY_STATUS_PENDING)
    *d.mutable_next_attempt_at() = to_timestamp(*t);
  if (auto t = micros_or_null(r[9])) *d.mutable_created_at() = to_timestamp(*t);
  if (auto t = micros_or_null(r[10])) *d.mutable_delivered_at() = to_timestamp(*t);
  if (!r[11].is_null()) d.set_last_status_code(r[11].as<int>());
  if (!r[12].is_null()) d.set_last_error(r[12].as<std::string>());
  return d;
}

void attach_attempts(pqxx::work& tx, std::vector<WebhookDelivery>& deliveries) {
  if (deliveries.empty()) return;
  kit::RowsById<WebhookDelivery> by_id(deliveries,
                                       [](const WebhookDelivery& d) { return d.delivery_id(); });
  for (const auto& row : tx.exec_params(kAttempts, by_id.ids())) {
    WebhookDelivery* d = by_id.find(row[0].as<std::string>());
    if (!d) continue;
    aftercare::v1::WebhookAttempt* a = d->add_attempt_log();
    a->set_attempt(row[1].as<int>());
    *a->mutable_attempted_at() = to_timestamp(absl::FromUnixMicros(row[2].as<int64_t>()));
    a->set_status_code(row[3].as<int>());
    a->set_error(row[4].as<std::string>());
    a->set_duration_ms(row[5].as<int>());
  }
}

}  // namespace

std::optional<StoredWebhook> find_webhook(pqxx::work& tx, const std::string& party_id,
                                          bool for_update) {
  pqxx::result r =
      tx.exec_params(std::string(kFindWebhook) + (for_update ? " FOR UPDATE" : ""), party_id);
  if (r.empty()) return std::nullopt;
  StoredWebhook out;
  out.webhook.set_party_id(r[0][0].as<std::string>());
  out.webhook.set_url(r[0][1].as<std::string>());
  out.secret = r[0][2].as<std::string>();
  out.webhook.set_secret_hint(domain::secret_hint(out.secret));
  out.webhook.set_active(r[0][3].as<bool>());
  *out.webhook.mutable_created_at() = to_timestamp(absl::FromUnixMicros(r[0][4].as<int64_t>()));
  *out.webhook.mutable_updated_at() = to_timestamp(absl::FromUnixMicros(r[0][5].as<int64_t>()));
  return out;
}

void upsert_webhook(pqxx::work& tx, const std::string& party_id, const std::string& url,
                    const std::string& secret, bool active, absl::Time now) {
  tx.exec_params(kUpsertWebhook, party_id, url, secret, active, sql_time(now));
}

std::vector<WebhookDelivery> list_deliveries(pqxx::work& tx, const std::string& party_id,
                                             const std::string& status, int64_t before_seq,
                                             int limit) {
  std::vector<WebhookDelivery> out;
  for (const auto& row : tx.exec_params(list_sql(), party_id, status, before_seq, limit))
    out.push_back(delivery_from_row(row));
  attach_attempts(tx, out);
  return out;
}

std::optional<WebhookDelivery> find_delivery(pqxx::work& tx, const std::string& delivery_id,
                                             bool for_update) {
  pqxx::result r = tx.exec_params(find_sql(for_update), delivery_id);
  if (r.empty()) return std::nullopt;
  std::vector<WebhookDelivery> one{delivery_from_row(r[0])};
  attach_attempts(tx, one);
  return one.front();
}

void redeliver(pqxx::work& tx, const std::string& delivery_id, absl::Time now) {
  tx.exec_params(kRedeliver, delivery_id, sql_time(now));
}

std::optional<DueDelivery> claim_due_delivery(pqxx::work& tx, absl::Time now) {
  pqxx::result r = tx.exec_params(kClaimDue, sql_time(now));
  if (r.empty()) return std::nullopt;
  DueDelivery d;
  d.delivery_id = r[0][0].as<std::string>();
  d.party_id = r[0][1].as<std::string>();
  d.seq = r[0][2].as<int64_t>();
  d.attempts = r[0][3].as<int>();
  d.failures = r[0][4].as<int>();
  d.schedule_start = absl::FromUnixMicros(r[0][5].as<int64_t>());
  d.url = r[0][6].as<std::string>();
  d.secret = r[0][7].as<std::string>();
  d.event.set_cursor(std::to_string(d.seq));
  *d.event.mutable_event() = parse<aftercare::v1::Event>(r[0][8]);
  return d;
}

void record_attempt(pqxx::work& tx, const DueDelivery& d, absl::Time attempted_at,
                    const AttemptResult& result) {
  int attempt = d.attempts + 1;
  tx.exec_params(kInsertAttempt, d.delivery_id, attempt, sql_time(attempted_at), result.status_code,
                 result.error, result.duration_ms);
  std::string status = result.delivered ? "delivered" : result.next_attempt ? "pending" : "failed";
  std::string next = result.next_attempt ? sql_time(*result.next_attempt) : "";
  std::string delivered = result.delivered ? sql_time(attempted_at) : "";
  tx.exec_params(kSettle, d.delivery_id, attempt, result.delivered ? d.failures : d.failures + 1,
                 status, kit::nullable(next), kit::nullable(delivered), result.status_code,
                 result.error, sql_time(attempted_at));
}

}  // namespace aftercare::dispatch::store
