// Transactional outbox. A service calls Outbox::add inside the transaction that changes its
// state; OutboxRelay publishes committed rows to Kafka and marks them sent. Nothing is published
// that was not committed, and nothing committed is lost: a row stays unsent until the broker
// acknowledged it. A relay killed between publish and mark republishes the same event (same
// event_id) on restart — delivery is at-least-once and consumers' inboxes make effects
// exactly-once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "aftercare/v1/events.pb.h"
#include "common/config.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "common/pg.h"

namespace aftercare::kit {

class Outbox {
 public:
  Outbox(std::string topic, std::string producer)
      : topic_(std::move(topic)), producer_(std::move(producer)) {}

  // Stores the event in `tx`. Fills event_id (a new UUID), occurred_at (now) and trace_id (the
  // current trace) and producer when they are empty. The partition key is the aggregate id. Returns
  // the event id.
  std::string add(pqxx::transaction_base& tx, aftercare::v1::Event event) const;

  const std::string& topic() const { return topic_; }

 private:
  std::string topic_;
  std::string producer_;
};

class OutboxRelay {
 public:
  struct Options {
    int batch_size = 500;
    std::chrono::milliseconds idle_poll{50};
    std::chrono::milliseconds delivery_timeout{20000};
    KafkaSettings producer_settings;  // extra librdkafka settings (tests shorten timeouts)
  };
  // `bootstrap` is asked again whenever the producer is (re)created.
  OutboxRelay(PgPool& pool, std::function<std::string()> bootstrap, Metrics& metrics,
              Options options);
  ~OutboxRelay();

  // Claims up to batch_size unsent rows, publishes them, marks the acknowledged ones sent and
  // returns how many were marked. Only one relay per database works at a time (advisory lock)
  // so one aggregate's events leave in commit order.
  int relay_once();
  // Relays until stopped; errors are logged and retried with backoff. Every 10 minutes it also
  // prunes (one active relay per database does it for the database's consumers too).
  void run(std::stop_token stop);
  // Deletes outbox rows sent over 7 days ago and inbox ids over 30 days old; returns how many.
  static int prune(pqxx::work& tx);

  // Fault point for tests: called after the broker acknowledged a batch, before it is marked.
  std::function<void()> after_publish_before_mark;

 private:
  BatchProducer& producer();
  PgPool& pool_;
  std::function<std::string()> bootstrap_;
  Options options_;
  std::unique_ptr<BatchProducer> producer_;
  Counter& published_;
  Counter& failed_;
  Counter& producer_resets_;
  Gauge& backlog_;
};

// A UUID v4 in canonical lower-case form.
std::string new_uuid();

}  // namespace aftercare::kit
