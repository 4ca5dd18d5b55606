#include "common/outbox.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <uuid/uuid.h>

#include <thread>

#include "common/trace.h"

namespace aftercare::kit {
namespace {

constexpr const char* kInsertOutbox = R"(
  INSERT INTO kit_outbox (event_id, topic, partition_key, event_type, traceparent, payload)
  VALUES ($1, $2, $3, $4, $5, $6))";
// The advisory lock makes a second replica's relay stand by instead of interleaving batches.
constexpr const char* kTryRelayLock =
    "SELECT pg_try_advisory_xact_lock(hashtext('aftercare.outbox.relay'))";
constexpr const char* kClaimUnsent = R"(
  SELECT id, event_id::text, topic, partition_key, event_type, traceparent, payload
  FROM kit_outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)";
constexpr const char* kMarkSent =
    "UPDATE kit_outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])";
constexpr const char* kCountFailedAttempt =
    "UPDATE kit_outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])";
constexpr const char* kCountBacklog = "SELECT count(*) FROM kit_outbox WHERE sent_at IS NULL";
// Sent rows are kept a week for audit and replay, then pruned.
constexpr const char* kPruneSent =
    "DELETE FROM kit_outbox WHERE sent_at < now() - interval '7 days'";
// Inbox ids are kept 30 days: far longer than the topics' retention (7 days), so no redelivery
// can be older, and handlers dedup on business keys as well.
constexpr const char* kPruneInbox =
    "DELETE FROM kit_inbox WHERE processed_at < now() - interval '30 days'";

std::string id_array(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

}  // namespace

std::string new_uuid() {
  uuid_t raw;
  uuid_generate_random(raw);
  char text[37];
  uuid_unparse_lower(raw, text);
  return text;
}

std::string Outbox::add(pqxx::transaction_base& tx, aftercare::v1::Event event) const {
  if (event.event_id().empty()) event.set_event_id(new_uuid());
  if (!event.has_occurred_at())
    *event.mutable_occurred_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  const TraceContext& trace = current_trace();
  if (event.trace_id().empty()) event.set_trace_id(trace.trace_id);
  if (event.producer().empty()) event.set_producer(producer_);
  std::string payload = event.SerializeAsString();
  std::string traceparent = trace.trace_id.empty() ? "" : trace.traceparent();
  tx.exec_params(kInsertOutbox, event.event_id(), topic_, event.aggregate_id(), event.type(),
                 nullable(traceparent), pqxx::binarystring(payload.data(), payload.size()));
  return event.event_id();
}

OutboxRelay::OutboxRelay(PgPool& pool, std::function<std::string()> bootstrap, Metrics& metrics,
                         Options options)
    : pool_(pool),
      bootstrap_(std::move(bootstrap)),
      options_(std::move(options)),
      published_(metrics.counter("aftercare_outbox_published_total",
                                 "Outbox events published and marked sent")),
      failed_(metrics.counter("aftercare_outbox_publish_failures_total",
                              "Outbox events the broker did not acknowledge (retried)")),
      producer_resets_(metrics.counter("aftercare_outbox_producer_resets_total",
                                       "Producers recreated after a fatal error")),
      backlog_(metrics.gauge("aftercare_outbox_backlog", "Committed events not yet published")) {}

OutboxRelay::~OutboxRelay() = default;

BatchProducer& OutboxRelay::producer() {
  if (!producer_)
    producer_ = std::make_unique<BatchProducer>(bootstrap_(), options_.producer_settings);
  return *producer_;
}

int OutboxRelay::relay_once() {
  auto lease = pool_.acquire();
  pqxx::work tx(*lease);
  if (!tx.exec(kTryRelayLock)[0][0].as<bool>()) return 0;
  auto rows = tx.exec_params(kClaimUnsent, options_.batch_size);
  if (rows.empty()) {
    backlog_.set(0);
    return 0;
  }
  std::vector<int64_t> ids;
  std::vector<OutgoingMessage> batch;
  for (const auto& row : rows) {
    ids.push_back(row[0].as<int64_t>());
    pqxx::binarystring payload(row[6]);
    OutgoingMessage m{row[2].as<std::string>(), row[3].as<std::string>(), payload.str(), {}};
    m.headers.emplace_back("event_id", row[1].as<std::string>());
    m.headers.emplace_back("type", row[4].as<std::string>());
    if (!row[5].is_null()) m.headers.emplace_back("traceparent", row[5].as<std::string>());
    batch.push_back(std::move(m));
  }
  auto results = producer().publish(batch, options_.delivery_timeout);
  if (after_publish_before_mark) after_publish_before_mark();

  std::vector<int64_t> sent, unsent;
  for (size_t i = 0; i < results.size(); ++i)
    (results[i].delivered() ? sent : unsent).push_back(ids[i]);
  if (!sent.empty()) tx.exec_params(kMarkSent, id_array(sent));
  if (!unsent.empty()) tx.exec_params(kCountFailedAttempt, id_array(unsent));
  tx.commit();
  published_.inc(sent.size());
  failed_.inc(unsent.size());
  if (!unsent.empty()) {
    spdlog::warn("outbox: {} of {} events not acknowledged, will retry", unsent.size(), ids.size());
    // librdkafka 2.0.2's idempotent producer can fail fatally (OUT_OF_ORDER_SEQUENCE_NUMBER)
    // after broker restarts; only a new producer recovers, and the outbox resends what is unsent.
    if (std::string fatal = producer_->fatal_error(); !fatal.empty()) {
      spdlog::error("outbox: producer fatal error '{}', recreating it", fatal);
      producer_.reset();
      producer_resets_.inc();
    }
  }
  return static_cast<int>(sent.size());
}

int OutboxRelay::prune(pqxx::work& tx) {
  return tx.exec(kPruneSent).affected_rows() + tx.exec(kPruneInbox).affected_rows();
}

void OutboxRelay::run(std::stop_token stop) {
  auto backoff = options_.idle_poll;
  auto last_prune = std::chrono::steady_clock::now();
  auto last_backlog = last_prune;
  while (!stop.stop_requested()) {
    try {
      int n = relay_once();
      backoff = options_.idle_poll;
      if (n >= options_.batch_size) continue;  // more waiting: go again at once
      auto now = std::chrono::steady_clock::now();
      if (now - last_backlog > std::chrono::seconds(5)) {  // the outbox-lag alert's signal
        last_backlog = now;
        backlog_.set(pool_.in_transaction(
            [](pqxx::work& tx) { return tx.exec(kCountBacklog)[0][0].as<int64_t>(); }));
      }
      if (now - last_prune > std::chrono::minutes(10)) {
        last_prune = now;
        pool_.in_transaction([](pqxx::work& tx) { prune(tx); });
      }
    } catch (const std::exception& e) {
      spdlog::warn("outbox relay: {}", e.what());
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
    std::condition_variable_any cv;
    std::mutex mu;
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, backoff, [] { return false; });
  }
}

}  // namespace aftercare::kit
