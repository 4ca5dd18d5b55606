// Transactional outbox. A service calls Outbox::add inside the transaction that changes its
// state; OutboxRelay publishes committed rows to Kafka and marks them sent. Nothing is published
// that was not committed, and nothing committed is lost: a row stays unsent until the broker
// acknowledged it. A relay killed between publish and mark republishes the same event (same
// event_id) on restart — delivery is at-least-once and consumers' inboxes make effects
// exactly-once.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "aftercare/v1/events.pb.h"
#include "common/config.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "common/pg.h"

namespace aftercare::kit {

// One outbox row as Outbox::add stores it, for a statement that stores it with other writes.
struct OutboxRow {
  std::string event_id, topic, partition_key, event_type, traceparent, payload;
};

class Outbox {
 public:
  Outbox(std::string topic, std::string producer)
      : topic_(std::move(topic)), producer_(std::move(producer)) {}

  // Stores the event in `tx`. Fills event_id (a new UUID), occurred_at (now), trace_id (the
  // current trace), producer, and the type from the payload (event_type_of) when they are empty;
  // a type that contradicts the payload is a bug (std::logic_error). The partition key is the
  // aggregate id. Returns the event id.
  std::string add(pqxx::transaction_base& tx, aftercare::v1::Event event) const;
  // The row add() would store (event_id, occurred_at, trace, type filled the same way), for a
  // caller that stores it together with its other writes in one statement (outbox_insert_sql).
  OutboxRow row(aftercare::v1::Event event) const;

  const std::string& topic() const { return topic_; }

 private:
  std::string topic_;
  std::string producer_;
};

// What the relay last learned about its broker, read by /healthz.
class BrokerStatus {
 public:
  void reachable() { unreachable_since_ms_ = 0; }
  void unreachable();
  // 0 while reachable, else how long the broker has not answered.
  std::chrono::milliseconds unreachable_for() const;

 private:
  std::atomic<int64_t> unreachable_since_ms_{0};  // steady clock; 0 = reachable
};

class OutboxRelay {
 public:
  struct Options {
    int batch_size = 500;
    std::chrono::milliseconds idle_poll{50};
    std::chrono::milliseconds delivery_timeout{20000};
    // How often the relay asks which cluster it talks to (also after any connection failure).
    std::chrono::milliseconds cluster_check_interval{5000};
    std::chrono::milliseconds cluster_check_timeout{3000};
    KafkaSettings producer_settings;  // extra librdkafka settings (tests shorten timeouts)
  };
  // `bootstrap` is asked again whenever the producer is (re)created.
  OutboxRelay(PgPool& pool, std::function<std::string()> bootstrap, Metrics& metrics,
              Options options, BrokerStatus* broker_status = nullptr);
  ~OutboxRelay();

  // Claims up to batch_size unsent rows, publishes them, marks the acknowledged ones sent and
  // returns how many were marked. Only one relay per database works at a time (advisory lock)
  // so one aggregate's events leave in commit order. Before publishing to a producer it has not
  // verified yet (and every cluster_check_interval, and after a connection failure) it asks
  // which cluster it talks to; a cluster other than the one this database last published to
  // lost what it held, so every row sent within kOutboxReplayDays is made unsent again first.
  int relay_once();
  // Relays until stopped; errors are logged and retried with backoff. Every 10 minutes it also
  // prunes (one active relay per database does it for the database's consumers too).
  void run(std::stop_token stop);
  // Deletes outbox rows sent over kOutboxReplayDays ago and inbox ids older than
  // kInboxRetentionDays (common/retention.h); returns how many.
  static int prune(pqxx::work& tx);
  // Seconds since the oldest unsent row was committed; 0 when none is waiting.
  static double oldest_unsent_seconds(pqxx::transaction_base& tx);

  // Fault point for tests: called after the broker acknowledged a batch, before it is marked.
  std::function<void()> after_publish_before_mark;

 private:
  BatchProducer& producer();
  // Asks the broker which cluster it is when due; false when it did not answer (nothing can be
  // published then).
  bool check_cluster();
  // Records `identity` as this database's cluster, replaying the window if it changed.
  void adopt_cluster(pqxx::work& tx, const std::string& identity);
  PgPool& pool_;
  std::function<std::string()> bootstrap_;
  Options options_;
  std::unique_ptr<BatchProducer> producer_;
  BrokerStatus* broker_status_;
  std::string verified_cluster_;   // identity adopted for the current producer ("" = not yet)
  std::string unadopted_cluster_;  // answered by the broker, not yet compared with the database
  std::chrono::steady_clock::time_point cluster_checked_{};
  Counter& published_;
  Counter& replayed_;
  Counter& failed_;
  Counter& producer_resets_;
  Gauge& backlog_;
  Gauge& oldest_unsent_;
};

// The type an event of `producer` with this payload has: "<producer>.<payload message>", e.g.
// intake.TicketOpened (the catalog in the README). Empty when the event has no payload.
std::string event_type_of(const std::string& producer, const aftercare::v1::Event& event);

// A data-modifying statement that inserts rows into the outbox in their order, for a WITH term
// of a caller's statement: "WITH o AS (" + outbox_insert_sql(7) + ") ...", with
// outbox_row_arrays(rows) bound as $7..$12 (six text arrays; no rows = nothing inserted).
// `condition` (SQL over the row's columns o.id, o.type and o.k, its partition key) keeps only
// the rows it holds for, e.g. the events of the orders the same statement inserted.
std::string outbox_insert_sql(int first_param, std::string_view condition = {});
std::array<std::string, 6> outbox_row_arrays(const std::vector<OutboxRow>& rows);

// A UUID v4 in canonical lower-case form.
std::string new_uuid();

}  // namespace aftercare::kit
