// SQL of partner webhooks and their deliveries. Every function runs in the caller's transaction.
// Deliveries are queued with each partner-feed append (store/batch_store.h) in the transaction
// that records the partner event.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/events.pb.h"

namespace aftercare::dispatch::store {

// A webhook with its secret (never leaves the service).
struct StoredWebhook {
  aftercare::v1::Webhook webhook;  // secret_hint filled
  std::string secret;
};
std::optional<StoredWebhook> find_webhook(pqxx::work& tx, const std::string& party_id,
                                          bool for_update);
void upsert_webhook(pqxx::work& tx, const std::string& party_id, const std::string& url,
                    const std::string& secret, bool active, absl::Time now);

// Newest event first; status "" = any; before_seq 0 = from the newest. attempt_log filled.
std::vector<aftercare::v1::WebhookDelivery> list_deliveries(pqxx::work& tx,
                                                            const std::string& party_id,
                                                            const std::string& status,
                                                            int64_t before_seq, int limit);
// One delivery with its attempts; locked when for_update. `seq` receives its feed position.
std::optional<aftercare::v1::WebhookDelivery> find_delivery(pqxx::work& tx,
                                                            const std::string& delivery_id,
                                                            bool for_update);
// Due now with a fresh retry schedule starting at `now` (a redelivery by hand).
void redeliver(pqxx::work& tx, const std::string& delivery_id, absl::Time now);

// A delivery claimed by the sender, with what it needs to post it.
struct DueDelivery {
  std::string delivery_id;
  std::string party_id;
  int64_t seq = 0;
  int attempts = 0;  // before this one
  int failures = 0;  // since schedule_start
  absl::Time schedule_start;
  std::string url;
  std::string secret;
  aftercare::v1::PartnerEvent event;  // cursor + envelope, as the partner feed gives it
};
// The oldest due delivery whose party has an active webhook and no earlier pending delivery,
// locked FOR UPDATE SKIP LOCKED: replicas never claim the same one, and a party's next event
// waits until this one is settled. nullopt when none is due at `now`.
std::optional<DueDelivery> claim_due_delivery(pqxx::work& tx, absl::Time now);

// The result of one attempt.
struct AttemptResult {
  int status_code = 0;  // 0 = no HTTP answer
  std::string error;    // "" when delivered
  int duration_ms = 0;
  bool delivered = false;
  std::optional<absl::Time> next_attempt;  // pending again at; nullopt + !delivered = failed
};
// Logs the attempt (number attempts + 1) and settles the delivery.
void record_attempt(pqxx::work& tx, const DueDelivery& d, absl::Time attempted_at,
                    const AttemptResult& result);

}  // namespace aftercare::dispatch::store
