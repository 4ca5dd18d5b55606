// The gateway end to end with the real intake service behind it (in-process gRPC, real
// PostgreSQL) and real Redis: the public JSON contract, auth, roles and scope, idempotent
// creates, rate limits, bad input, and a Redis outage.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/kafka.h"
#include "common/outbox.h"
#include "common/server_metrics.h"
#include "gateway/gateway.h"
#include "gateway/jwt.h"
#include "intake/intake_service.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::gateway {
namespace {

using nlohmann::json;
constexpr const char* kSecret = "gateway-test-secret";

std::string token(const std::string& role, const std::string& sub,
                  std::vector<std::string> projects, std::vector<std::string> units = {},
                  int64_t ttl = 3600, const std::string& secret = kSecret) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return mint_token(secret, {sub, role, std::move(projects), std::move(units), "", now + ttl});
}

class RunningGateway {
 public:
  RunningGateway(GatewayConfig config) : gateway_(std::move(config)) {
    port_ = gateway_.bind();
    thread_ = std::thread([this] { gateway_.serve(); });
  }
  ~RunningGateway() {
    gateway_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int admin_port() const { return gateway_.admin_port(); }
  Gateway& gateway() { return gateway_; }

 private:
  Gateway gateway_;
  int port_;
  std::thread thread_;
};

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::migrated_database("t_gateway", generated::intake_migrations());
    outbox_ = std::make_unique<kit::Outbox>("aftercare.intake.v1", "intake");
    intake_ = std::make_unique<intake::IntakeServiceImpl>(*db_, *outbox_);
    server_ = std::make_unique<testing::TestServer>(intake_.get());
    gateway_ = start(testing::redis_addr(), 1000, 1000);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", gateway_->port());
    ASSERT_EQ(send("PUT", "/v1/projects/P01", admin_,
                   json{{"name", "示例"}, {"timezone", "Asia/Shanghai"}})
                  ->status,
              200);
    auto unit = send("PUT", "/v1/projects/P01/units/U1", admin_,
                     json{{"building", "1"},
                          {"room", "101"},
                          {"area_m2", 88.5},
                          {"owner_id", "o1"},
                          {"owner_name", "张三"},
                          {"owner_phone", "13800138000"},
                          {"handover_date", "2026-05-01"}});
    ASSERT_EQ(unit->status, 200) << unit->body;
  }

  std::unique_ptr<RunningGateway> start(const std::string& redis, int per_second, int burst) {
    GatewayConfig config;
    config.http_port = 0;
    config.jwt_secret = kSecret;
    config.redis_addr = redis;
    config.rate_per_second = per_second;
    config.rate_burst = burst;
    config.service_addrs["intake"] = "127.0.0.1:" + std::to_string(server_->port());
    return std::make_unique<RunningGateway>(config);
  }

  httplib::Result send(const std::string& method, const std::string& path, const std::string& tok,
                       const json& body = nullptr, httplib::Headers extra = {},
                       httplib::Client* client = nullptr) {
    httplib::Headers headers = {{"Authorization", "Bearer " + tok}};
    headers.insert(extra.begin(), extra.end());
    httplib::Client& c = client ? *client : *http_;
    std::string text = body.is_null() ? "" : body.dump();
    if (method == "GET") return c.Get(path.c_str(), headers);
    if (method == "PUT") return c.Put(path.c_str(), headers, text, "application/json");
    return c.Post(path.c_str(), headers, text, "application/json");
  }

  json ticket_body() {
    return {{"project_id", "P01"},     {"unit_id", "U1"},
            {"kind", "repair"},        {"category", "house_quality"},
            {"component", "plumbing"}, {"urgency", "normal"},
            {"channel", "hotline"},    {"description", "厨房水管漏水 \"急\""}};
  }

  int count_tickets() {
    return db_->in_transaction(
        [](pqxx::work& tx) { return tx.exec("SELECT count(*) FROM tickets")[0][0].as<int>(); });
  }

  std::string admin_ = token("admin", "admin", {"*"});
  std::string agent_ = token("agent", "agent-1", {"P01"});
  std::unique_ptr<kit::PgPool> db_;
  std::unique_ptr<kit::Outbox> outbox_;
  std::unique_ptr<intake::IntakeServiceImpl> intake_;
  std::unique_ptr<testing::TestServer> server_;
  std::unique_ptr<RunningGateway> gateway_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(GatewayTest, CreatesATicketInTheContractsShape) {
  auto res = send("POST", "/v1/tickets", agent_, ticket_body());
  ASSERT_EQ(res->status, 201) << res->body;
  json t = json::parse(res->body);
  for (const char* f : {"ticket_id", "ticket_no", "project_id", "unit_id", "kind", "category",
                        "component", "urgency", "channel", "description", "status", "warranty_ends",
                        "reported_at", "response_due", "resolve_due", "owner_agent", "created_at"})
    EXPECT_TRUE(t[f].is_string()) << f;
  EXPECT_TRUE(t["in_warranty"].is_boolean());
  EXPECT_TRUE(t["escalation_level"].is_number_integer());
  EXPECT_TRUE(t["recurrence"].is_number_integer());
  EXPECT_EQ(t["kind"], "repair");
  EXPECT_EQ(t["status"], "open");
  EXPECT_EQ(t["description"], "厨房水管漏水 \"急\"");
  auto got = send("GET", "/v1/tickets/" + t["ticket_id"].get<std::string>(), agent_);
  ASSERT_EQ(got->status, 200);
  EXPECT_EQ(json::parse(got->body)["ticket_no"], t["ticket_no"]);
  auto list = send("GET", "/v1/tickets?project_id=P01&unit_id=U1", agent_);
  ASSERT_EQ(list->status, 200) << list->body;
  EXPECT_EQ(json::parse(list->body)["tickets"].size(), 1u);
  auto history =
      send("GET", "/v1/tickets/" + t["ticket_id"].get<std::string>() + "/history", agent_);
  ASSERT_EQ(history->status, 200);
  EXPECT_TRUE(json::parse(history->body)["entries"].is_array());
  auto unit = send("GET", "/v1/units/U1", admin_);
  EXPECT_EQ(json::parse(unit->body)["area_m2"], 88.5);
}

TEST_F(GatewayTest, IdempotencyKeyReplaysTheFirstAnswerAndRefusesADifferentBody) {
  // Unique per run: Redis keeps keys for 24 h and may outlive this test's database.
  httplib::Headers key = {{"Idempotency-Key", kit::new_uuid()}};
  auto first = send("POST", "/v1/tickets", agent_, ticket_body(), key);
  auto again = send("POST", "/v1/tickets", agent_, ticket_body(), key);
  ASSERT_EQ(first->status, 201);
  ASSERT_EQ(again->status, 201);
  EXPECT_EQ(json::parse(first->body)["ticket_id"], json::parse(again->body)["ticket_id"]);
  EXPECT_EQ(again->get_header_value("Idempotent-Replayed"), "true");
  auto other = ticket_body();
  other["description"] = "另一件事";
  EXPECT_EQ(send("POST", "/v1/tickets", agent_, other, key)->status, 409);
  EXPECT_EQ(count_tickets(), 1);
}

TEST_F(GatewayTest, TokensRolesAndScopeAreEnforced) {
  EXPECT_EQ(http_->Get("/v1/tickets?project_id=P01")->status, 401);
  EXPECT_EQ(
      send("GET", "/v1/tickets?project_id=P01", token("agent", "a", {"P01"}, {}, -10))->status,
      401);  // expired
  EXPECT_EQ(
      send("GET", "/v1/tickets?project_id=P01", token("agent", "a", {"P01"}, {}, 3600, "wrong"))
          ->status,
      401);
  EXPECT_EQ(send("GET", "/v1/tickets?project_id=P01", "not-a-token")->status, 401);
  EXPECT_EQ(send("GET", "/v1/tickets?project_id=P01", token("janitor", "a", {"P01"}))->status, 401);
  auto finance = send("POST", "/v1/tickets", token("finance", "f", {"P01"}), ticket_body());
  EXPECT_EQ(finance->status, 403);
  EXPECT_EQ(json::parse(finance->body)["error"]["code"], "permission_denied");
  auto created = send("POST", "/v1/tickets", agent_, ticket_body());
  std::string id = json::parse(created->body)["ticket_id"];
  EXPECT_EQ(send("GET", "/v1/tickets/" + id, token("agent", "b", {"P02"}))->status, 404);
  EXPECT_EQ(send("GET", "/v1/tickets/" + id, token("owner", "o2", {"P01"}, {"U2"}))->status, 404);
  EXPECT_EQ(send("GET", "/v1/tickets/" + id, token("owner", "o1", {"P01"}, {"U1"}))->status, 200);
  EXPECT_EQ(send("PUT", "/v1/projects/P01", agent_, json{{"name", "x"}})->status, 403);
}

TEST_F(GatewayTest, BadInputGetsAClear400AndChangesNothing) {
  auto check = [&](const std::string& body, const std::string& expected_in_message) {
    httplib::Headers h = {{"Authorization", "Bearer " + agent_}};
    auto res = http_->Post("/v1/tickets", h, body, "application/json");
    ASSERT_EQ(res->status, 400) << body << " -> " << res->body;
    json e = json::parse(res->body);
    EXPECT_EQ(e["error"]["code"], "invalid_argument");
    EXPECT_NE(e["error"]["message"].get<std::string>().find(expected_in_message), std::string::npos)
        << res->body;
  };
  check("{not json", "not valid JSON");
  check("[1,2]", "JSON object");
  auto b = ticket_body();
  b["kind"] = "fix";
  check(b.dump(), "kind: must be one of");
  b = ticket_body();
  b["urgency"] = 1;
  check(b.dump(), "urgency");
  b = ticket_body();
  b["colour"] = "red";
  check(b.dump(), "colour: unknown field");
  b = ticket_body();
  b["description"] = "";
  check(b.dump(), "description");
  b = ticket_body();
  b["reported_at"] = "2099-01-01T00:00:00Z";
  check(b.dump(), "reported_at");
  b = ticket_body();
  b["description"] = std::string(2 << 20, 'x');
  {
    // Over the body limit: 413, refused before the body is read.
    httplib::Headers h = {{"Authorization", "Bearer " + agent_}};
    auto res = http_->Post("/v1/tickets", h, b.dump(), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_NE(res->body.find("too large"), std::string::npos) << res->body;
  }
  EXPECT_EQ(count_tickets(), 0);
  // Wrong types in the registry too; money and areas are exact.
  auto unit = send("PUT", "/v1/projects/P01/units/U9", admin_, json{{"area_m2", "88"}});
  EXPECT_EQ(unit->status, 400);
  EXPECT_EQ(send("GET", "/v1/no-such-route", agent_)->status, 404);
}

TEST_F(GatewayTest, RateLimitAnswers429WithRetryAfter) {
  auto limited = start(testing::redis_addr(), 1, 3);
  httplib::Client client("127.0.0.1", limited->port());
  std::string tok = token(
      "agent", "rate-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()), {"P01"});
  int limited_count = 0;
  std::string retry_after;
  for (int i = 0; i < 10; ++i) {
    auto res = send("GET", "/v1/tickets?project_id=P01", tok, nullptr, {}, &client);
    if (res->status == 429) {
      ++limited_count;
      retry_after = res->get_header_value("Retry-After");
    }
  }
  EXPECT_GE(limited_count, 5);
  EXPECT_FALSE(retry_after.empty());
}

TEST_F(GatewayTest, KeepsServingWhenRedisIsDown) {
  auto no_redis = start("127.0.0.1:1", 1, 1);  // nothing listens there
  httplib::Client client("127.0.0.1", no_redis->port());
  for (int i = 0; i < 5; ++i) {
    auto res = send("POST", "/v1/tickets", agent_, ticket_body(),
                    {{"Idempotency-Key", "redis-down"}}, &client);
    ASSERT_EQ(res->status, 201) << res->body;
  }
  // Without Redis the service's own dedup by idempotency key still holds.
  EXPECT_EQ(count_tickets(), 1);
}

// Two intake replicas behind one gateway target (the ipv4: list stands in for the addresses a
// headless Service's DNS name resolves to): round_robin sends calls to both, none is lost.
TEST_F(GatewayTest, SpreadsCallsOverEveryReplicaOfATarget) {
  kit::Metrics metrics_a, metrics_b;
  intake::IntakeServiceImpl impl_a(*db_, *outbox_), impl_b(*db_, *outbox_);
  testing::TestServer replica_a(&impl_a, &metrics_a), replica_b(&impl_b, &metrics_b);
  GatewayConfig config;
  config.http_port = 0;
  config.jwt_secret = kSecret;
  config.redis_addr = testing::redis_addr();
  config.rate_per_second = 1000;
  config.rate_burst = 1000;
  config.service_addrs["intake"] = "ipv4:127.0.0.1:" + std::to_string(replica_a.port()) +
                                   ",127.0.0.1:" + std::to_string(replica_b.port());
  RunningGateway gateway(config);
  httplib::Client client("127.0.0.1", gateway.port());
  auto served = [](kit::Metrics& m) {
    return m
        .counter("aftercare_grpc_server_handled_total", "",
                 {{"grpc_service", "aftercare.v1.IntakeService"},
                  {"grpc_method", "ListTickets"},
                  {"grpc_code", "OK"}})
        .value();
  };
  // Both subchannels connect in the background; poll until each replica has served, with a cap.
  int sent = 0;
  while (sent < 200 && (served(metrics_a) < 5 || served(metrics_b) < 5)) {
    auto res = send("GET", "/v1/tickets?project_id=P01", agent_, nullptr, {}, &client);
    ASSERT_EQ(res->status, 200) << res->body;
    ++sent;
  }
  EXPECT_GE(served(metrics_a), 5u) << "replica a served " << served(metrics_a) << " of " << sent;
  EXPECT_GE(served(metrics_b), 5u) << "replica b served " << served(metrics_b) << " of " << sent;
  EXPECT_EQ(served(metrics_a) + served(metrics_b), static_cast<uint64_t>(sent));
  // Once both are connected the spread is even: the next 40 calls go 20/20 (round_robin).
  const uint64_t a0 = served(metrics_a), b0 = served(metrics_b);
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(send("GET", "/v1/tickets?project_id=P01", agent_, nullptr, {}, &client)->status, 200);
  EXPECT_EQ(served(metrics_a) - a0, 20u);
  EXPECT_EQ(served(metrics_b) - b0, 20u);
  // The latency histogram is in seconds, one observation per call.
  auto text = metrics_a.render();
  EXPECT_NE(text.find("# TYPE aftercare_grpc_server_handling_seconds histogram"),
            std::string::npos);
  EXPECT_NE(text.find("aftercare_grpc_server_handling_seconds_count{grpc_method=\"ListTickets\","
                      "grpc_service=\"aftercare.v1.IntakeService\"} " +
                      std::to_string(served(metrics_a))),
            std::string::npos)
      << text;
}

// /metrics and /healthz on the admin listener (not routed by the Ingress); the public port no
// longer serves /metrics. /readyz follows the gRPC health of the services the pod needs.
TEST_F(GatewayTest, AdminListenerServesMetricsHealthAndReadiness) {
  ASSERT_EQ(send("GET", "/v1/tickets?project_id=P01", agent_)->status, 200);
  EXPECT_EQ(http_->Get("/metrics")->status, 404);
  httplib::Client admin("127.0.0.1", gateway_->admin_port());
  auto metrics = admin.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("# TYPE aftercare_gateway_requests_total counter"),
            std::string::npos)
      << metrics->body;
  auto ready = admin.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_EQ(json::parse(ready->body)["services"]["intake"], "up");
  EXPECT_EQ(admin.Get("/livez")->status, 200);
  EXPECT_EQ(admin.Get("/healthz")->status, http_->Get("/healthz")->status);

  // A pod that needs a service no replica of which answers is not ready; stopping is not ready.
  GatewayConfig config;
  config.http_port = 0;
  config.jwt_secret = kSecret;
  config.redis_addr = testing::redis_addr();
  config.service_addrs["intake"] = "127.0.0.1:" + std::to_string(server_->port());
  config.service_addrs["loyalty"] = "127.0.0.1:1";  // nothing listens there
  config.ready_services = {"intake", "loyalty"};
  RunningGateway needs_loyalty(config);
  httplib::Client admin2("127.0.0.1", needs_loyalty.admin_port());
  auto not_ready = admin2.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503) << not_ready->body;
  EXPECT_EQ(json::parse(not_ready->body)["services"]["loyalty"], "down");
  EXPECT_EQ(json::parse(not_ready->body)["services"]["intake"], "up");
  needs_loyalty.gateway().stop();
  auto draining = admin2.Get("/readyz");
  if (draining) EXPECT_EQ(draining->status, 503);  // or the listener is already closed
}

// Backpressure on the ticket path (issue 21), against the real devbroker: while the consumer
// group that routes reports is more events behind on its topic than the limit, a new report is
// answered 503 with Retry-After and nothing is recorded; a replay of a report already accepted
// still gets its 201; once the group has caught up, reports are accepted again.
TEST_F(GatewayTest, ShedsNewReportsWhileTheTicketPathIsBehind) {
  const std::string topic = testing::create_topic("ticket-path", 1);
  const std::string group = "router-" + topic;
  GatewayConfig config;
  config.http_port = 0;
  config.jwt_secret = kSecret;
  config.redis_addr = testing::redis_addr();
  config.service_addrs["intake"] = "127.0.0.1:" + std::to_string(server_->port());
  config.rate_per_second = 1000;
  config.rate_burst = 1000;
  config.ticket_lag_limit = 10;
  config.lag_probe_interval = std::chrono::milliseconds(50);
  config.kafka_bootstrap = [] { return testing::kafka_bootstrap(); };
  config.lag_group = group;
  config.lag_topic = topic;
  RunningGateway gateway(config);
  httplib::Client client("127.0.0.1", gateway.port());
  auto create = [&](httplib::Headers extra = {}) {
    return send("POST", "/v1/tickets", agent_, ticket_body(), std::move(extra), &client);
  };

  httplib::Headers key = {{"Idempotency-Key", kit::new_uuid()}};
  auto accepted = create(key);
  ASSERT_EQ(accepted->status, 201) << accepted->body;

  // 25 events the group has not consumed: more than the limit.
  kit::BatchProducer producer(testing::kafka_bootstrap());
  std::vector<kit::OutgoingMessage> backlog;
  for (int i = 0; i < 25; ++i) backlog.push_back({topic, "k" + std::to_string(i), "event", {}});
  for (const auto& r : producer.publish(backlog, std::chrono::seconds(10)))
    ASSERT_TRUE(r.delivered());

  int last = -1;
  ASSERT_TRUE(testing::eventually([&] {
    auto r = create();
    last = r ? r->status : -1;
    return last == 503;
  })) << "never shed; last answer "
      << last;
  // (Reports sent before the gateway's probe saw the backlog were accepted: count from here.)
  const int recorded = count_tickets();
  auto shed = create();
  ASSERT_EQ(shed->status, 503) << shed->body;
  EXPECT_EQ(json::parse(shed->body)["error"]["code"], "unavailable") << shed->body;
  EXPECT_NE(shed->body.find("25 events behind"), std::string::npos) << shed->body;
  const std::string retry = shed->get_header_value("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_LE(std::stoi(retry), 30);
  EXPECT_EQ(count_tickets(), recorded);  // the refused report left nothing behind

  auto replay = create(key);
  ASSERT_EQ(replay->status, 201) << replay->body;
  EXPECT_EQ(replay->get_header_value("Idempotent-Replayed"), "true");
  EXPECT_EQ(count_tickets(), recorded);

  httplib::Client admin("127.0.0.1", gateway.admin_port());
  auto metrics = admin.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("aftercare_gateway_ticket_path_lag 25"), std::string::npos)
      << metrics->body;

  // The router consumes the backlog and commits: reports are accepted again.
  {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", testing::kafka_bootstrap(), err);
    conf->set("group.id", group, err);
    conf->set("enable.auto.commit", "false", err);
    std::unique_ptr<RdKafka::KafkaConsumer> router(RdKafka::KafkaConsumer::create(conf.get(), err));
    ASSERT_TRUE(router) << err;
    std::vector<RdKafka::TopicPartition*> from_start = {
        RdKafka::TopicPartition::create(topic, 0, RdKafka::Topic::OFFSET_BEGINNING)};
    ASSERT_EQ(router->assign(from_start), RdKafka::ERR_NO_ERROR);
    RdKafka::TopicPartition::destroy(from_start);
    int consumed = 0;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (consumed < 25 && std::chrono::steady_clock::now() < until) {
      std::unique_ptr<RdKafka::Message> m(router->consume(200));
      if (m->err() == RdKafka::ERR_NO_ERROR) ++consumed;
    }
    ASSERT_EQ(consumed, 25);
    ASSERT_EQ(router->commitSync(), RdKafka::ERR_NO_ERROR);
    router->close();
  }
  ASSERT_TRUE(testing::eventually([&] {
    auto r = create();
    last = r ? r->status : -1;
    return last == 201;
  })) << "still refused: "
      << last;
  EXPECT_EQ(count_tickets(), recorded + 1);
}

}  // namespace
}  // namespace aftercare::gateway
