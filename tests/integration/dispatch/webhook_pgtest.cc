// Webhooks against real PostgreSQL and real HTTP endpoints (cpp-httplib servers on 127.0.0.1:0
// in the test): each party's partner-feed events are posted to its own endpoint, signed with
// HMAC-SHA256, retried after a failure on the backoff schedule of a clock the test moves, kept in
// order per party, given up after 7 days, redelivered by hand, and never sent twice by
// concurrent senders.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "dispatch/app/webhook_sender.h"
#include "dispatch/domain/webhook.h"
#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using enum aftercare::v1::PartyKind;
using aftercare::v1::WebhookDelivery;
using grpc::StatusCode;

constexpr const char* kCrewSecret = "crew-secret-0123456789";
constexpr const char* kBuilderSecret = "builder-secret-0123456789";

// An HTTP endpoint that records what it receives and answers the scripted statuses in turn
// (then 200).
class Receiver {
 public:
  struct Request {
    std::string path, body, signature, timestamp, delivery, event_type, content_type;
  };

  explicit Receiver(std::vector<int> script = {}) : script_(std::move(script)) {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      requests_.push_back({req.path, req.body, req.get_header_value("X-AfterCare-Signature"),
                           req.get_header_value("X-AfterCare-Timestamp"),
                           req.get_header_value("X-AfterCare-Delivery"),
                           req.get_header_value("X-AfterCare-Event"),
                           req.get_header_value("Content-Type")});
      res.status = next_ < script_.size() ? script_[next_++] : 200;
      res.set_content(res.status < 300 ? "ok" : "boom", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  std::mutex mu_;
  std::vector<int> script_;
  size_t next_ = 0;
  std::vector<Request> requests_;
  int port_ = 0;
  std::thread thread_;
};

class WebhookTest : public DispatchTest {
 protected:
  WebhookTest() : DispatchTest("t_dispatch_webhooks") {
    options_.webhook_allow_private_urls = true;
  }

  void SetUp() override {
    DispatchTest::SetUp();
    standard_parties();
  }

  // A sender on the test's clock: the real time plus what the test added.
  WebhookSender sender() {
    WebhookSender::Options o;
    o.clock = [this] { return now_micros() + absl::Microseconds(offset_us_.load()); };
    o.poll_interval = std::chrono::milliseconds(20);
    o.timeout = std::chrono::milliseconds(5000);
    return WebhookSender(*db_, o);
  }
  void advance(absl::Duration d) { offset_us_ += absl::ToInt64Microseconds(d); }
  // Moves the test clock to `t` (if it is later).
  void advance_to(absl::Time t) {
    absl::Time now = now_micros() + absl::Microseconds(offset_us_.load());
    if (t > now) advance(t - now + absl::Milliseconds(1));
  }

  grpc::Status put_webhook(const kit::Caller& c, const std::string& party, const std::string& url,
                           const std::string& secret, std::optional<bool> active = std::nullopt,
                           aftercare::v1::Webhook* out = nullptr) {
    aftercare::v1::UpsertWebhookRequest req;
    req.set_party_id(party);
    req.set_url(url);
    req.set_secret(secret);
    if (active) req.set_active(*active);
    aftercare::v1::Webhook resp;
    auto s = stub_->UpsertWebhook(as(c).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }

  std::vector<WebhookDelivery> deliveries(const std::string& party,
                                          const kit::Caller& c = admin()) {
    aftercare::v1::ListWebhookDeliveriesRequest req;
    req.set_party_id(party);
    aftercare::v1::ListWebhookDeliveriesResponse resp;
    auto s = stub_->ListWebhookDeliveries(as(c).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.deliveries().begin(), resp.deliveries().end()};
  }
  WebhookDelivery delivery(const std::string& party, const std::string& cursor) {
    for (const auto& d : deliveries(party))
      if (d.cursor() == cursor) return d;
    ADD_FAILURE() << "no delivery " << cursor << " of " << party;
    return {};
  }

  grpc::Status redeliver(const kit::Caller& c, const std::string& id,
                         WebhookDelivery* out = nullptr) {
    aftercare::v1::RedeliverWebhookRequest req;
    req.set_delivery_id(id);
    WebhookDelivery resp;
    auto s = stub_->RedeliverWebhook(as(c).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }

  std::string crew_order(const std::string& ticket_id) {
    deliver(ticket_opened(ticket_id, /*in_warranty=*/false, reported_at(),
                          aftercare::v1::URGENCY_NORMAL, "U-" + ticket_id));
    return only_order(ticket_id).work_order_id();
  }
  std::string builder_order(const std::string& ticket_id) {
    deliver(ticket_opened(ticket_id, /*in_warranty=*/true, reported_at(),
                          aftercare::v1::URGENCY_NORMAL, "U-" + ticket_id));
    return only_order(ticket_id).work_order_id();
  }

  static void expect_signed(const Receiver::Request& r, const std::string& secret) {
    EXPECT_EQ(r.signature, domain::webhook_signature(secret, r.timestamp, r.body));
    EXPECT_NE(r.signature, domain::webhook_signature("another-secret-123456", r.timestamp, r.body));
    EXPECT_EQ(r.content_type, "application/json");
  }

  std::atomic<int64_t> offset_us_{0};
  kit::Caller crew_ = partner("crew", "C-crew");
  kit::Caller builder_ = partner("builder", "B-deco");
};

TEST_F(WebhookTest, SignedPostsRetriedAfterAFailureDeliveredOnceAndOnlyToTheirParty) {
  Receiver crew_rx({500});  // the first answer is an error, then 200
  Receiver builder_rx;
  aftercare::v1::Webhook hook;
  ASSERT_TRUE(
      put_webhook(crew_, "C-crew", crew_rx.url("/hooks/aftercare?v=1"), kCrewSecret, {}, &hook)
          .ok());
  EXPECT_EQ(hook.secret_hint(), "****6789");
  EXPECT_TRUE(hook.active());
  EXPECT_EQ(hook.SerializeAsString().find(kCrewSecret), std::string::npos);
  ASSERT_TRUE(put_webhook(admin(), "B-deco", builder_rx.url("/b"), kBuilderSecret).ok());

  WebhookSender s = sender();
  std::jthread worker([&](std::stop_token stop) { s.run(stop); });
  std::string crew_wo = crew_order("T-1");
  std::string builder_wo = builder_order("T-2");

  // First attempt: 500, logged, retried about a minute later (by the test's clock).
  ASSERT_TRUE(aftercare::testing::eventually([&] {
    auto d = deliveries("C-crew");
    return d.size() == 1 && d[0].attempts() == 1;
  }));
  WebhookDelivery d = deliveries("C-crew")[0];
  EXPECT_EQ(d.status(), aftercare::v1::WEBHOOK_DELIVERY_STATUS_PENDING);
  EXPECT_EQ(d.last_status_code(), 500);
  ASSERT_EQ(d.attempt_log_size(), 1);
  EXPECT_EQ(d.attempt_log(0).status_code(), 500);
  EXPECT_EQ(d.attempt_log(0).error().substr(0, 8), "HTTP 500");
  absl::Duration wait = store::from_timestamp(d.next_attempt_at()) -
                        store::from_timestamp(d.attempt_log(0).attempted_at());
  EXPECT_EQ(wait, absl::Minutes(1));

  advance(absl::Seconds(61));
  ASSERT_TRUE(aftercare::testing::eventually([&] {
    return deliveries("C-crew")[0].status() == aftercare::v1::WEBHOOK_DELIVERY_STATUS_DELIVERED;
  }));
  ASSERT_TRUE(aftercare::testing::eventually([&] { return builder_rx.requests().size() == 1; }));
  worker.request_stop();
  worker.join();
  EXPECT_FALSE(s.deliver_one());  // nothing else is due

  d = deliveries("C-crew")[0];
  EXPECT_EQ(d.attempts(), 2);
  ASSERT_EQ(d.attempt_log_size(), 2);
  EXPECT_EQ(d.attempt_log(1).attempt(), 2);
  EXPECT_EQ(d.attempt_log(1).status_code(), 200);
  EXPECT_EQ(d.attempt_log(1).error(), "");
  EXPECT_TRUE(d.has_delivered_at());
  EXPECT_EQ(d.event_type(), "dispatch.WorkOrderCreated");
  EXPECT_EQ(d.work_order_id(), crew_wo);

  // Two posts of one delivery, signed, the body the partner feed's JSON entry.
  auto got = crew_rx.requests();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& r : got) {
    EXPECT_EQ(r.path, "/hooks/aftercare");
    EXPECT_EQ(r.delivery, d.delivery_id());
    EXPECT_EQ(r.event_type, "dispatch.WorkOrderCreated");
    expect_signed(r, kCrewSecret);
  }
  EXPECT_EQ(got[0].body, got[1].body);
  auto body = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(body["cursor"], "1");
  EXPECT_EQ(body["event"]["type"], "dispatch.WorkOrderCreated");
  EXPECT_EQ(body["event"]["aggregate_id"], crew_wo);
  EXPECT_EQ(body["event"]["work_order_created"]["party_id"], "C-crew");
  EXPECT_EQ(body["event"]["work_order_created"]["assignee_kind"], "crew");
  EXPECT_TRUE(body["event"].contains("event_id"));

  // The builder's event reached only the builder's endpoint.
  auto b = builder_rx.requests();
  ASSERT_EQ(b.size(), 1u);
  expect_signed(b[0], kBuilderSecret);
  EXPECT_EQ(nlohmann::json::parse(b[0].body)["event"]["aggregate_id"], builder_wo);
  for (const auto& r : got) EXPECT_EQ(r.body.find(builder_wo), std::string::npos);

  // Redelivery by hand (by the party itself) posts it once more.
  WebhookDelivery again;
  ASSERT_TRUE(redeliver(crew_, d.delivery_id(), &again).ok());
  EXPECT_EQ(again.status(), aftercare::v1::WEBHOOK_DELIVERY_STATUS_PENDING);
  EXPECT_TRUE(s.deliver_one());
  EXPECT_FALSE(s.deliver_one());
  ASSERT_EQ(crew_rx.requests().size(), 3u);
  EXPECT_EQ(crew_rx.requests()[2].delivery, d.delivery_id());
  d = deliveries("C-crew")[0];
  EXPECT_EQ(d.status(), aftercare::v1::WEBHOOK_DELIVERY_STATUS_DELIVERED);
  EXPECT_EQ(d.attempts(), 3);
}

TEST_F(WebhookTest, APartysLaterEventsWaitForTheEarlierOneWhichFailsAfterSevenDays) {
  Receiver rx(std::vector<int>(13, 503));  // 12 attempts of the first event, 1 of the second
  ASSERT_TRUE(put_webhook(crew_, "C-crew", rx.url("/h"), kCrewSecret).ok());
  WebhookSender s = sender();
  std::string wo = crew_order("T-1");   // cursor 1: WorkOrderCreated
  ASSERT_TRUE(accept(crew_, wo).ok());  // cursor 2: WorkOrderAccepted

  ASSERT_TRUE(s.deliver_one());   // the first event fails ...
  EXPECT_FALSE(s.deliver_one());  // ... and the second, due, waits behind it
  WebhookDelivery first = delivery("C-crew", "1");
  int attempts = 1;
  while (first.status() == aftercare::v1::WEBHOOK_DELIVERY_STATUS_PENDING) {
    advance_to(store::from_timestamp(first.next_attempt_at()));
    ASSERT_TRUE(s.deliver_one());
    ++attempts;
    first = delivery("C-crew", "1");
    ASSERT_LT(attempts, 20);
  }
  EXPECT_EQ(first.status(), aftercare::v1::WEBHOOK_DELIVERY_STATUS_FAILED);
  EXPECT_EQ(first.attempts(), 12);
  EXPECT_FALSE(first.has_next_attempt_at());
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 12u);
  for (const auto& r : got) EXPECT_EQ(r.delivery, first.delivery_id());

  // Given up, it no longer holds the second back; that one has its own schedule.
  ASSERT_TRUE(s.deliver_one());
  WebhookDelivery second = delivery("C-crew", "2");
  EXPECT_EQ(second.attempts(), 1);
  EXPECT_EQ(second.status(), aftercare::v1::WEBHOOK_DELIVERY_STATUS_PENDING);
  EXPECT_EQ(rx.requests().back().event_type, "dispatch.WorkOrderAccepted");
  advance(absl::Minutes(1));
  ASSERT_TRUE(s.deliver_one());
  EXPECT_EQ(delivery("C-crew", "2").status(), aftercare::v1::WEBHOOK_DELIVERY_STATUS_DELIVERED);

  // The log filters by status and pages newest first.
  aftercare::v1::ListWebhookDeliveriesRequest req;
  req.set_party_id("C-crew");
  req.set_status(aftercare::v1::WEBHOOK_DELIVERY_STATUS_FAILED);
  aftercare::v1::ListWebhookDeliveriesResponse resp;
  ASSERT_TRUE(stub_->ListWebhookDeliveries(as(dispatcher()).get(), req, &resp).ok());
  ASSERT_EQ(resp.deliveries_size(), 1);
  EXPECT_EQ(resp.deliveries(0).cursor(), "1");
  req.clear_status();
  req.set_page_size(1);
  resp.Clear();
  ASSERT_TRUE(stub_->ListWebhookDeliveries(as(crew_).get(), req, &resp).ok());
  ASSERT_EQ(resp.deliveries_size(), 1);
  EXPECT_EQ(resp.deliveries(0).cursor(), "2");
  ASSERT_FALSE(resp.next_page_token().empty());
  req.set_page_token(resp.next_page_token());
  resp.Clear();
  ASSERT_TRUE(stub_->ListWebhookDeliveries(as(crew_).get(), req, &resp).ok());
  ASSERT_EQ(resp.deliveries_size(), 1);
  EXPECT_EQ(resp.deliveries(0).cursor(), "1");
  EXPECT_TRUE(resp.next_page_token().empty());

  // A dispatcher redelivers the failed one: a fresh schedule, delivered at once.
  WebhookDelivery again;
  ASSERT_TRUE(redeliver(dispatcher(), first.delivery_id(), &again).ok());
  EXPECT_EQ(again.status(), aftercare::v1::WEBHOOK_DELIVERY_STATUS_PENDING);
  ASSERT_TRUE(s.deliver_one());
  first = delivery("C-crew", "1");
  EXPECT_EQ(first.status(), aftercare::v1::WEBHOOK_DELIVERY_STATUS_DELIVERED);
  EXPECT_EQ(first.attempts(), 13);
}

TEST_F(WebhookTest, ConcurrentSendersNeverSendTheSameDeliveryTwiceAndKeepEachPartysOrder) {
  Receiver rx;
  ASSERT_TRUE(put_webhook(admin(), "C-crew", rx.url("/crew"), kCrewSecret).ok());
  ASSERT_TRUE(put_webhook(admin(), "B-deco", rx.url("/builder"), kBuilderSecret).ok());
  constexpr int kOrders = 12;
  for (int i = 0; i < kOrders; ++i) {
    crew_order("C" + std::to_string(i));
    builder_order("B" + std::to_string(i));
  }
  const size_t total = count("SELECT count(*) FROM webhook_deliveries");
  ASSERT_EQ(total, 2u * kOrders);

  WebhookSender s1 = sender(), s2 = sender(), s3 = sender();
  {
    std::jthread w1([&](std::stop_token stop) { s1.run(stop); });
    std::jthread w2([&](std::stop_token stop) { s2.run(stop); });
    std::jthread w3([&](std::stop_token stop) { s3.run(stop); });
    ASSERT_TRUE(aftercare::testing::eventually([&] {
      return count("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'") ==
             static_cast<int64_t>(total);
    }));
  }
  auto got = rx.requests();
  EXPECT_EQ(got.size(), total);
  std::map<std::string, int> per_delivery;
  std::map<std::string, std::vector<int>> cursors;
  for (const auto& r : got) {
    ++per_delivery[r.delivery];
    cursors[r.path].push_back(
        std::stoi(nlohmann::json::parse(r.body)["cursor"].get<std::string>()));
  }
  EXPECT_EQ(per_delivery.size(), total);
  for (const auto& [id, n] : per_delivery) EXPECT_EQ(n, 1) << id;
  for (const auto& [path, seqs] : cursors) {
    std::vector<int> expected(kOrders);
    for (int i = 0; i < kOrders; ++i) expected[i] = i + 1;
    EXPECT_EQ(seqs, expected) << path;  // in feed order
  }
  EXPECT_EQ(count("SELECT count(*) FROM webhook_attempts"), static_cast<int64_t>(total));
}

TEST_F(WebhookTest, RegistrationRulesAndWhoSeesWhat) {
  Receiver rx;
  // Bad input, nothing written.
  auto s = put_webhook(crew_, "C-crew", rx.url("/h"), "short-secret");
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "secret: must be at least 16 characters");
  s = put_webhook(crew_, "C-crew", rx.url("/h"), "");
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "secret: is required for a new webhook");
  s = put_webhook(crew_, "C-crew", "ftp://example.com/", kCrewSecret);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "url: must start with http:// or https://");
  EXPECT_EQ(count("SELECT count(*) FROM webhooks"), 0);

  // Only the party itself, admins and dispatchers of its projects; others learn nothing.
  EXPECT_EQ(put_webhook(builder_, "C-crew", rx.url("/h"), kCrewSecret).error_code(),
            StatusCode::NOT_FOUND);
  EXPECT_EQ(put_webhook(dispatcher("P2"), "C-crew", rx.url("/h"), kCrewSecret).error_code(),
            StatusCode::NOT_FOUND);
  EXPECT_EQ(put_webhook(admin(), "X-none", rx.url("/h"), kCrewSecret).error_code(),
            StatusCode::NOT_FOUND);
  EXPECT_EQ(put_webhook(owner("U-1"), "C-crew", rx.url("/h"), kCrewSecret).error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(put_webhook(dispatcher(), "C-crew", rx.url("/h"), kCrewSecret).ok());

  // An update without a secret keeps it; an inactive webhook gets no deliveries.
  aftercare::v1::Webhook hook;
  ASSERT_TRUE(put_webhook(crew_, "C-crew", rx.url("/new"), "", false, &hook).ok());
  EXPECT_EQ(hook.secret_hint(), "****6789");
  EXPECT_FALSE(hook.active());
  aftercare::v1::GetWebhookRequest get;
  get.set_party_id("C-crew");
  ASSERT_TRUE(stub_->GetWebhook(as(crew_).get(), get, &hook).ok());
  EXPECT_EQ(hook.url(), rx.url("/new"));
  crew_order("T-1");
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries"), 0);
  ASSERT_TRUE(put_webhook(crew_, "C-crew", rx.url("/new"), "").ok());  // active again
  std::string wo = crew_order("T-2");
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries"), 1);

  // Another party's deliveries do not exist for a partner.
  aftercare::v1::ListWebhookDeliveriesRequest list;
  list.set_party_id("C-crew");
  aftercare::v1::ListWebhookDeliveriesResponse resp;
  EXPECT_EQ(stub_->ListWebhookDeliveries(as(builder_).get(), list, &resp).error_code(),
            StatusCode::NOT_FOUND);
  std::string id = deliveries("C-crew")[0].delivery_id();
  EXPECT_EQ(redeliver(builder_, id).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(redeliver(crew_, "not-a-uuid").error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(redeliver(crew_, kit::new_uuid()).error_code(), StatusCode::NOT_FOUND);

  // Deactivated, nothing can be redelivered.
  ASSERT_TRUE(put_webhook(crew_, "C-crew", rx.url("/new"), "", false).ok());
  s = redeliver(crew_, id);
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "party C-crew has no active webhook");
  EXPECT_FALSE(sender().deliver_one());  // paused while inactive

  // Without the local-network setting, loopback endpoints are refused.
  DispatchServiceImpl strict(*db_, outbox_);
  aftercare::testing::TestServer server(&strict);
  auto stub = aftercare::v1::DispatchService::NewStub(server.channel());
  aftercare::v1::UpsertWebhookRequest req;
  req.set_party_id("C-crew");
  req.set_url(rx.url("/h"));
  req.set_secret(kCrewSecret);
  s = stub->UpsertWebhook(as(crew_).get(), req, &hook);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "url: must not point to a loopback, private or link-local address");
}

}  // namespace
}  // namespace aftercare::dispatch::testing
