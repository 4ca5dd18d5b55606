// The inbox consumer against real PostgreSQL and devbroker: a redelivered event has no second
// effect, a crash after the DB commit and before the offset commit is harmless, a handler that
// keeps failing sends its message to the DLQ after N tries (and the partition moves on), a
// poison message is dead-lettered at once; fetched events are applied together, and a bad one
// among them is dead-lettered alone while the others are applied exactly once; a batch handler
// gets the fresh events of a batch at once, in order with their traces, and a batch it fails is
// applied one by one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "common/consumer.h"
#include "common/kafka.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/trace.h"
#include "support/test_env.h"

namespace aftercare::kit {
namespace {

using aftercare::v1::Event;

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_url_ = testing::fresh_database("t_consumer");
    pool_ = std::make_unique<PgPool>(db_url_, 4);
    apply_migrations(*pool_, "kit", kit_migrations());
    pool_->in_transaction([](pqxx::work& tx) {
      // tx: which transaction applied the event (a batch applies many in one).
      tx.exec(
          "CREATE TABLE effects (event_id text, aggregate text, trace_id text,"
          " tx bigint DEFAULT txid_current())");
    });
    topic_ = testing::create_topic("test.consumer", 1);
    ASSERT_EQ(
        testing::devbroker_post("/topics", R"({"name":")" + topic_ + R"(.dlq","partitions":1})"),
        200);
    group_ = "test-group-" + std::to_string(::getpid()) + "-" + topic_;
  }

  Event event(const std::string& aggregate) {
    Event e;
    e.set_event_id(new_uuid());
    e.set_type("test.Happened");
    e.set_aggregate_id(aggregate);
    return e;
  }

  // Publishes raw messages the way the relay does.
  void publish(const std::vector<std::pair<std::string, std::string>>& key_values,
               const std::string& traceparent = "") {
    BatchProducer producer(testing::kafka_bootstrap());
    std::vector<OutgoingMessage> batch;
    for (auto& [k, v] : key_values) {
      OutgoingMessage m{topic_, k, v, {}};
      if (!traceparent.empty()) m.headers.emplace_back("traceparent", traceparent);
      batch.push_back(m);
    }
    for (auto& r : producer.publish(batch, std::chrono::seconds(10))) ASSERT_TRUE(r.delivered());
  }

  EventConsumer::Options options(int max_attempts = 3) {
    // A short session so the group notices a killed member quickly.
    return {group_,
            {topic_},
            max_attempts,
            std::chrono::milliseconds(20),
            {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}};
  }

  static void record_effect(pqxx::work& tx, const Event& e) {
    tx.exec_params("INSERT INTO effects VALUES ($1, $2, $3)", e.event_id(), e.aggregate_id(),
                   current_trace().trace_id);
  }

  // Polls until `n` messages were handled one way or another.
  std::vector<Delivery> drain(EventConsumer& consumer, size_t n) {
    std::vector<Delivery> seen;
    testing::eventually(
        [&] {
          Delivery d = consumer.poll_once(std::chrono::milliseconds(100));
          if (d == Delivery::kApplied || d == Delivery::kDuplicate || d == Delivery::kDeadLettered)
            seen.push_back(d);
          return seen.size() >= n;
        },
        std::chrono::seconds(60));
    return seen;
  }

  // The service's path: polls batches until `n` messages were handled one way or another.
  std::vector<Delivery> drain_batches(EventConsumer& consumer, size_t n) {
    std::vector<Delivery> seen;
    testing::eventually(
        [&] {
          for (Delivery d : consumer.poll_batch(std::chrono::milliseconds(100)))
            if (d == Delivery::kApplied || d == Delivery::kDuplicate ||
                d == Delivery::kDeadLettered)
              seen.push_back(d);
          return seen.size() >= n;
        },
        std::chrono::seconds(60));
    return seen;
  }

  int count(const std::string& sql) {
    return pool_->in_transaction([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<int>(); });
  }

  std::string db_url_, topic_, group_;
  Metrics metrics_;
  std::unique_ptr<PgPool> pool_;
};

TEST_F(ConsumerTest, RedeliveredEventHasNoSecondEffect) {
  Event e = event("T-1");
  std::string trace = TraceContext::fresh().traceparent();
  publish({{"T-1", e.SerializeAsString()}, {"T-1", e.SerializeAsString()}}, trace);
  EventConsumer consumer(*pool_, testing::kafka_bootstrap(), metrics_, options(), &record_effect);
  auto seen = drain(consumer, 2);
  EXPECT_EQ(seen, (std::vector<Delivery>{Delivery::kApplied, Delivery::kDuplicate}));
  EXPECT_EQ(count("SELECT count(*) FROM effects"), 1);
  // The handler ran under the producer's trace.
  EXPECT_EQ(count("SELECT count(*) FROM effects WHERE trace_id = '" +
                  TraceContext::parse(trace)->trace_id + "'"),
            1);
}

TEST_F(ConsumerTest, CrashAfterCommitBeforeOffsetCommitIsHarmless) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (int i = 0; i < 3; ++i)
    messages.emplace_back("T-" + std::to_string(i),
                          event("T-" + std::to_string(i)).SerializeAsString());
  publish(messages);

  // The child applies the first event, then is killed before it stores the offset.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    PgPool pool(db_url_, 1);
    Metrics metrics;
    EventConsumer consumer(pool, testing::kafka_bootstrap(), metrics, options(), &record_effect);
    consumer.after_commit_before_offset_store = [] { raise(SIGKILL); };
    for (;;) consumer.poll_once(std::chrono::milliseconds(100));
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(count("SELECT count(*) FROM effects"), 1);

  // The group's offset never moved, so the first event comes again and the inbox skips it.
  EventConsumer consumer(*pool_, testing::kafka_bootstrap(), metrics_, options(), &record_effect);
  auto seen = drain(consumer, 3);
  EXPECT_EQ(seen,
            (std::vector<Delivery>{Delivery::kDuplicate, Delivery::kApplied, Delivery::kApplied}));
  EXPECT_EQ(count("SELECT count(*) FROM effects"), 3);
  EXPECT_EQ(count("SELECT count(DISTINCT event_id) FROM effects"), 3);
}

TEST_F(ConsumerTest, HandlerThatKeepsFailingGoesToTheDlqAndThePartitionMovesOn) {
  Event bad = event("T-bad"), good = event("T-good");
  publish({{"T-bad", bad.SerializeAsString()}, {"T-good", good.SerializeAsString()}});
  int calls_for_bad = 0;
  EventConsumer consumer(*pool_, testing::kafka_bootstrap(), metrics_, options(3),
                         [&](pqxx::work& tx, const Event& e) {
                           if (e.aggregate_id() == "T-bad") {
                             ++calls_for_bad;
                             tx.exec("INSERT INTO effects VALUES ('partial', 'T-bad', '')");
                             throw std::runtime_error("cannot apply");
                           }
                           record_effect(tx, e);
                         });
  auto seen = drain(consumer, 2);
  EXPECT_EQ(seen, (std::vector<Delivery>{Delivery::kDeadLettered, Delivery::kApplied}));
  EXPECT_EQ(calls_for_bad, 3);
  // The failed attempts' writes were rolled back; the good event was applied after it.
  EXPECT_EQ(count("SELECT count(*) FROM effects WHERE aggregate = 'T-bad'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM effects WHERE aggregate = 'T-good'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM kit_dead_letters WHERE event_id = '" + bad.event_id() +
                  "' AND attempts = 3"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM kit_inbox WHERE event_id = '" + bad.event_id() + "'"), 0);
  auto dlq = testing::read_topic(topic_ + ".dlq", 1);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].value, bad.SerializeAsString());
  EXPECT_EQ(dlq[0].headers["error"], "cannot apply");
  EXPECT_EQ(dlq[0].headers["consumer"], group_);
}

TEST_F(ConsumerTest, PoisonMessageIsDeadLetteredAtOnce) {
  publish({{"junk", "this is not protobuf \xff\xff"}, {"T-1", event("T-1").SerializeAsString()}});
  int calls = 0;
  EventConsumer consumer(*pool_, testing::kafka_bootstrap(), metrics_, options(5),
                         [&](pqxx::work& tx, const Event& e) {
                           ++calls;
                           record_effect(tx, e);
                         });
  auto seen = drain(consumer, 2);
  EXPECT_EQ(seen, (std::vector<Delivery>{Delivery::kDeadLettered, Delivery::kApplied}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(count("SELECT count(*) FROM kit_dead_letters"), 1);
  EXPECT_EQ(testing::read_topic(topic_ + ".dlq", 1).size(), 1u);
}

TEST_F(ConsumerTest, FetchedEventsAreAppliedTogetherEachExactlyOnce) {
  std::vector<std::pair<std::string, std::string>> messages;
  std::vector<Event> events;
  for (int i = 0; i < 20; ++i) {
    events.push_back(event("T-" + std::to_string(i)));
    messages.push_back({events.back().aggregate_id(), events.back().SerializeAsString()});
  }
  messages.insert(messages.begin() + 10, messages[3]);  // a redelivered copy inside the batch
  publish(messages);
  EventConsumer consumer(*pool_, testing::kafka_bootstrap(), metrics_, options(),
                         [&](pqxx::work& tx, const Event& e) { record_effect(tx, e); });
  auto seen = drain_batches(consumer, messages.size());
  EXPECT_EQ(std::count(seen.begin(), seen.end(), Delivery::kApplied), 20);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), Delivery::kDuplicate), 1);
  EXPECT_EQ(count("SELECT count(DISTINCT event_id) FROM effects"), 20);
  EXPECT_EQ(count("SELECT count(*) FROM effects"), 20);
  EXPECT_EQ(count("SELECT count(*) FROM kit_inbox"), 20);
  // Fewer transactions than events: what was fetched together was applied together.
  EXPECT_LT(count("SELECT count(DISTINCT tx) FROM effects"), 20);
}

TEST_F(ConsumerTest, AFailingEventInABatchIsDeadLetteredAloneAndTheOthersAppliedOnce) {
  Event e1 = event("T-1"), bad = event("T-bad"), e2 = event("T-2"), e3 = event("T-3");
  publish({{"T-1", e1.SerializeAsString()},
           {"junk", "this is not protobuf \xff\xff"},
           {"T-bad", bad.SerializeAsString()},
           {"T-2", e2.SerializeAsString()},
           {"T-3", e3.SerializeAsString()}});
  int calls_for_bad = 0;
  EventConsumer consumer(*pool_, testing::kafka_bootstrap(), metrics_, options(3),
                         [&](pqxx::work& tx, const Event& e) {
                           if (e.aggregate_id() == "T-bad") {
                             ++calls_for_bad;
                             throw std::runtime_error("cannot apply");
                           }
                           record_effect(tx, e);
                         });
  auto seen = drain_batches(consumer, 5);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), Delivery::kApplied), 3);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), Delivery::kDeadLettered), 2);
  // Every good event once, although batches that held it were rolled back.
  for (const Event& e : {e1, e2, e3})
    EXPECT_EQ(count("SELECT count(*) FROM effects WHERE event_id = '" + e.event_id() + "'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM effects"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM kit_dead_letters"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM kit_dead_letters WHERE event_id = '" + bad.event_id() +
                  "' AND attempts = 3"),
            1);
  EXPECT_EQ(testing::read_topic(topic_ + ".dlq", 2).size(), 2u);
  // Tried alone three times (the batches it failed are rolled back and not counted).
  EXPECT_GE(calls_for_bad, 3);
}

TEST_F(ConsumerTest, ABatchHandlerGetsTheFreshEventsTogetherAndFailsBackToOneByOne) {
  const std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  Event e1 = event("T-1"), bad = event("T-bad"), e2 = event("T-2"), e3 = event("T-3");
  publish({{"T-1", e1.SerializeAsString()},
           {"T-1", e1.SerializeAsString()},  // a redelivered copy: not given to the handler
           {"T-2", e2.SerializeAsString()}},
          traceparent);
  std::vector<size_t> batch_sizes;
  bool fail_bad = true;
  auto one = [&](pqxx::work& tx, const Event& e) {
    if (e.aggregate_id() == "T-bad" && fail_bad) throw std::runtime_error("cannot apply");
    record_effect(tx, e);
  };
  EventConsumer consumer(*pool_, testing::kafka_bootstrap(), metrics_, options(3), one,
                         [&](pqxx::work& tx, const std::vector<FetchedEvent>& events) {
                           batch_sizes.push_back(events.size());
                           for (const FetchedEvent& f : events) {
                             if (f.event->aggregate_id() <= "T-2")
                               EXPECT_EQ(f.traceparent, traceparent);
                             TraceScope trace = TraceScope::from_header(f.traceparent);
                             one(tx, *f.event);
                           }
                         });
  auto seen = drain_batches(consumer, 3);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), Delivery::kApplied), 2);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), Delivery::kDuplicate), 1);
  EXPECT_EQ(count("SELECT count(*) FROM effects"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM effects WHERE trace_id = "
                  "'0af7651916cd43dd8448eb211c80319c'"),
            2);
  // The fetched events came to the batch handler together (what arrived at once, at least once).
  ASSERT_FALSE(batch_sizes.empty());
  if (seen.size() == 3 && batch_sizes.size() == 1) EXPECT_EQ(batch_sizes[0], 2u);

  // A batch the handler fails is applied one by one: the bad event goes to the DLQ alone.
  publish({{"T-bad", bad.SerializeAsString()}, {"T-3", e3.SerializeAsString()}});
  seen = drain_batches(consumer, 2);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), Delivery::kApplied), 1);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), Delivery::kDeadLettered), 1);
  EXPECT_EQ(count("SELECT count(*) FROM effects WHERE event_id = '" + e3.event_id() + "'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM effects"), 3);
}

}  // namespace
}  // namespace aftercare::kit
