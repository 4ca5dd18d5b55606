// A devbroker of the test's own, killed with SIGKILL and started again on the same fixed ports
// (a new, empty cluster): the relay and the consumer that were running keep their clients, find
// the new cluster by themselves, the relay publishes again what the lost cluster held, and the
// consumer, rewound to the start, applies every event exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/consumer.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "support/test_env.h"

extern char** environ;

namespace aftercare::kit {
namespace {

using aftercare::v1::Event;

// Its own ports: 100 above tests/run's devbroker (AFTERCARE_TEST_KAFKA_PORT, 25092 by default).
int broker_port() {
  const char* base = std::getenv("AFTERCARE_TEST_KAFKA_PORT");
  return (base && *base ? std::atoi(base) : 25092) + 100;
}

class PrivateDevbroker {
 public:
  explicit PrivateDevbroker(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }
  ~PrivateDevbroker() { kill9(); }

  void start() {
    std::filesystem::remove(bootstrap_file());
    const std::string bin =
        testing::require_env("AFTERCARE_BUILD_DIR") + "/deploy/local/devbroker/devbroker";
    std::vector<std::string> args = {bin,
                                     "--brokers",
                                     "3",
                                     "--port",
                                     std::to_string(broker_port()),
                                     "--control-addr",
                                     "127.0.0.1:" + std::to_string(broker_port() + 7),
                                     "--bootstrap-file",
                                     bootstrap_file()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, bin.c_str(), nullptr, nullptr, argv.data(), environ), 0);
    ASSERT_TRUE(testing::eventually([&] { return !bootstrap().empty(); }))
        << "devbroker did not write " << bootstrap_file();
  }
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string bootstrap_file() const { return dir_ / "kafka.bootstrap"; }
  std::string bootstrap() const {
    std::ifstream in(bootstrap_file());
    std::string line;
    std::getline(in, line);
    return line;
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

class BrokerRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<PrivateDevbroker>(std::filesystem::temp_directory_path() /
                                                 ("aftercare-broker-" + std::to_string(getpid())));
    broker_->start();
    pool_ = std::make_unique<PgPool>(testing::fresh_database("t_broker_restart"), 4);
    apply_migrations(*pool_, "kit", kit_migrations());
    pool_->in_transaction(
        [](pqxx::work& tx) { tx.exec("CREATE TABLE effects (event_id text, aggregate text)"); });
  }

  void add_events(const std::string& prefix, int n) {
    pool_->in_transaction([&](pqxx::work& tx) {
      for (int i = 0; i < n; ++i) {
        Event e;
        e.set_type("test.Happened");
        e.set_aggregate_id(prefix + std::to_string(i));
        outbox_.add(tx, e);
      }
    });
  }
  int scalar(const std::string& sql) {
    return pool_->in_transaction([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<int>(); });
  }

  std::unique_ptr<PrivateDevbroker> broker_;
  std::unique_ptr<PgPool> pool_;
  // A platform topic: devbroker creates it at every start.
  Outbox outbox_{"aftercare.billing.v1", "test"};
  Metrics metrics_;
};

TEST_F(BrokerRestartTest, RunningRelayAndConsumerRecoverEverythingALostBrokerHeld) {
  OutboxRelay::Options relay_options;
  relay_options.delivery_timeout = std::chrono::seconds(10);
  relay_options.cluster_check_interval = std::chrono::milliseconds(500);
  OutboxRelay relay(
      *pool_, [&] { return broker_->bootstrap(); }, metrics_, relay_options);
  EventConsumer consumer(*pool_, broker_->bootstrap(), metrics_,
                         {"test.broker-restart",
                          {"aftercare.billing.v1"},
                          3,
                          std::chrono::milliseconds(20),
                          {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}},
                         [](pqxx::work& tx, const Event& e) {
                           tx.exec_params("INSERT INTO effects VALUES ($1, $2)", e.event_id(),
                                          e.aggregate_id());
                         });
  auto pump = [&](int effects) {
    return testing::eventually(
        [&] {
          relay.relay_once();
          consumer.poll_once(std::chrono::milliseconds(50));
          return scalar("SELECT count(*) FROM effects") >= effects;
        },
        std::chrono::seconds(90));
  };

  add_events("before-", 6);
  ASSERT_TRUE(pump(6));
  ASSERT_EQ(scalar("SELECT count(*) FROM kit_outbox WHERE sent_at IS NULL"), 0);

  const std::string bootstrap = broker_->bootstrap();
  const int port = broker_port();
  EXPECT_EQ(bootstrap, "127.0.0.1:" + std::to_string(port) + ",127.0.0.1:" +
                           std::to_string(port + 1) + ",127.0.0.1:" + std::to_string(port + 2));
  broker_->kill9();
  broker_->start();
  EXPECT_EQ(broker_->bootstrap(), bootstrap) << "a restart must keep the bootstrap list";

  add_events("after-", 4);
  ASSERT_TRUE(pump(10)) << scalar("SELECT count(*) FROM effects") << " effects of 10";
  // Give any extra copy time to arrive, then count exactly.
  for (int i = 0; i < 40; ++i) {
    relay.relay_once();
    consumer.poll_once(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM effects"), 10);
  EXPECT_EQ(scalar("SELECT count(DISTINCT event_id) FROM effects"), 10);
  // The six the lost cluster had taken were published again, the four new ones once.
  EXPECT_EQ(scalar("SELECT coalesce(sum(replays), 0) FROM kit_outbox"), 6);
  EXPECT_EQ(scalar("SELECT count(*) FROM kit_outbox WHERE sent_at IS NULL"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM kit_broker_cluster"), 1);
}

TEST_F(BrokerRestartTest, SameClusterAfterAReconnectReplaysNothing) {
  OutboxRelay::Options relay_options;
  relay_options.cluster_check_interval = std::chrono::milliseconds(100);
  OutboxRelay relay(
      *pool_, [&] { return broker_->bootstrap(); }, metrics_, relay_options);
  add_events("x-", 3);
  ASSERT_TRUE(testing::eventually([&] {
    relay.relay_once();
    return scalar("SELECT count(*) FROM kit_outbox WHERE sent_at IS NULL") == 0;
  }));
  // A new relay (a restarted service) meets the same cluster: it must not republish.
  OutboxRelay again(
      *pool_, [&] { return broker_->bootstrap(); }, metrics_, relay_options);
  for (int i = 0; i < 5; ++i) again.relay_once();
  EXPECT_EQ(scalar("SELECT coalesce(sum(replays), 0) FROM kit_outbox"), 0);
}

}  // namespace
}  // namespace aftercare::kit
