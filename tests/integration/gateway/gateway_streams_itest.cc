// The event-driven front with real services behind it (intake and dispatch in-process over gRPC,
// real PostgreSQL, real Redis): more partner streams open than the old thread pool had (64)
// while the API keeps answering, each stream getting its own party's events once and in order
// (also after a reconnect with Last-Event-ID), the per-subject cap (429), a client that never
// finishes its headers dropped, a body over the limit refused before it is read (413), and a
// graceful stop that ends the streams with a final event.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/outbox.h"
#include "dispatch/dispatch_service.h"
#include "dispatch/store/batch_store.h"
#include "dispatch/store/dispatch_store.h"
#include "gateway/gateway.h"
#include "gateway/jwt.h"
#include "intake/intake_service.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::gateway {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
constexpr const char* kSecret = "gateway-streams-secret";

std::string token(const std::string& role, const std::string& sub,
                  std::vector<std::string> projects, const std::string& party = "") {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return mint_token(kSecret, {sub, role, std::move(projects), {}, party, now + 3600});
}

// A plain socket, so a test can hold hundreds of streams and misbehave on purpose.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }
  // Reads until `needle` has arrived (true) or the time is up / the peer closed (false).
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (seen_.find(needle) == std::string::npos) {
      if (!read_some(until)) return false;
    }
    return true;
  }
  // True when the server closes the connection within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!eof_)
      if (!read_some(until)) return eof_;
    return true;
  }
  const std::string& seen() const { return seen_; }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  bool read_some(std::chrono::steady_clock::time_point until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[8192];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    seen_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false, eof_ = false;
  std::string seen_;
};

std::string stream_request(const std::string& party, const std::string& tok,
                           const std::string& last_event_id = "") {
  std::string r = "GET /v1/partners/" + party +
                  "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  "Authorization: Bearer " +
                  tok + "\r\n";
  if (!last_event_id.empty()) r += "Last-Event-ID: " + last_event_id + "\r\n";
  return r + "\r\n";
}

class GatewayStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    intake_db_ = testing::migrated_database("t_gw_streams_intake", generated::intake_migrations());
    dispatch_db_ =
        testing::migrated_database("t_gw_streams_dispatch", generated::dispatch_migrations(), 16);
    intake_outbox_ = std::make_unique<kit::Outbox>("aftercare.intake.v1", "intake");
    dispatch_outbox_ = std::make_unique<kit::Outbox>("aftercare.dispatch.v1", "dispatch");
    intake_ = std::make_unique<intake::IntakeServiceImpl>(*intake_db_, *intake_outbox_);
    dispatch_ = std::make_unique<dispatch::DispatchServiceImpl>(*dispatch_db_, *dispatch_outbox_);
    intake_server_ = std::make_unique<testing::TestServer>(intake_.get());
    dispatch_server_ = std::make_unique<testing::TestServer>(dispatch_.get());
  }
  void TearDown() override {
    gateway_.reset();
    if (thread_.joinable()) thread_.join();
  }

  GatewayConfig config() {
    GatewayConfig c;
    c.http_port = 0;
    c.jwt_secret = kSecret;
    c.redis_addr = testing::redis_addr();
    c.rate_per_second = 10000;
    c.rate_burst = 10000;
    c.service_addrs["intake"] = "127.0.0.1:" + std::to_string(intake_server_->port());
    c.service_addrs["dispatch"] = "127.0.0.1:" + std::to_string(dispatch_server_->port());
    c.limits.header_timeout = 1s;
    c.limits.idle_timeout = 2s;
    c.feed_poll_wait_s = 2;
    c.heartbeat = 1s;
    c.shutdown_grace = 5s;
    return c;
  }
  void start(GatewayConfig c) {
    gateway_ = std::make_unique<Gateway>(std::move(c));
    port_ = gateway_->bind();
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { gateway_->serve(); });
  }
  void stop() {
    gateway_->stop();
    thread_.join();
  }

  // Dispatch records one event in the party's feed (as its consumer does for a work order).
  int64_t append_event(const std::string& party, const std::string& work_order) {
    return dispatch_db_->in_transaction([&](pqxx::work& tx) {
      aftercare::v1::Event e;
      e.set_event_id(kit::new_uuid());
      e.set_type("dispatch.WorkOrderCreated");
      e.set_project_id("P01");
      e.set_aggregate_id(work_order);
      return dispatch::store::append_partner_event(tx, party, work_order, e);
    });
  }

  std::unique_ptr<kit::PgPool> intake_db_, dispatch_db_;
  std::unique_ptr<kit::Outbox> intake_outbox_, dispatch_outbox_;
  std::unique_ptr<intake::IntakeServiceImpl> intake_;
  std::unique_ptr<dispatch::DispatchServiceImpl> dispatch_;
  std::unique_ptr<testing::TestServer> intake_server_, dispatch_server_;
  std::unique_ptr<Gateway> gateway_;
  std::thread thread_;
  int port_ = 0;
  std::string admin_ = token("admin", "admin", {"*"});
  std::string agent_ = token("agent", "agent-1", {"P01"});
};

TEST_F(GatewayStreamsTest, TwoHundredStreamsOpenAndTheApiStillAnswers) {
  start(config());
  httplib::Client api("127.0.0.1", port_);
  api.set_read_timeout(5, 0);
  httplib::Headers admin = {{"Authorization", "Bearer " + admin_}};
  ASSERT_EQ(api.Put("/v1/projects/P01", admin, R"({"name":"示例","timezone":"Asia/Shanghai"})",
                    "application/json")
                ->status,
            200);
  ASSERT_EQ(api.Put("/v1/projects/P01/units/U1", admin,
                    json{{"building", "1"},
                         {"room", "101"},
                         {"area_m2", 88.5},
                         {"owner_id", "o1"},
                         {"owner_name", "张三"},
                         {"owner_phone", "13800138000"},
                         {"handover_date", "2026-05-01"}}
                        .dump(),
                    "application/json")
                ->status,
            200);

  // 50 parties with 4 streams each (the per-subject default): 200 streams, 50 shared polls.
  constexpr int kParties = 50, kPerParty = 4;
  std::vector<std::unique_ptr<RawClient>> streams;
  auto party_of = [](int p) { return "B-" + std::to_string(100 + p); };
  for (int p = 0; p < kParties; ++p) {
    std::string tok = token("builder", "user-" + party_of(p), {"P01"}, party_of(p));
    for (int i = 0; i < kPerParty; ++i) {
      streams.push_back(std::make_unique<RawClient>(port_));
      ASSERT_TRUE(streams.back()->connected());
      streams.back()->send(stream_request(party_of(p), tok));
    }
  }
  for (auto& s : streams) ASSERT_TRUE(s->wait_for("\r\n\r\n", 10s)) << s->seen();
  for (auto& s : streams) {
    EXPECT_EQ(s->seen().rfind("HTTP/1.1 200", 0), 0u) << s->seen();
    EXPECT_NE(s->seen().find("text/event-stream"), std::string::npos);
  }
  EXPECT_EQ(gateway_->open_streams(), kParties * kPerParty);

  // The API answers at once with every stream open.
  auto t0 = std::chrono::steady_clock::now();
  auto health = api.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  httplib::Headers agent = {{"Authorization", "Bearer " + agent_}};
  auto created = api.Post("/v1/tickets", agent,
                          json{{"project_id", "P01"},
                               {"unit_id", "U1"},
                               {"kind", "repair"},
                               {"category", "house_quality"},
                               {"component", "plumbing"},
                               {"urgency", "normal"},
                               {"channel", "hotline"},
                               {"description", "厨房水管漏水"}}
                              .dump(),
                          "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = json::parse(created->body)["ticket_id"];
  auto got = api.Get(("/v1/tickets/" + id).c_str(), agent);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);

  // One event per party: every stream gets its own party's, and nothing of the others.
  for (int p = 0; p < kParties; ++p) append_event(party_of(p), "WO-" + party_of(p) + "-1");
  for (int p = 0; p < kParties; ++p)
    for (int i = 0; i < kPerParty; ++i) {
      auto& s = *streams[p * kPerParty + i];
      ASSERT_TRUE(s.wait_for("WO-" + party_of(p) + "-1", 20s)) << party_of(p) << ": " << s.seen();
      EXPECT_NE(s.seen().find("id: 1\nevent: dispatch.WorkOrderCreated\n"), std::string::npos);
      for (int q = 0; q < kParties; ++q) {
        if (q != p) EXPECT_EQ(s.seen().find("WO-" + party_of(q) + "-"), std::string::npos);
      }
    }

  // A reconnect with Last-Event-ID gets only what came after, once.
  streams[0]->close();
  append_event(party_of(0), "WO-" + party_of(0) + "-2");
  RawClient again(port_);
  again.send(stream_request(party_of(0),
                            token("builder", "user-" + party_of(0), {"P01"}, party_of(0)), "1"));
  ASSERT_TRUE(again.wait_for("WO-" + party_of(0) + "-2", 10s)) << again.seen();
  EXPECT_EQ(again.seen().find("WO-" + party_of(0) + "-1"), std::string::npos);
  append_event(party_of(0), "WO-" + party_of(0) + "-3");
  ASSERT_TRUE(again.wait_for("WO-" + party_of(0) + "-3", 10s));
  auto first = again.seen().find("id: 2\n");
  auto second = again.seen().find("id: 3\n");
  EXPECT_LT(first, second);
  EXPECT_EQ(again.seen().find("id: 2\n", first + 1), std::string::npos);  // once
  // Heartbeats keep the stream alive for proxies.
  EXPECT_TRUE(again.wait_for(": keep-alive", 5s));

  // A long-poll waits on the same shared feed and answers with the next event.
  std::thread later([&] {
    std::this_thread::sleep_for(500ms);
    append_event(party_of(1), "WO-" + party_of(1) + "-2");
  });
  httplib::Client poller("127.0.0.1", port_);
  poller.set_read_timeout(15, 0);
  auto polled = poller.Get(("/v1/partners/" + party_of(1) + "/events?after=1&wait=10").c_str(),
                           {{"Authorization", "Bearer " + token("builder", "poller-" + party_of(1),
                                                                {"P01"}, party_of(1))}});
  later.join();
  ASSERT_TRUE(polled);
  ASSERT_EQ(polled->status, 200) << polled->body;
  json body = json::parse(polled->body);
  ASSERT_EQ(body["events"].size(), 1u) << polled->body;
  EXPECT_EQ(body["next_cursor"], "2");
}

TEST_F(GatewayStreamsTest, PerSubjectCapAnswers429AndFreesTheSlotOnDisconnect) {
  GatewayConfig c = config();
  c.streams_per_subject = 2;
  start(c);
  std::string tok = token("builder", "greedy", {"P01"}, "B-1");
  RawClient a(port_), b(port_), extra(port_);
  a.send(stream_request("B-1", tok));
  b.send(stream_request("B-1", tok));
  ASSERT_TRUE(a.wait_for("\r\n\r\n", 5s));
  ASSERT_TRUE(b.wait_for("\r\n\r\n", 5s));
  extra.send(stream_request("B-1", tok));
  ASSERT_TRUE(extra.wait_for("\r\n\r\n", 5s));
  EXPECT_EQ(extra.seen().rfind("HTTP/1.1 429", 0), 0u) << extra.seen();
  EXPECT_NE(extra.seen().find("Retry-After:"), std::string::npos);
  EXPECT_TRUE(extra.wait_for("\"error\":{\"code\"", 2s));
  // Another subject of the same party is not affected.
  RawClient other(port_);
  other.send(stream_request("B-1", token("builder", "colleague", {"P01"}, "B-1")));
  ASSERT_TRUE(other.wait_for("\r\n\r\n", 5s));
  EXPECT_EQ(other.seen().rfind("HTTP/1.1 200", 0), 0u);
  // Closing a stream frees its slot.
  a.close();
  bool reopened = false;
  for (int i = 0; i < 50 && !reopened; ++i) {
    std::this_thread::sleep_for(100ms);
    RawClient retry(port_);
    retry.send(stream_request("B-1", tok));
    reopened = retry.wait_for("\r\n\r\n", 5s) && retry.seen().rfind("HTTP/1.1 200", 0) == 0;
  }
  EXPECT_TRUE(reopened);
}

TEST_F(GatewayStreamsTest, SlowAndIdleClientsAreDroppedAndBigBodiesRefusedUnread) {
  start(config());
  // Never finishes its headers (slowloris): dropped after the header timeout (1 s here).
  RawClient slow(port_);
  slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {  // trickling bytes does not extend the deadline
    std::this_thread::sleep_for(300ms);
    slow.send("a");
  }
  EXPECT_TRUE(slow.closed_within(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  EXPECT_EQ(slow.seen(), "");
  // An idle keep-alive connection is closed after the idle timeout (2 s here)...
  RawClient idle(port_);
  idle.send("GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ASSERT_TRUE(idle.wait_for("\"openapi\"", 5s));
  EXPECT_TRUE(idle.closed_within(6s));
  // ...and a body over the limit is refused from its Content-Length, before it is sent.
  RawClient big(port_);
  big.send(
      "POST /v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Authorization: Bearer " +
      agent_ + "\r\nContent-Length: 100000000\r\n\r\n");
  ASSERT_TRUE(big.wait_for("too large", 5s)) << big.seen();
  EXPECT_EQ(big.seen().rfind("HTTP/1.1 413", 0), 0u) << big.seen();
  EXPECT_NE(big.seen().find("payload_too_large"), std::string::npos);
  // A head above the limit: 431 for headers, 414 for the request line.
  RawClient huge(port_);
  huge.send("GET /healthz HTTP/1.1\r\nX-Pad: " + std::string(40000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(huge.wait_for("\r\n\r\n", 5s));
  EXPECT_EQ(huge.seen().rfind("HTTP/1.1 431", 0), 0u) << huge.seen().substr(0, 200);
  RawClient long_line(port_);
  long_line.send("GET /v1/tickets?q=" + std::string(40000, 'a') + " HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(long_line.wait_for("\r\n\r\n", 5s));
  EXPECT_EQ(long_line.seen().rfind("HTTP/1.1 414", 0), 0u) << long_line.seen().substr(0, 200);
  // The gateway still serves.
  httplib::Client api("127.0.0.1", port_);
  EXPECT_EQ(api.Get("/healthz")->status, 200);
}

TEST_F(GatewayStreamsTest, StopEndsStreamsWithAFinalEventAndLetsCallsFinish) {
  start(config());
  RawClient s(port_);
  s.send(stream_request("B-7", token("builder", "u7", {"P01"}, "B-7")));
  ASSERT_TRUE(s.wait_for("\r\n\r\n", 5s));
  append_event("B-7", "WO-7");
  ASSERT_TRUE(s.wait_for("WO-7", 10s));
  RawClient idle(port_);  // an idle keep-alive connection must not hold the stop up
  ASSERT_TRUE(idle.connected());
  auto t0 = std::chrono::steady_clock::now();
  stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  EXPECT_TRUE(s.wait_for("event: shutdown", 1s)) << s.seen();
  EXPECT_TRUE(s.closed_within(2s));
  EXPECT_TRUE(idle.closed_within(2s));
}

}  // namespace
}  // namespace aftercare::gateway
