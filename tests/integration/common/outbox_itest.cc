// The outbox against real PostgreSQL and devbroker: committed events are published, rolled-back
// ones never are, rows committed out of id order are not skipped, a relay killed between publish
// and mark republishes (same event_id) and an inbox consumer still applies it exactly once, and
// a broker outage delays events without losing them.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "common/consumer.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/retention.h"
#include "common/trace.h"
#include "support/test_env.h"

namespace aftercare::kit {
namespace {

using aftercare::v1::Event;

Event make_event(const std::string& aggregate, const std::string& type = "test.Happened") {
  Event e;
  e.set_type(type);
  e.set_project_id("P01");
  e.set_aggregate_id(aggregate);
  return e;
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_url_ = testing::fresh_database("t_outbox");
    pool_ = std::make_unique<PgPool>(db_url_, 4);
    apply_migrations(*pool_, "kit", kit_migrations());
    topic_ = testing::create_topic("test.outbox");
    outbox_ = std::make_unique<Outbox>(topic_, "test");
  }
  OutboxRelay make_relay(PgPool& pool) {
    OutboxRelay::Options options;
    options.delivery_timeout = std::chrono::seconds(10);
    return OutboxRelay(
        pool, [] { return testing::kafka_bootstrap(); }, metrics_, options);
  }
  int unsent() {
    return pool_->in_transaction([](pqxx::work& tx) {
      return tx.exec("SELECT count(*) FROM kit_outbox WHERE sent_at IS NULL")[0][0].as<int>();
    });
  }
  std::string db_url_, topic_;
  Metrics metrics_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<Outbox> outbox_;
};

TEST_F(OutboxTest, CommittedEventsArePublishedOnceAndRolledBackOnesNever) {
  TraceScope trace(TraceContext::fresh());
  std::string committed =
      pool_->in_transaction([&](pqxx::work& tx) { return outbox_->add(tx, make_event("T-1")); });
  try {
    pool_->in_transaction([&](pqxx::work& tx) {
      outbox_->add(tx, make_event("T-2"));
      throw std::runtime_error("the state change failed");
    });
  } catch (const std::runtime_error&) {
  }
  auto relay = make_relay(*pool_);
  EXPECT_TRUE(testing::eventually([&] {
    relay.relay_once();
    return unsent() == 0;
  }));
  EXPECT_EQ(relay.relay_once(), 0);  // nothing left to send twice

  auto records = testing::read_topic(topic_, 1);
  ASSERT_EQ(records.size(), 1u);
  Event got;
  ASSERT_TRUE(got.ParseFromString(records[0].value));
  EXPECT_EQ(got.event_id(), committed);
  EXPECT_EQ(got.aggregate_id(), "T-1");
  EXPECT_EQ(got.producer(), "test");
  EXPECT_EQ(records[0].headers["type"], "test.Happened");
  EXPECT_EQ(records[0].key, "T-1");  // partition key = aggregate id
  EXPECT_EQ(records[0].headers["event_id"], committed);
  EXPECT_EQ(got.trace_id(), current_trace().trace_id);
  EXPECT_EQ(TraceContext::parse(records[0].headers["traceparent"])->trace_id,
            current_trace().trace_id);
}

TEST_F(OutboxTest, OneAggregatesEventsKeepTheirOrder) {
  for (int i = 0; i < 50; ++i)
    pool_->in_transaction([&](pqxx::work& tx) {
      Event e = make_event("T-ordered");
      e.set_project_id("step-" + std::to_string(i));
      outbox_->add(tx, e);
    });
  auto relay = make_relay(*pool_);
  EXPECT_TRUE(testing::eventually([&] {
    relay.relay_once();
    return unsent() == 0;
  }));
  auto records = testing::read_topic(topic_, 50);
  ASSERT_EQ(records.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    Event e;
    e.ParseFromString(records[i].value);
    EXPECT_EQ(e.project_id(), "step-" + std::to_string(i));
  }
}

TEST_F(OutboxTest, RowsCommittedOutOfIdOrderAreNotSkipped) {
  auto relay = make_relay(*pool_);
  // The slow transaction takes the lower id but commits after a later row was already relayed.
  auto slow_lease = pool_->acquire();
  pqxx::work slow(*slow_lease);
  std::string slow_id = outbox_->add(slow, make_event("T-slow"));
  std::string fast_id =
      pool_->in_transaction([&](pqxx::work& tx) { return outbox_->add(tx, make_event("T-fast")); });
  EXPECT_TRUE(testing::eventually([&] { return relay.relay_once() == 1; }));
  slow.commit();
  EXPECT_TRUE(testing::eventually([&] {
    relay.relay_once();
    return unsent() == 0;
  }));
  std::set<std::string> ids;
  for (auto& r : testing::read_topic(topic_, 2)) ids.insert(r.headers["event_id"]);
  EXPECT_EQ(ids, (std::set<std::string>{slow_id, fast_id}));
}

TEST_F(OutboxTest, RelayKilledBetweenPublishAndMarkLosesNothingAndConsumersApplyOnce) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(pool_->in_transaction(
        [&](pqxx::work& tx) { return outbox_->add(tx, make_event("T-" + std::to_string(i))); }));

  // The child relays one batch and is SIGKILLed after the broker acknowledged it, before the
  // rows are marked sent. librdkafka threads exist only in the child.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    PgPool pool(db_url_, 1);
    Metrics metrics;
    OutboxRelay relay(pool, [] { return testing::kafka_bootstrap(); }, metrics, {});
    relay.after_publish_before_mark = [] { raise(SIGKILL); };
    relay.relay_once();
    _exit(3);  // not reached when the fault point fired
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child did not die at the fault point";
  EXPECT_EQ(unsent(), 5);  // the kill rolled the marking back

  auto relay = make_relay(*pool_);
  EXPECT_TRUE(testing::eventually([&] {
    relay.relay_once();
    return unsent() == 0;
  }));

  // Each event is on the topic twice (published by both relays) with the same event_id...
  auto records = testing::read_topic(topic_, 10);
  std::map<std::string, int> copies;
  for (auto& r : records) ++copies[r.headers["event_id"]];
  ASSERT_EQ(copies.size(), 5u);
  for (auto& id : ids) EXPECT_EQ(copies[id], 2) << id;

  // ...and a consumer with an inbox applies each exactly once.
  pool_->in_transaction([](pqxx::work& tx) { tx.exec("CREATE TABLE effects (event_id text)"); });
  EventConsumer::Options options{
      "test-outbox-consumer", {topic_}, 3, std::chrono::milliseconds(50), {}};
  EventConsumer consumer(*pool_, testing::kafka_bootstrap(), metrics_, options,
                         [](pqxx::work& tx, const Event& e) {
                           tx.exec_params("INSERT INTO effects VALUES ($1)", e.event_id());
                         });
  int handled = 0;
  EXPECT_TRUE(testing::eventually(
      [&] {
        Delivery d = consumer.poll_once(std::chrono::milliseconds(100));
        handled += d == Delivery::kApplied || d == Delivery::kDuplicate;
        return handled == 10;
      },
      std::chrono::seconds(30)));
  pool_->in_transaction([](pqxx::work& tx) {
    EXPECT_EQ(tx.exec("SELECT count(*), count(DISTINCT event_id) FROM effects")[0][0].as<int>(), 5);
    EXPECT_EQ(tx.exec("SELECT count(DISTINCT event_id) FROM effects")[0][0].as<int>(), 5);
  });
}

// The type is the payload's, named by the producer (intake.TicketOpened): services no longer
// type it by hand, and one that contradicts its payload is a bug the outbox refuses.
TEST_F(OutboxTest, TheTypeComesFromThePayloadAndAContradictionIsRefused) {
  Event opened = make_event("T-typed", "");
  opened.mutable_ticket_opened()->set_ticket_id("T-typed");
  pool_->in_transaction([&](pqxx::work& tx) { outbox_->add(tx, opened); });
  EXPECT_EQ(pool_->in_transaction([](pqxx::work& tx) {
    return tx.exec("SELECT event_type FROM kit_outbox WHERE partition_key = 'T-typed'")[0][0]
        .as<std::string>();
  }),
            "test.TicketOpened");
  Event wrong = make_event("T-wrong", "test.TicketClosed");
  wrong.mutable_ticket_opened()->set_ticket_id("T-wrong");
  EXPECT_THROW(pool_->in_transaction([&](pqxx::work& tx) { outbox_->add(tx, wrong); }),
               std::logic_error);
  EXPECT_THROW(
      pool_->in_transaction([&](pqxx::work& tx) { outbox_->add(tx, make_event("x", "")); }),
      std::logic_error);
}

// Sent rows live as long as the replay window, inbox ids longer (common/retention.h).
TEST_F(OutboxTest, PruningDropsOnlyOldSentRowsAndOldInboxIds) {
  auto days_ago = [](int days) { return "now() - interval '" + std::to_string(days) + " days'"; };
  pool_->in_transaction([&](pqxx::work& tx) {
    outbox_->add(tx, make_event("T-old"));
    outbox_->add(tx, make_event("T-recent"));
    outbox_->add(tx, make_event("T-unsent"));
    tx.exec("UPDATE kit_outbox SET sent_at = " + days_ago(kOutboxReplayDays + 1) +
            " WHERE id = (SELECT min(id) FROM kit_outbox)");
    tx.exec("UPDATE kit_outbox SET sent_at = " + days_ago(kOutboxReplayDays - 1) +
            " WHERE id = (SELECT min(id) + 1 FROM kit_outbox)");
    tx.exec(
        "INSERT INTO kit_inbox (consumer, event_id, event_type, processed_at) VALUES "
        "('c', gen_random_uuid(), 't', " +
        days_ago(kInboxRetentionDays + 1) + "), ('c', gen_random_uuid(), 't', " +
        days_ago(kInboxRetentionDays - 1) + ")");
  });
  EXPECT_EQ(pool_->in_transaction([](pqxx::work& tx) { return OutboxRelay::prune(tx); }), 2);
  auto left = pool_->in_transaction([](pqxx::work& tx) {
    return std::pair{tx.exec("SELECT count(*) FROM kit_outbox")[0][0].as<int>(),
                     tx.exec("SELECT count(*) FROM kit_inbox")[0][0].as<int>()};
  });
  EXPECT_EQ(left.first, 2);   // the recent sent row and the unsent one
  EXPECT_EQ(left.second, 1);  // the id younger than the inbox retention
  EXPECT_EQ(unsent(), 1);
}

TEST_F(OutboxTest, BrokerOutageDelaysEventsWithoutLosingThem) {
  OutboxRelay::Options options;
  options.delivery_timeout = std::chrono::seconds(2);
  options.producer_settings = {{"message.timeout.ms", "1500"}};
  OutboxRelay relay(
      *pool_, [] { return testing::kafka_bootstrap(); }, metrics_, options);
  for (int b = 1; b <= 3; ++b)
    ASSERT_EQ(testing::devbroker_post("/brokers/" + std::to_string(b) + "/down"), 200);
  std::string id = pool_->in_transaction(
      [&](pqxx::work& tx) { return outbox_->add(tx, make_event("T-outage")); });
  EXPECT_EQ(relay.relay_once(), 0);
  EXPECT_EQ(unsent(), 1);  // not acknowledged, so still waiting
  for (int b = 1; b <= 3; ++b)
    ASSERT_EQ(testing::devbroker_post("/brokers/" + std::to_string(b) + "/up"), 200);
  EXPECT_TRUE(testing::eventually(
      [&] {
        relay.relay_once();
        return unsent() == 0;
      },
      std::chrono::seconds(30)));
  auto records = testing::read_topic(topic_, 1);
  ASSERT_GE(records.size(), 1u);
  for (auto& r : records) EXPECT_EQ(r.headers["event_id"], id);
}

}  // namespace
}  // namespace aftercare::kit
