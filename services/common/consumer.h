// Kafka consumer with an inbox. Each event is applied inside a database transaction that also
// records its event_id in kit_inbox (a duplicate is skipped), and the Kafka offset is stored
// only after that transaction committed. The messages already fetched are applied together, in
// fetch order, in one transaction (one inbox insert for all of them): under a storm of events
// the cost per event is a fraction of a transaction's. When anything in a batch fails, the
// batch is rolled back and its messages are applied one by one, so one bad event is retried
// and dead-lettered alone and the others are applied exactly once. Delivery is at-least-once;
// effects are exactly-once. A message whose handler keeps failing goes to <topic>.dlq after
// max_attempts tries and is recorded in kit_dead_letters; a database outage is waited out, never
// dead-lettered.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "aftercare/v1/events.pb.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "common/pg.h"

namespace aftercare::kit {

// Applies one event inside the consumer's transaction. Throwing rolls the transaction back.
using EventHandler = std::function<void(pqxx::work& tx, const aftercare::v1::Event& event)>;

// One event of a fetched batch with the trace of its message (the `traceparent` header).
struct FetchedEvent {
  const aftercare::v1::Event* event;
  std::string traceparent;
};
// Issue 21: applies the fresh events of a batch (first deliveries, in fetch order) together, in
// the consumer's transaction, for a service that writes many events' rows in one statement. It
// sets each event's trace itself (TraceScope::from_header) where it writes that event's rows.
// Throwing rolls the whole batch back; its events are then applied one by one by EventHandler,
// which must give the same effects.
using BatchHandler = std::function<void(pqxx::work& tx, const std::vector<FetchedEvent>& events)>;

// The outcome of a poll, for tests and metrics.
enum class Delivery { kNone, kApplied, kDuplicate, kDeadLettered, kRetrying };

class EventConsumer {
 public:
  struct Options {
    std::string name;  // the consumer group and the inbox key, e.g. "dispatch.tickets"
    std::vector<std::string> topics;
    int max_attempts = 5;
    std::chrono::milliseconds retry_backoff{200};
    KafkaSettings settings = {};  // extra librdkafka settings
    int max_batch = 200;          // messages applied in one transaction at most
  };
  // Without a batch handler, a batch's events go to `handler` one after the other.
  EventConsumer(PgPool& pool, const std::string& bootstrap, Metrics& metrics, Options options,
                EventHandler handler, BatchHandler batch_handler = {});
  ~EventConsumer();

  // Waits up to `wait` for one message and handles it.
  Delivery poll_once(std::chrono::milliseconds wait);
  // Waits up to `wait` for a message, takes the others already fetched (up to max_batch) and
  // applies them together; one outcome per message, in fetch order (messages of a partition
  // whose earlier message is being retried are left for the next poll and have none).
  std::vector<Delivery> poll_batch(std::chrono::milliseconds wait);
  // Consumes until stopped, then commits stored offsets and leaves the group.
  void run(std::stop_token stop);

  // Fault point for tests: called after the inbox transaction committed, before the offset is
  // stored — a crash here must not apply the event twice on redelivery.
  std::function<void()> after_commit_before_offset_store;

 private:
  Delivery handle(RdKafka::Message& message);
  // Applies the batch in one transaction; nullopt when that failed and nothing was applied.
  std::optional<std::vector<Delivery>> apply_together(
      const std::vector<std::unique_ptr<RdKafka::Message>>& batch);
  // A broker that lost its data (devbroker restarted) may already hold new events at offsets
  // this consumer had passed on the old one: on a change of cluster, start over from the
  // earliest offset (the inbox makes the repeats harmless).
  void watch_cluster();
  void rewind_to_start();
  bool dead_letter(RdKafka::Message& message, const std::string& event_id, const std::string& error,
                   int attempts);
  void store_offset(RdKafka::Message& message);

  PgPool& pool_;
  Options options_;
  EventHandler handler_;
  BatchHandler batch_handler_;
  ConnectionEvents events_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::string cluster_;  // the cluster identity last seen ("" = not yet asked)
  std::chrono::steady_clock::time_point cluster_checked_{};
  std::unique_ptr<BatchProducer> dlq_producer_;
  std::string bootstrap_;
  // Failures of the message at the head of each partition (it blocks its partition while
  // retried, so order within an aggregate holds).
  std::string failing_key_;
  int failing_attempts_ = 0;
  Counter& applied_;
  Counter& duplicates_;
  Counter& dead_lettered_;
  Counter& failures_;
  Counter& rewinds_;
  Counter& batches_;
};

}  // namespace aftercare::kit
