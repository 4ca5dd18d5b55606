// Owner outreach end to end (issue 18) with PostgreSQL, devbroker (real Kafka protocol) and a
// local HTTP server standing in for the SMS provider: an appointment scheduled makes exactly
// one SMS with the window in local time even when the event comes twice (and re-published); a
// provider failing twice then succeeding gives one message, delivered by its receipt; an
// opted-out kind is suppressed and never posted; a message in quiet hours is held, then sent.
// The clock is passed in: nothing sleeps for a retry or for the morning.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "aftercare/v1/callback.grpc.pb.h"
#include "callback/app/outreach.h"
#include "callback/app/providers.h"
#include "callback_fixture.h"
#include "common/consumer.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "common/refusal.h"

namespace aftercare::callback::testing {
namespace {

const std::string kProject = "P-om";
const std::string kSecret = "s3cret-of-the-sms-channel";

// The provider: records every POST, answers from a script of statuses (then 200).
class FakeProvider {
 public:
  FakeProvider() {
    server_.Post("/sms", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      posts_.push_back({req.body, req.get_header_value("X-AfterCare-Signature")});
      int status = 200;
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
      res.status = status;
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    aftercare::testing::eventually([this] { return server_.is_running(); });
  }
  ~FakeProvider() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/sms"; }
  void fail_next(int times, int status = 500) {
    std::lock_guard lock(mu_);
    for (int i = 0; i < times; ++i) script_.push_back(status);
  }
  struct Post {
    std::string body, signature;
  };
  std::vector<Post> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Post> posts_;
  std::deque<int> script_;
};

class FakeContacts final : public app::ContactDirectory {
 public:
  std::optional<app::Contact> contact(const std::string& unit_id) override {
    ++asked;
    return app::Contact{"owner-" + unit_id, "13800001234"};
  }
  int asked = 0;
};

v1::Event envelope(const std::string& type, const std::string& aggregate,
                   const std::string& producer) {
  v1::Event e;
  e.set_event_id(kit::new_uuid());
  e.set_type(type);
  e.set_project_id(kProject);
  e.set_aggregate_id(aggregate);
  e.set_producer(producer);
  return e;
}

class OutreachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = aftercare::testing::migrated_database("t_callback_outreach",
                                                  generated::callback_migrations());
    outbox_ = std::make_unique<kit::Outbox>("aftercare.callback.v1", "callback");
    clock_.set(local(2026, 12, 3, 10, 0, 0));
    applier_ = std::make_unique<app::EventApplier>(*outbox_, [this] { return clock_.now(); });
    pool_->in_transaction([&](pqxx::work& tx) {
      store::upsert_channel(tx, {kProject, "sms", provider_.url(), kSecret, true}, clock_.now());
    });
    // The unit and its work order, as intake and dispatch publish them.
    v1::Event unit = unit_upserted(kProject, "U-1", "owner-U-1", absl::CivilDay(2026, 1, 10));
    v1::Event wo = envelope("dispatch.WorkOrderCreated", "WO-1", "dispatch");
    wo.mutable_work_order_created()->set_work_order_id("WO-1");
    wo.mutable_work_order_created()->set_ticket_id("T-1");
    wo.mutable_work_order_created()->set_unit_id("U-1");
    wo.mutable_work_order_created()->set_urgency(v1::URGENCY_NORMAL);
    pool_->in_transaction([&](pqxx::work& tx) {
      (*applier_)(tx, unit);
      (*applier_)(tx, wo);
    });
  }

  std::vector<kit::Delivery> publish_and_consume(const std::vector<v1::Event>& events) {
    std::string topic = aftercare::testing::create_topic("test.outreach.in", 1);
    {
      kit::BatchProducer producer(aftercare::testing::kafka_bootstrap());
      std::vector<kit::OutgoingMessage> batch;
      for (const v1::Event& e : events) {
        batch.push_back({topic,
                         e.aggregate_id(),
                         e.SerializeAsString(),
                         {{"event_id", e.event_id()}, {"type", e.type()}}});
      }
      for (const auto& r : producer.publish(batch, std::chrono::seconds(10))) {
        EXPECT_TRUE(r.delivered());
      }
    }
    kit::EventConsumer::Options options{
        "outreach-" + std::to_string(::getpid()) + "-" + topic,
        {topic},
        3,
        std::chrono::milliseconds(20),
        {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}};
    kit::EventConsumer consumer(*pool_, aftercare::testing::kafka_bootstrap(), metrics_, options,
                                *applier_);
    std::vector<kit::Delivery> seen;
    EXPECT_TRUE(aftercare::testing::eventually(
        [&] {
          kit::Delivery d = consumer.poll_once(std::chrono::milliseconds(100));
          if (d == kit::Delivery::kApplied || d == kit::Delivery::kDuplicate ||
              d == kit::Delivery::kDeadLettered) {
            seen.push_back(d);
          }
          return seen.size() >= events.size();
        },
        std::chrono::seconds(60)));
    return seen;
  }

  app::DeliveryRound deliver_at(absl::Time t) {
    app::WebhookProvider webhook;
    return app::deliver_due(*pool_, contacts_, webhook, t);
  }

  std::vector<store::MessageRow> messages(const std::string& owner = "owner-U-1") {
    return pool_->in_transaction(
        [&](pqxx::work& tx) { return store::list_messages(tx, owner, 100); });
  }

  store::MessageRow receipt(const std::string& body, const std::string& sig) {
    return pool_->in_transaction(
        [&](pqxx::work& tx) { return app::receive_receipt(tx, "sms", body, sig, clock_.now()); });
  }

  std::unique_ptr<kit::PgPool> pool_;
  std::unique_ptr<kit::Outbox> outbox_;
  TestClock clock_;
  std::unique_ptr<app::EventApplier> applier_;
  kit::Metrics metrics_;
  FakeProvider provider_;
  FakeContacts contacts_;
};

TEST_F(OutreachTest, AppointmentScheduledTwiceMakesExactlyOneSmsWithTheLocalWindow) {
  v1::Event e = envelope("dispatch.WorkOrderScheduled", "WO-1", "dispatch");
  auto* p = e.mutable_work_order_scheduled();
  p->set_work_order_id("WO-1");
  p->set_ticket_id("T-1");
  domain::set_timestamp(p->mutable_appointment()->mutable_start(), local(2026, 12, 4, 9, 0, 0));
  domain::set_timestamp(p->mutable_appointment()->mutable_end(), local(2026, 12, 4, 11, 0, 0));
  v1::Event republished = e;
  republished.set_event_id(kit::new_uuid());
  auto seen = publish_and_consume({e, e, republished});
  EXPECT_EQ(seen, (std::vector<kit::Delivery>{kit::Delivery::kApplied, kit::Delivery::kDuplicate,
                                              kit::Delivery::kApplied}));
  ASSERT_EQ(messages().size(), 1u);
  EXPECT_EQ(messages()[0].status, "queued");

  app::DeliveryRound r = deliver_at(clock_.now());
  EXPECT_EQ(r.sent, 1);
  EXPECT_EQ(deliver_at(clock_.now() + absl::Hours(3)).sent, 0);  // nothing posted twice

  auto posts = provider_.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].signature, app::signature(kSecret, posts[0].body));
  auto body = nlohmann::json::parse(posts[0].body);
  EXPECT_EQ(body["to"], "13800001234");
  EXPECT_EQ(body["channel"], "sms");
  EXPECT_EQ(body["kind"], "appointment_scheduled");
  EXPECT_EQ(body["owner_id"], "owner-U-1");
  EXPECT_EQ(body["project_id"], kProject);
  EXPECT_EQ(body["urgent"], false);
  EXPECT_NE(body["text"].get<std::string>().find("12月4日 09:00-11:00"), std::string::npos)
      << body["text"];
  EXPECT_NE(body["text"].get<std::string>().find("3-1203"), std::string::npos);

  auto log = messages();
  EXPECT_EQ(log[0].message_id, body["message_id"]);
  EXPECT_EQ(log[0].status, "sent");
  EXPECT_EQ(log[0].to_masked, "138****1234");
  // Only the masked phone is stored anywhere.
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM owner_messages WHERE to_masked LIKE '%00001234%' "
                  "OR text LIKE '%00001234%' OR last_error LIKE '%00001234%'"),
            0);
}

TEST_F(OutreachTest, ProviderFailingTwiceThenSucceedingGivesOneMessageDeliveredByReceipt) {
  provider_.fail_next(2, 503);
  v1::Event e = envelope("dispatch.QuoteIssued", "WO-1", "dispatch");
  auto* q = e.mutable_quote_issued();
  q->set_work_order_id("WO-1");
  q->set_quote_id("Q-1");
  q->set_unit_id("U-1");
  q->set_owner_id("owner-U-1");
  q->set_amount_fen(35050);
  domain::set_timestamp(q->mutable_valid_until(), local(2026, 12, 10, 18, 0, 0));
  publish_and_consume({e});
  absl::Time t0 = clock_.now();
  EXPECT_EQ(deliver_at(t0).retried, 1);
  EXPECT_EQ(deliver_at(t0 + absl::Seconds(30)).retried, 0);  // not due before 1 min
  EXPECT_EQ(deliver_at(t0 + absl::Minutes(1)).retried, 1);
  EXPECT_EQ(deliver_at(t0 + absl::Minutes(5)).sent, 0);  // second retry is 5 min after the 2nd
  EXPECT_EQ(deliver_at(t0 + absl::Minutes(6)).sent, 1);
  EXPECT_EQ(deliver_at(t0 + absl::Hours(5)).sent, 0);
  auto posts = provider_.posts();
  ASSERT_EQ(posts.size(), 3u);
  std::string id = nlohmann::json::parse(posts[0].body)["message_id"];
  for (const auto& post : posts) EXPECT_EQ(nlohmann::json::parse(post.body)["message_id"], id);
  EXPECT_NE(posts[0].body.find("350.50"), std::string::npos);
  ASSERT_EQ(messages().size(), 1u);
  EXPECT_EQ(messages()[0].attempts, 3);
  EXPECT_EQ(messages()[0].status, "sent");

  // A receipt signed with the channel secret delivers it; a later "failed" does not undo that.
  std::string delivered =
      nlohmann::json{{"message_id", id}, {"status", "delivered"}, {"at", "2026-12-03T02:07:00Z"}}
          .dump();
  EXPECT_EQ(receipt(delivered, app::signature(kSecret, delivered)).status, "delivered");
  std::string failed = nlohmann::json{{"message_id", id}, {"status", "failed"}}.dump();
  EXPECT_EQ(receipt(failed, app::signature(kSecret, failed)).status, "delivered");
  ASSERT_TRUE(messages()[0].delivered_at.has_value());
  EXPECT_EQ(*messages()[0].delivered_at, local(2026, 12, 3, 10, 7, 0));

  // Wrong signature -> UNAUTHENTICATED (401); unknown id -> NOT_FOUND (404); bad status -> 400.
  auto code_of = [&](const std::string& body, const std::string& sig) {
    try {
      receipt(body, sig);
      return grpc::StatusCode::OK;
    } catch (const kit::Refusal& r) {
      return r.code();
    }
  };
  EXPECT_EQ(code_of(delivered, app::signature("wrong", delivered)),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(code_of(delivered, ""), grpc::StatusCode::UNAUTHENTICATED);
  std::string unknown = nlohmann::json{
      {"message_id", "00000000-0000-5000-8000-000000000000"},
      {"status",
       "delivered"}}.dump();
  EXPECT_EQ(code_of(unknown, app::signature(kSecret, unknown)), grpc::StatusCode::NOT_FOUND);
  std::string bad = nlohmann::json{{"message_id", id}, {"status", "read"}}.dump();
  EXPECT_EQ(code_of(bad, app::signature(kSecret, bad)), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(OutreachTest, OptedOutKindIsSuppressedAndNothingPosted) {
  pool_->in_transaction(
      [&](pqxx::work& tx) { store::replace_opt_outs(tx, "owner-U-1", {"payment_reminder"}); });
  v1::Event e = envelope("billing.PaymentReminderDue", "U-1", "billing");
  auto* p = e.mutable_payment_reminder_due();
  p->set_invoice_id("INV-1");
  p->set_unit_id("U-1");
  p->set_owner_id("owner-U-1");
  *p->mutable_due_date() = domain::to_date(absl::CivilDay(2026, 12, 6));
  p->set_outstanding_fen(88500);
  publish_and_consume({e});
  ASSERT_EQ(messages().size(), 1u);
  EXPECT_EQ(messages()[0].status, "suppressed");
  deliver_at(clock_.now() + absl::Hours(1));
  EXPECT_TRUE(provider_.posts().empty());
  EXPECT_EQ(contacts_.asked, 0);  // not even the phone was asked for
}

// Issue 19: an owner past the handover notice without keys gets one key-collection reminder per
// reminder intake counted, however often the event comes; opting out of the kind suppresses it.
TEST_F(OutreachTest, KeyCollectionReminderMakesOneOwnerMessagePerReminder) {
  auto reminder = [&](int no) {
    v1::Event e = envelope("intake.KeyCollectionReminderDue", "U-1", "intake");
    auto* k = e.mutable_key_collection_reminder_due();
    k->set_unit_id("U-1");
    k->set_owner_id("owner-U-1");
    *k->mutable_notice_on() = domain::to_date(absl::CivilDay(2026, 11, 28));
    k->set_reminder_no(no);
    k->set_days_overdue(5);
    return e;
  };
  v1::Event first = reminder(1);
  v1::Event republished = first;
  republished.set_event_id(kit::new_uuid());
  auto seen = publish_and_consume({first, first, republished});
  EXPECT_EQ(seen, (std::vector<kit::Delivery>{kit::Delivery::kApplied, kit::Delivery::kDuplicate,
                                              kit::Delivery::kApplied}));
  ASSERT_EQ(messages().size(), 1u);
  EXPECT_EQ(messages()[0].kind, "key_collection_reminder");
  EXPECT_EQ(messages()[0].status, "queued");
  EXPECT_EQ(deliver_at(clock_.now()).sent, 1);
  auto posts = provider_.posts();
  ASSERT_EQ(posts.size(), 1u);
  auto body = nlohmann::json::parse(posts[0].body);
  EXPECT_EQ(body["kind"], "key_collection_reminder");
  EXPECT_EQ(body["owner_id"], "owner-U-1");
  EXPECT_NE(body["text"].get<std::string>().find("3-1203"), std::string::npos) << body["text"];
  EXPECT_NE(body["text"].get<std::string>().find("11月28日"), std::string::npos) << body["text"];

  // The next day's reminder is a new message; an owner who opted out of the kind gets none.
  pool_->in_transaction([&](pqxx::work& tx) {
    store::replace_opt_outs(tx, "owner-U-1", {"key_collection_reminder"});
  });
  publish_and_consume({reminder(2)});
  ASSERT_EQ(messages().size(), 2u);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM owner_messages WHERE kind = "
                  "'key_collection_reminder' AND status = 'suppressed'"),
            1);
  deliver_at(clock_.now() + absl::Hours(1));
  EXPECT_EQ(provider_.posts().size(), 1u);
}

// Issue 19: a rectification order (an inspection defect the builder puts right before the keys,
// no owner ticket) is not the owner's repair: no appointment or sign-off message, no callback;
// the owner's own repair order beside it still gets both.
TEST_F(OutreachTest, ARectificationOrderSendsTheOwnerNoSignOffAndGetsNoCallback) {
  v1::Event created = envelope("dispatch.WorkOrderCreated", "WO-R", "dispatch");
  auto* c = created.mutable_work_order_created();
  c->set_work_order_id("WO-R");
  c->set_ticket_id("DEFECT-1");
  c->set_unit_id("U-1");
  c->set_origin(v1::WORK_ORDER_ORIGIN_RECTIFICATION);
  c->set_defect_id("DEFECT-1");
  c->set_urgency(v1::URGENCY_NORMAL);
  auto completed = [&](const std::string& wo) {
    v1::Event e = envelope("dispatch.WorkOrderCompleted", wo, "dispatch");
    e.mutable_work_order_completed()->set_work_order_id(wo);
    return e;
  };
  v1::Event scheduled = envelope("dispatch.WorkOrderScheduled", "WO-R", "dispatch");
  scheduled.mutable_work_order_scheduled()->set_work_order_id("WO-R");
  domain::set_timestamp(
      scheduled.mutable_work_order_scheduled()->mutable_appointment()->mutable_start(),
      local(2026, 12, 4, 9, 0, 0));
  domain::set_timestamp(
      scheduled.mutable_work_order_scheduled()->mutable_appointment()->mutable_end(),
      local(2026, 12, 4, 11, 0, 0));
  v1::Event rect_signed = signed_off(kProject, "WO-R", "DEFECT-1", "U-1", v1::COMPONENT_PLUMBING,
                                     local(2026, 12, 3, 9, 0, 0));
  auto seen = publish_and_consume({created, scheduled, completed("WO-R"), rect_signed});
  EXPECT_EQ(std::count(seen.begin(), seen.end(), kit::Delivery::kApplied), 4);
  EXPECT_TRUE(messages().empty());
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks"), 0);
  EXPECT_EQ(outbox_count(*pool_, "callback.CallbackScheduled"), 0);

  // The owner's repair (WO-1, origin unset as before) is messaged and called back as ever.
  publish_and_consume(
      {completed("WO-1"), signed_off(kProject, "WO-1", "T-1", "U-1", v1::COMPONENT_PLUMBING,
                                     local(2026, 12, 3, 9, 30, 0))});
  ASSERT_EQ(messages().size(), 1u);
  EXPECT_EQ(messages()[0].kind, "signoff_requested");
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE work_order_id = 'WO-1'"), 1);
}

TEST_F(OutreachTest, MessageInQuietHoursIsHeldThenSentInTheMorning) {
  clock_.set(local(2026, 12, 3, 22, 15, 0));
  v1::Event e = envelope("billing.InvoiceOverdue", "U-1", "billing");
  auto* p = e.mutable_invoice_overdue();
  p->set_invoice_id("INV-2");
  p->set_unit_id("U-1");
  p->set_owner_id("owner-U-1");
  *p->mutable_due_date() = domain::to_date(absl::CivilDay(2026, 11, 30));
  p->set_outstanding_fen(120000);
  publish_and_consume({e});
  ASSERT_EQ(messages().size(), 1u);
  EXPECT_EQ(messages()[0].status, "held");
  EXPECT_EQ(deliver_at(local(2026, 12, 3, 23, 0, 0)).sent, 0);
  EXPECT_EQ(deliver_at(local(2026, 12, 4, 7, 59, 0)).sent, 0);
  EXPECT_TRUE(provider_.posts().empty());
  EXPECT_EQ(deliver_at(local(2026, 12, 4, 8, 0, 0)).sent, 1);
  ASSERT_EQ(provider_.posts().size(), 1u);
  EXPECT_NE(provider_.posts()[0].body.find("1200.00"), std::string::npos);
  EXPECT_EQ(messages()[0].status, "sent");
  ASSERT_TRUE(messages()[0].sent_at.has_value());
  EXPECT_EQ(*messages()[0].sent_at, local(2026, 12, 4, 8, 0, 0));
}

TEST_F(OutreachTest, DailyCapHoldsTheEleventhMessageToTheNextMorning) {
  std::vector<v1::Event> events;
  for (int i = 0; i < 11; ++i) {
    v1::Event e = envelope("billing.PaymentReminderDue", "U-1", "billing");
    auto* p = e.mutable_payment_reminder_due();
    p->set_invoice_id("INV-C" + std::to_string(i));
    p->set_unit_id("U-1");
    p->set_owner_id("owner-U-1");
    *p->mutable_due_date() = domain::to_date(absl::CivilDay(2026, 12, 6));
    p->set_outstanding_fen(100);
    events.push_back(e);
  }
  publish_and_consume(events);
  auto log = messages();
  ASSERT_EQ(log.size(), 11u);
  int held = 0;
  for (const auto& m : log) held += m.status == "held";
  EXPECT_EQ(held, 1);
  EXPECT_EQ(deliver_at(clock_.now()).sent, 10);
  EXPECT_EQ(deliver_at(local(2026, 12, 4, 8, 0, 0)).sent, 1);
}

// The project's policy moves the quiet window (23:00-06:00) and lowers the cap to 2 a day.
TEST_F(OutreachTest, ProjectPolicyMovesTheQuietWindowAndTheCap) {
  v1::Event policy = envelope("intake.PolicyUpdated", kProject, "intake");
  v1::Policy* pol = policy.mutable_policy_updated()->mutable_policy();
  pol->set_project_id(kProject);
  pol->set_version(2);
  pol->mutable_callback()->set_quiet_hours_start("23:00");
  pol->mutable_callback()->set_quiet_hours_end("06:00");
  pol->mutable_callback()->set_owner_daily_message_cap(2);
  pool_->in_transaction([&](pqxx::work& tx) { (*applier_)(tx, policy); });

  clock_.set(local(2026, 12, 3, 22, 15, 0));  // quiet by the platform's default, not here
  std::vector<v1::Event> events;
  for (int i = 0; i < 3; ++i) {
    v1::Event e = envelope("billing.PaymentReminderDue", "U-1", "billing");
    auto* p = e.mutable_payment_reminder_due();
    p->set_invoice_id("INV-P" + std::to_string(i));
    p->set_unit_id("U-1");
    p->set_owner_id("owner-U-1");
    *p->mutable_due_date() = domain::to_date(absl::CivilDay(2026, 12, 6));
    p->set_outstanding_fen(100);
    events.push_back(e);
  }
  publish_and_consume(events);
  std::map<std::string, int> by_status;
  for (const auto& m : messages()) ++by_status[m.status];
  EXPECT_EQ(by_status["queued"], 2);
  EXPECT_EQ(by_status["held"], 1);  // the third of the day waits for the next day
  EXPECT_EQ(deliver_at(clock_.now()).sent, 2);
  // The next morning's window ends at 06:00, not 08:00.
  EXPECT_EQ(deliver_at(local(2026, 12, 4, 5, 59, 0)).sent, 0);
  EXPECT_EQ(deliver_at(local(2026, 12, 4, 6, 0, 0)).sent, 1);
  EXPECT_EQ(provider_.posts().size(), 3u);
}

// The gRPC edge of the public routes: who may read the log, set preferences and channels, and
// the receipt with its signature.
TEST_F(OutreachTest, ServiceScopesTheLogPreferencesChannelsAndReceipts) {
  CallbackServiceImpl impl(*pool_, *outbox_, [this] { return clock_.now(); });
  aftercare::testing::TestServer server(&impl);
  auto stub = v1::CallbacksService::NewStub(server.channel());
  const kit::Caller owner{"owner-U-1", kit::Role::owner, {kProject}, {"U-1"}, ""};
  const kit::Caller other_owner{"owner-U-2", kit::Role::owner, {kProject}, {"U-2"}, ""};
  const kit::Caller agent{"agent-1", kit::Role::agent, {kProject}, {}, ""};
  const kit::Caller agent_elsewhere{"agent-9", kit::Role::agent, {"P-other"}, {}, ""};
  const kit::Caller admin{"admin-1", kit::Role::admin, {"*"}, {}, ""};
  const kit::Caller dispatcher{"disp-1", kit::Role::dispatcher, {kProject}, {}, ""};

  v1::Event e = envelope("dispatch.WorkOrderCompleted", "WO-1", "dispatch");
  e.mutable_work_order_completed()->set_work_order_id("WO-1");
  pool_->in_transaction([&](pqxx::work& tx) { (*applier_)(tx, e); });

  v1::ListOwnerMessagesRequest list;
  list.set_owner_id("owner-U-1");
  auto list_as = [&](const kit::Caller& c, v1::ListOwnerMessagesResponse* out) {
    return stub->ListOwnerMessages(kit::client_context(c).get(), list, out);
  };
  v1::ListOwnerMessagesResponse got;
  ASSERT_TRUE(list_as(owner, &got).ok());
  ASSERT_EQ(got.messages_size(), 1);
  EXPECT_EQ(got.messages(0).kind(), "signoff_requested");
  EXPECT_EQ(got.messages(0).status(), "queued");
  EXPECT_TRUE(list_as(agent, &got).ok());
  EXPECT_TRUE(list_as(admin, &got).ok());
  EXPECT_EQ(list_as(other_owner, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(list_as(agent_elsewhere, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(list_as(dispatcher, &got).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::PutNotificationPreferencesRequest prefs;
  prefs.set_owner_id("owner-U-1");
  prefs.add_opt_out("incident_notice");
  v1::NotificationPreferences saved;
  auto status = stub->PutNotificationPreferences(kit::client_context(owner).get(), prefs, &saved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("opt_out"), std::string::npos);
  prefs.clear_opt_out();
  prefs.add_opt_out("announcement");
  prefs.add_opt_out("quote_issued");
  EXPECT_EQ(
      stub->PutNotificationPreferences(kit::client_context(agent_elsewhere).get(), prefs, &saved)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(
      stub->PutNotificationPreferences(kit::client_context(agent).get(), prefs, &saved).ok());
  EXPECT_EQ(saved.opt_out_size(), 2);

  v1::PutNotificationChannelRequest ch;
  ch.set_project_id(kProject);
  ch.set_channel("sms");
  ch.set_url(provider_.url());
  ch.set_secret("another-secret-0123456789");
  v1::NotificationChannel put;
  EXPECT_EQ(stub->PutNotificationChannel(kit::client_context(agent).get(), ch, &put).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub->PutNotificationChannel(kit::client_context(admin).get(), ch, &put).ok());
  EXPECT_TRUE(put.enabled());  // enabled defaults to true

  deliver_at(clock_.now());
  ASSERT_EQ(provider_.posts().size(), 1u);
  std::string id = nlohmann::json::parse(provider_.posts()[0].body)["message_id"];
  std::string body = nlohmann::json{{"message_id", id}, {"status", "delivered"}}.dump();
  v1::ReceiveReceiptRequest rr;
  rr.set_channel("sms");
  rr.set_raw_body(body);
  rr.set_signature(app::signature(kSecret, body));  // the old secret: refused
  v1::ReceiptResponse ack;
  const kit::Caller provider{"provider", kit::Role::none, {}, {}, ""};
  EXPECT_EQ(stub->ReceiveReceipt(kit::client_context(provider).get(), rr, &ack).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  rr.set_signature(app::signature("another-secret-0123456789", body));
  ASSERT_TRUE(stub->ReceiveReceipt(kit::client_context(provider).get(), rr, &ack).ok());
  EXPECT_EQ(ack.status(), "delivered");
  ASSERT_TRUE(list_as(owner, &got).ok());
  EXPECT_EQ(got.messages(0).status(), "delivered");
  EXPECT_TRUE(got.messages(0).has_delivered_at());
  EXPECT_EQ(got.messages(0).to_masked(), "138****1234");
}

}  // namespace
}  // namespace aftercare::callback::testing
