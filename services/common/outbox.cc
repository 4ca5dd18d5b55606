#include "common/outbox.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <uuid/uuid.h>

#include <thread>

#include "common/retention.h"
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
// The oldest unsent row by id, found through the partial index (ids follow commit order closely
// enough for an age alarm).
constexpr const char* kOldestUnsentSeconds = R"(
  SELECT extract(epoch FROM now() - created_at)::float8 FROM kit_outbox
  WHERE sent_at IS NULL ORDER BY id LIMIT 1)";
// Sent rows are kept for the replay window (common/retention.h), then pruned.
constexpr const char* kPruneSent =
    "DELETE FROM kit_outbox WHERE sent_at < now() - make_interval(days => $1)";
constexpr const char* kPruneInbox =
    "DELETE FROM kit_inbox WHERE processed_at < now() - make_interval(days => $1)";
constexpr const char* kLastCluster = "SELECT identity FROM kit_broker_cluster FOR UPDATE";
constexpr const char* kRecordCluster = R"(
  INSERT INTO kit_broker_cluster (identity) VALUES ($1)
  ON CONFLICT (singleton) DO UPDATE SET identity = EXCLUDED.identity, seen_at = now())";
// The old cluster took these rows and is gone: unsent again, they leave in their original order.
constexpr const char* kReplayWindow = R"(
  UPDATE kit_outbox SET sent_at = NULL, replays = replays + 1
  WHERE sent_at > now() - make_interval(days => $1))";

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

std::string event_type_of(const std::string& producer, const aftercare::v1::Event& event) {
  const google::protobuf::OneofDescriptor* oneof =
      aftercare::v1::Event::descriptor()->FindOneofByName("payload");
  const google::protobuf::FieldDescriptor* field =
      event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
  return field == nullptr ? "" : producer + "." + field->message_type()->name();
}

OutboxRow Outbox::row(aftercare::v1::Event event) const {
  if (event.producer().empty()) event.set_producer(producer_);
  if (std::string derived = event_type_of(event.producer(), event); !derived.empty()) {
    if (!event.type().empty() && event.type() != derived)
      throw std::logic_error("event type " + event.type() + " does not match its payload " +
                             derived);
    event.set_type(std::move(derived));
  }
  if (event.type().empty()) throw std::logic_error("an event without payload needs a type");
  if (event.event_id().empty()) event.set_event_id(new_uuid());
  if (!event.has_occurred_at())
    *event.mutable_occurred_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  const TraceContext& trace = current_trace();
  if (event.trace_id().empty()) event.set_trace_id(trace.trace_id);
  return {event.event_id(),
          topic_,
          event.aggregate_id(),
          event.type(),
          trace.trace_id.empty() ? "" : trace.traceparent(),
          event.SerializeAsString()};
}

std::string Outbox::add(pqxx::transaction_base& tx, aftercare::v1::Event event) const {
  OutboxRow r = row(std::move(event));
  // Prepared (issue 21): every event handler and use case that emits comes through here.
  exec_prepared(tx, "kit_outbox_add", kInsertOutbox, r.event_id, r.topic, r.partition_key,
                r.event_type, nullable(r.traceparent),
                pqxx::binarystring(r.payload.data(), r.payload.size()));
  return r.event_id;
}

std::string outbox_insert_sql(int first_param, std::string_view condition) {
  auto p = [&](int i) { return "$" + std::to_string(first_param + i); };
  // WITH ORDINALITY + ORDER BY: the ids (the relay's order) follow the rows' order.
  return "INSERT INTO kit_outbox (event_id, topic, partition_key, event_type, traceparent, "
         "payload) SELECT o.id::uuid, o.topic, o.k, o.type, nullif(o.tp, ''), "
         "decode(o.payload, 'hex') FROM unnest(" +
         p(0) + "::text[], " + p(1) + "::text[], " + p(2) + "::text[], " + p(3) + "::text[], " +
         p(4) + "::text[], " + p(5) +
         "::text[]) WITH ORDINALITY AS o(id, topic, k, type, tp, payload, n) " +
         (condition.empty() ? std::string() : "WHERE " + std::string(condition) + " ") +
         "ORDER BY o.n";
}

std::array<std::string, 6> outbox_row_arrays(const std::vector<OutboxRow>& rows) {
  std::vector<std::string> ids, topics, keys, types, traceparents, payloads;
  static constexpr char kHex[] = "0123456789abcdef";
  for (const OutboxRow& r : rows) {
    ids.push_back(r.event_id);
    topics.push_back(r.topic);
    keys.push_back(r.partition_key);
    types.push_back(r.event_type);
    traceparents.push_back(r.traceparent);
    std::string hex;
    hex.reserve(r.payload.size() * 2);
    for (unsigned char c : r.payload) {
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    payloads.push_back(std::move(hex));
  }
  return {text_array(ids),   text_array(topics),       text_array(keys),
          text_array(types), text_array(traceparents), text_array(payloads)};
}

void BrokerStatus::unreachable() {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t expected = 0;
  unreachable_since_ms_.compare_exchange_strong(expected, now);  // keeps the first failure
}

std::chrono::milliseconds BrokerStatus::unreachable_for() const {
  const int64_t since = unreachable_since_ms_.load();
  if (since == 0) return std::chrono::milliseconds(0);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  return std::chrono::milliseconds(std::max<int64_t>(1, now - since));
}

OutboxRelay::OutboxRelay(PgPool& pool, std::function<std::string()> bootstrap, Metrics& metrics,
                         Options options, BrokerStatus* broker_status)
    : pool_(pool),
      bootstrap_(std::move(bootstrap)),
      options_(std::move(options)),
      broker_status_(broker_status),
      published_(metrics.counter("aftercare_outbox_published_total",
                                 "Outbox events published and marked sent")),
      replayed_(metrics.counter("aftercare_outbox_replayed_total",
                                "Sent events published again because the broker lost them")),
      failed_(metrics.counter("aftercare_outbox_publish_failures_total",
                              "Outbox events the broker did not acknowledge (retried)")),
      producer_resets_(metrics.counter("aftercare_outbox_producer_resets_total",
                                       "Producers recreated after a fatal error")),
      backlog_(metrics.gauge("aftercare_outbox_backlog", "Committed events not yet published")),
      oldest_unsent_(metrics.gauge("aftercare_outbox_oldest_unsent_seconds",
                                   "Age of the oldest committed event not yet published")) {}

OutboxRelay::~OutboxRelay() = default;

BatchProducer& OutboxRelay::producer() {
  if (!producer_) {
    producer_ = std::make_unique<BatchProducer>(bootstrap_(), options_.producer_settings);
    verified_cluster_.clear();  // a new producer may reach another cluster
  }
  return *producer_;
}

bool OutboxRelay::check_cluster() {
  const auto now = std::chrono::steady_clock::now();
  const bool connection_lost = producer().take_connection_lost();
  const bool never_asked = verified_cluster_.empty() && unadopted_cluster_.empty();
  if (!never_asked && !connection_lost && now - cluster_checked_ < options_.cluster_check_interval)
    return true;
  cluster_checked_ = now;
  std::string identity = producer().cluster_identity(options_.cluster_check_timeout);
  if (identity.empty()) {
    if (broker_status_) broker_status_->unreachable();
    // Whatever answers next is compared with the database again before anything is published.
    verified_cluster_.clear();
    unadopted_cluster_.clear();
    return false;
  }
  if (broker_status_) broker_status_->reachable();
  if (identity != verified_cluster_) unadopted_cluster_ = std::move(identity);
  return true;
}

void OutboxRelay::adopt_cluster(pqxx::work& tx, const std::string& identity) {
  auto last = tx.exec(kLastCluster);
  const std::string previous = last.empty() ? "" : last[0][0].as<std::string>();
  if (previous == identity) return;
  if (!previous.empty()) {
    const auto replayed = tx.exec_params(kReplayWindow, kOutboxReplayDays).affected_rows();
    spdlog::warn(
        "outbox: the broker is cluster '{}', not '{}' as before: it lost what it held; publishing "
        "the {} events sent in the last {} days again",
        identity, previous, replayed, kOutboxReplayDays);
    replayed_.inc(replayed);
  } else {
    spdlog::info("outbox: publishing to cluster '{}'", identity);
  }
  tx.exec_params(kRecordCluster, identity);
}

int OutboxRelay::relay_once() {
  if (!check_cluster()) {
    spdlog::warn("outbox: broker unreachable, nothing published");
    return 0;
  }
  auto lease = pool_.acquire();
  pqxx::work tx(*lease);
  if (!tx.exec(kTryRelayLock)[0][0].as<bool>()) return 0;
  const bool adopting = !unadopted_cluster_.empty();
  if (adopting) adopt_cluster(tx, unadopted_cluster_);
  // The database now agrees on the cluster: later passes may publish without asking.
  auto adopted = [&] {
    if (!adopting) return;
    verified_cluster_ = std::move(unadopted_cluster_);
    unadopted_cluster_.clear();
  };
  auto rows = tx.exec_params(kClaimUnsent, options_.batch_size);
  if (rows.empty()) {
    tx.commit();
    adopted();
    backlog_.set(0);
    oldest_unsent_.set(0);
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
  adopted();
  published_.inc(sent.size());
  failed_.inc(unsent.size());
  if (!unsent.empty()) {
    spdlog::warn("outbox: {} of {} events not acknowledged, will retry", unsent.size(), ids.size());
    cluster_checked_ = {};  // a broker that fails deliveries may be a new one: ask next pass
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
  return tx.exec_params(kPruneSent, kOutboxReplayDays).affected_rows() +
         tx.exec_params(kPruneInbox, kInboxRetentionDays).affected_rows();
}

double OutboxRelay::oldest_unsent_seconds(pqxx::transaction_base& tx) {
  auto rows = tx.exec(kOldestUnsentSeconds);
  return rows.empty() ? 0.0 : std::max(0.0, rows[0][0].as<double>());
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
        pool_.in_transaction([this](pqxx::work& tx) {
          backlog_.set(tx.exec(kCountBacklog)[0][0].as<int64_t>());
          oldest_unsent_.set(static_cast<int64_t>(oldest_unsent_seconds(tx)));
        });
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
