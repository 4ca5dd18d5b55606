#include "common/consumer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <thread>

#include "common/config.h"
#include "common/trace.h"

namespace aftercare::kit {
namespace {

constexpr const char* kRecordInInbox = R"(
  INSERT INTO kit_inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
  ON CONFLICT DO NOTHING)";
// The whole batch's inbox rows in one statement; the ids it returns are the events not seen
// before (a duplicate within the batch is returned once).
constexpr const char* kRecordBatchInInbox = R"(
  INSERT INTO kit_inbox (consumer, event_id, event_type)
  SELECT $1, e.id, e.type FROM unnest($2::uuid[], $3::text[]) AS e(id, type)
  ON CONFLICT DO NOTHING
  RETURNING event_id::text)";
constexpr const char* kRecordDeadLetter = R"(
  INSERT INTO kit_dead_letters
    (consumer, source_topic, source_partition, source_offset, event_id, error, attempts, payload)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT DO NOTHING)";

std::string header_value(RdKafka::Message& message, const std::string& name) {
  const RdKafka::Headers* headers = message.headers();
  if (!headers) return {};
  RdKafka::Headers::Header h = headers->get_last(name);
  if (h.err() != RdKafka::ERR_NO_ERROR || !h.value()) return {};
  return std::string(static_cast<const char*>(h.value()), h.value_size());
}

std::string message_key(RdKafka::Message& m) {
  return m.topic_name() + "/" + std::to_string(m.partition()) + "/" + std::to_string(m.offset());
}

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A PostgreSQL array literal of `values` (each element quoted).
std::string array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

EventConsumer::EventConsumer(PgPool& pool, const std::string& bootstrap, Metrics& metrics,
                             Options options, EventHandler handler, BatchHandler batch_handler)
    : pool_(pool),
      options_(std::move(options)),
      handler_(std::move(handler)),
      batch_handler_(std::move(batch_handler)),
      events_("consumer " + options_.name),
      bootstrap_(bootstrap),
      applied_(metrics.counter("aftercare_consumer_applied_total", "Events applied",
                               {{"consumer", options_.name}})),
      duplicates_(metrics.counter("aftercare_consumer_duplicates_total",
                                  "Redelivered events skipped by the inbox",
                                  {{"consumer", options_.name}})),
      dead_lettered_(metrics.counter("aftercare_consumer_dead_letters_total",
                                     "Events sent to the DLQ", {{"consumer", options_.name}})),
      failures_(metrics.counter("aftercare_consumer_failures_total", "Handler failures (retried)",
                                {{"consumer", options_.name}})),
      rewinds_(metrics.counter("aftercare_consumer_rewinds_total",
                               "Restarts from the earliest offset after the broker lost its data",
                               {{"consumer", options_.name}})),
      batches_(metrics.counter("aftercare_consumer_batches_total",
                               "Transactions that applied fetched events together",
                               {{"consumer", options_.name}})) {
  KafkaSettings settings = {
      {"bootstrap.servers", bootstrap},
      {"group.id", options_.name},
      // Offsets are stored by hand after the DB commit, and auto-committed from the store.
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms", "1000"},
      {"auto.offset.reset", "earliest"},
      // A restarted service rejoins after the old member's session expires: keep that short.
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "1000"},
      // How long the broker may hold a fetch that found nothing new. A real broker answers as
      // soon as data arrives; librdkafka's mock cluster (devbroker) always holds it this long,
      // adding 0-500 ms (the default) to every event hop, so deploy/local sets it to 10 ms.
      {"fetch.wait.max.ms", env_or("AFTERCARE_KAFKA_FETCH_WAIT_MS", "500")},
  };
  for (const auto& [k, v] : options_.settings) settings[k] = v;
  auto conf = make_kafka_conf(settings);
  std::string err;
  conf->set("event_cb", static_cast<RdKafka::EventCb*>(&events_), err);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) throw std::runtime_error("kafka consumer " + options_.name + ": " + err);
  if (auto e = consumer_->subscribe(options_.topics); e != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("subscribe " + options_.name + ": " + RdKafka::err2str(e));
}

EventConsumer::~EventConsumer() {
  if (consumer_) consumer_->close();
}

void EventConsumer::watch_cluster() {
  const auto now = std::chrono::steady_clock::now();
  const bool connection_lost = events_.take_connection_lost();
  if (!connection_lost && now - cluster_checked_ < std::chrono::seconds(5)) return;
  cluster_checked_ = now;
  std::string identity = cluster_identity(*consumer_, std::chrono::seconds(2));
  if (identity.empty()) return;  // unreachable: compare with what answers next
  if (!cluster_.empty() && identity != cluster_) {
    spdlog::warn(
        "consumer {}: the broker is cluster '{}', not '{}' as before: rewinding to the "
        "earliest offsets",
        options_.name, identity, cluster_);
    rewind_to_start();
  }
  cluster_ = std::move(identity);
}

void EventConsumer::rewind_to_start() {
  std::vector<RdKafka::TopicPartition*> parts;
  if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR) return;
  for (RdKafka::TopicPartition* tp : parts) {
    tp->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
    if (auto err = consumer_->seek(*tp, 2000); err != RdKafka::ERR_NO_ERROR)
      spdlog::warn("consumer {}: rewind {}/{}: {}", options_.name, tp->topic(), tp->partition(),
                   RdKafka::err2str(err));
    // The old cluster's positions must not be committed to the new one.
    tp->set_offset(0);
  }
  if (!parts.empty()) consumer_->offsets_store(parts);
  RdKafka::TopicPartition::destroy(parts);
  failing_key_.clear();
  rewinds_.inc();
}

Delivery EventConsumer::poll_once(std::chrono::milliseconds wait) {
  watch_cluster();
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(wait.count())));
  switch (message->err()) {
    case RdKafka::ERR_NO_ERROR:
      return handle(*message);
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__PARTITION_EOF:
      return Delivery::kNone;
    default:
      spdlog::warn("consumer {}: {}", options_.name, message->errstr());
      return Delivery::kNone;
  }
}

std::vector<Delivery> EventConsumer::poll_batch(std::chrono::milliseconds wait) {
  watch_cluster();
  std::vector<std::unique_ptr<RdKafka::Message>> batch;
  for (int timeout = static_cast<int>(wait.count());
       batch.size() < static_cast<size_t>(std::max(1, options_.max_batch)); timeout = 0) {
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(timeout));
    if (message->err() == RdKafka::ERR_NO_ERROR) {
      batch.push_back(std::move(message));
      continue;
    }
    if (message->err() != RdKafka::ERR__TIMED_OUT && message->err() != RdKafka::ERR__PARTITION_EOF)
      spdlog::warn("consumer {}: {}", options_.name, message->errstr());
    break;
  }
  if (batch.size() > 1) {
    if (auto together = apply_together(batch)) return *together;
  }
  // One by one, in order. A partition whose message is retried was sought back to it: its
  // later messages come again with the next poll.
  std::vector<Delivery> out;
  std::set<std::pair<std::string, int32_t>> retrying;
  for (auto& m : batch) {
    if (retrying.count({m->topic_name(), m->partition()})) continue;
    out.push_back(handle(*m));
    if (out.back() == Delivery::kRetrying) retrying.insert({m->topic_name(), m->partition()});
  }
  return out;
}

std::optional<std::vector<Delivery>> EventConsumer::apply_together(
    const std::vector<std::unique_ptr<RdKafka::Message>>& batch) {
  std::vector<aftercare::v1::Event> events(batch.size());
  std::vector<std::string> ids, types;
  for (size_t i = 0; i < batch.size(); ++i) {
    // A message that is not an event is dead-lettered on the one-by-one path.
    if (!events[i].ParseFromArray(batch[i]->payload(), static_cast<int>(batch[i]->len())) ||
        !is_uuid(events[i].event_id()))
      return std::nullopt;
    ids.push_back(events[i].event_id());
    types.push_back(events[i].type());
  }
  std::vector<Delivery> out(batch.size(), Delivery::kDuplicate);
  try {
    pool_.in_transaction([&](pqxx::work& tx) {
      std::set<std::string> fresh;
      for (const auto& row : tx.exec_params(kRecordBatchInInbox, options_.name, array_literal(ids),
                                            array_literal(types)))
        fresh.insert(row[0].as<std::string>());
      std::vector<FetchedEvent> together;
      for (size_t i = 0; i < batch.size(); ++i) {
        // The first copy of a fresh event is applied; a repeat within the batch is a duplicate.
        if (fresh.erase(events[i].event_id()) == 0) continue;
        out[i] = Delivery::kApplied;
        if (batch_handler_) {
          together.push_back({&events[i], header_value(*batch[i], "traceparent")});
          continue;
        }
        TraceScope trace = TraceScope::from_header(header_value(*batch[i], "traceparent"));
        handler_(tx, events[i]);
      }
      if (!together.empty()) batch_handler_(tx, together);
    });
  } catch (const std::exception& e) {
    spdlog::info("consumer {}: a batch of {} failed ({}); applying its events one by one",
                 options_.name, batch.size(), e.what());
    return std::nullopt;
  }
  if (after_commit_before_offset_store) after_commit_before_offset_store();
  // The next offset of each partition: its last message in the batch, plus one.
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const auto& m : batch) {
    auto& n = next[{m->topic_name(), m->partition()}];
    n = std::max(n, m->offset() + 1);
  }
  std::vector<std::unique_ptr<RdKafka::TopicPartition>> owned;
  std::vector<RdKafka::TopicPartition*> parts;
  for (const auto& [tp, offset] : next) {
    owned.emplace_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
    parts.push_back(owned.back().get());
  }
  if (auto err = consumer_->offsets_store(parts); err != RdKafka::ERR_NO_ERROR)
    spdlog::warn("consumer {}: offsets_store: {}", options_.name, RdKafka::err2str(err));
  failing_key_.clear();
  batches_.inc();
  for (Delivery d : out) (d == Delivery::kApplied ? applied_ : duplicates_).inc();
  return out;
}

Delivery EventConsumer::handle(RdKafka::Message& message) {
  TraceScope trace = TraceScope::from_header(header_value(message, "traceparent"));
  aftercare::v1::Event event;
  if (!event.ParseFromArray(message.payload(), static_cast<int>(message.len())) ||
      !is_uuid(event.event_id())) {
    // A message that can never be parsed is poison: retrying cannot help.
    return dead_letter(message, event.event_id(), "not an aftercare.v1.Event with a UUID event_id",
                       1)
               ? Delivery::kDeadLettered
               : Delivery::kRetrying;
  }
  std::string key = message_key(message);
  if (key != failing_key_) {
    failing_key_ = key;
    failing_attempts_ = 0;
  }
  try {
    bool applied = pool_.in_transaction([&](pqxx::work& tx) {
      auto inserted = tx.exec_params(kRecordInInbox, options_.name, event.event_id(), event.type());
      if (inserted.affected_rows() == 0) return false;
      handler_(tx, event);
      return true;
    });
    if (after_commit_before_offset_store) after_commit_before_offset_store();
    store_offset(message);
    failing_key_.clear();
    (applied ? applied_ : duplicates_).inc();
    return applied ? Delivery::kApplied : Delivery::kDuplicate;
  } catch (const pqxx::broken_connection& e) {
    // The database is down: not the message's fault, so no attempt is counted.
    spdlog::warn("consumer {}: database unavailable ({}), retrying", options_.name, e.what());
  } catch (const std::exception& e) {
    failures_.inc();
    ++failing_attempts_;
    spdlog::warn("consumer {}: event {} ({}) failed, attempt {}/{}: {}", options_.name,
                 event.event_id(), event.type(), failing_attempts_, options_.max_attempts,
                 e.what());
    if (failing_attempts_ >= options_.max_attempts &&
        dead_letter(message, event.event_id(), e.what(), failing_attempts_))
      return Delivery::kDeadLettered;
  }
  // Retry the same message: rewind the partition to it so later messages wait their turn.
  std::this_thread::sleep_for(options_.retry_backoff);
  std::unique_ptr<RdKafka::TopicPartition> tp(
      RdKafka::TopicPartition::create(message.topic_name(), message.partition(), message.offset()));
  if (auto err = consumer_->seek(*tp, 1000); err != RdKafka::ERR_NO_ERROR)
    spdlog::warn("consumer {}: seek failed: {}", options_.name, RdKafka::err2str(err));
  return Delivery::kRetrying;
}

bool EventConsumer::dead_letter(RdKafka::Message& message, const std::string& event_id,
                                const std::string& error, int attempts) {
  try {
    if (!dlq_producer_) dlq_producer_ = std::make_unique<BatchProducer>(bootstrap_);
    OutgoingMessage m{message.topic_name() + ".dlq",
                      message.key() ? *message.key() : std::string(),
                      std::string(static_cast<const char*>(message.payload()), message.len()),
                      {{"consumer", options_.name},
                       {"error", error},
                       {"source", message_key(message)},
                       {"attempts", std::to_string(attempts)}}};
    auto results = dlq_producer_->publish({m}, std::chrono::seconds(10));
    if (!results[0].delivered()) {
      if (!dlq_producer_->fatal_error().empty()) dlq_producer_.reset();
      throw std::runtime_error("DLQ publish failed: " + RdKafka::err2str(results[0].error));
    }
    pool_.in_transaction([&](pqxx::work& tx) {
      tx.exec_params(kRecordDeadLetter, options_.name, message.topic_name(), message.partition(),
                     message.offset(), nullable(event_id), error, attempts,
                     pqxx::binarystring(message.payload(), message.len()));
    });
  } catch (const std::exception& e) {
    // Not yet safely parked: keep the offset where it is and try again.
    spdlog::error("consumer {}: could not dead-letter {}: {}", options_.name, message_key(message),
                  e.what());
    return false;
  }
  spdlog::error("consumer {}: dead-lettered {} after {} attempts: {}", options_.name,
                message_key(message), attempts, error);
  dead_lettered_.inc();
  store_offset(message);
  failing_key_.clear();
  return true;
}

void EventConsumer::store_offset(RdKafka::Message& message) {
  std::unique_ptr<RdKafka::TopicPartition> tp(RdKafka::TopicPartition::create(
      message.topic_name(), message.partition(), message.offset() + 1));
  std::vector<RdKafka::TopicPartition*> parts{tp.get()};
  if (auto err = consumer_->offsets_store(parts); err != RdKafka::ERR_NO_ERROR)
    spdlog::warn("consumer {}: offsets_store: {}", options_.name, RdKafka::err2str(err));
}

void EventConsumer::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    try {
      poll_batch(std::chrono::milliseconds(200));
    } catch (const std::exception& e) {
      spdlog::error("consumer {}: {}", options_.name, e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  consumer_->commitSync();
}

}  // namespace aftercare::kit
