// Dispatch's consumer through real devbroker (Kafka protocol) and PostgreSQL: a TicketOpened
// delivered twice yields one work order and one WorkOrderCreated in the outbox; duplicates of
// an open ticket are not dispatched; an unsatisfied callback's ReworkRequested yields one rework
// order linked to the original.
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/consumer.h"
#include "common/kafka.h"
#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using kit::Delivery;

class ConsumerTest : public DispatchTest {
 protected:
  ConsumerTest() : DispatchTest("t_dispatch_consumer") {}

  void SetUp() override {
    DispatchTest::SetUp();
    intake_topic_ = aftercare::testing::create_topic("test.dispatch.intake", 3);
    callback_topic_ = aftercare::testing::create_topic("test.dispatch.callback", 3);
    for (const auto& t : {intake_topic_, callback_topic_}) {
      ASSERT_EQ(aftercare::testing::devbroker_post("/topics",
                                                   R"({"name":")" + t + R"(.dlq","partitions":1})"),
                200);
    }
    consumer_ = std::make_unique<kit::EventConsumer>(
        *db_, aftercare::testing::kafka_bootstrap(), metrics_,
        kit::EventConsumer::Options{
            "dispatch.inbound-" + std::to_string(::getpid()) + "-" + intake_topic_,
            {intake_topic_, callback_topic_},
            3,
            std::chrono::milliseconds(20),
            {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}},
        [this](pqxx::work& tx, const Event& e) { service_->apply_event(tx, e); });
  }
  void TearDown() override {
    consumer_.reset();
    DispatchTest::TearDown();
  }

  // Publishes events keyed by their aggregate, as intake's and callback's relays do.
  void publish(const std::string& topic, const std::vector<Event>& events) {
    kit::BatchProducer producer(aftercare::testing::kafka_bootstrap());
    std::vector<kit::OutgoingMessage> batch;
    for (const auto& e : events) {
      batch.push_back({topic,
                       e.aggregate_id(),
                       e.SerializeAsString(),
                       {{"event_id", e.event_id()}, {"type", e.type()}}});
    }
    for (auto& r : producer.publish(batch, std::chrono::seconds(10))) ASSERT_TRUE(r.delivered());
  }

  // Polls until n messages were handled; returns how each was handled.
  std::vector<Delivery> drain(size_t n) {
    std::vector<Delivery> seen;
    aftercare::testing::eventually(
        [&] {
          Delivery d = consumer_->poll_once(std::chrono::milliseconds(100));
          if (d == Delivery::kApplied || d == Delivery::kDuplicate ||
              d == Delivery::kDeadLettered) {
            seen.push_back(d);
          }
          return seen.size() >= n;
        },
        std::chrono::seconds(60));
    return seen;
  }

  std::string intake_topic_, callback_topic_;
  kit::Metrics metrics_;
  std::unique_ptr<kit::EventConsumer> consumer_;
};

TEST_F(ConsumerTest, TheSameTicketOpenedDeliveredTwiceYieldsOneWorkOrder) {
  standard_parties();
  Event opened = ticket_opened("T-1");
  // The relay published it twice (at-least-once), and intake re-sent the ticket once more under
  // a new event id: still one original work order.
  Event resent = opened;
  resent.set_event_id(kit::new_uuid());
  publish(intake_topic_, {opened, opened, resent});
  auto seen = drain(3);
  EXPECT_EQ(seen,
            (std::vector<Delivery>{Delivery::kApplied, Delivery::kDuplicate, Delivery::kApplied}));

  auto orders = orders_of("T-1");
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].party_id(), "B-deco");
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCreated"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM work_orders"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM tickets"), 1);
}

TEST_F(ConsumerTest, DuplicateTicketsAreNotDispatchedAndUnknownEventsAreSkipped) {
  standard_parties();
  Event dup = ticket_opened("T-2");
  dup.mutable_ticket_opened()->set_duplicate_of("T-1");
  Event other;
  other.set_event_id(kit::new_uuid());
  other.set_type("intake.TicketResponded");
  other.set_project_id(kProject);
  other.set_aggregate_id("T-2");
  other.mutable_ticket_responded()->set_ticket_id("T-2");
  publish(intake_topic_, {dup, other});
  auto seen = drain(2);
  EXPECT_EQ(seen, (std::vector<Delivery>{Delivery::kApplied, Delivery::kApplied}));
  EXPECT_TRUE(orders_of("T-2").empty());
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCreated"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM kit_dead_letters"), 0);
}

TEST_F(ConsumerTest, ReworkRequestedCreatesOneReworkOrderLinkedToTheOriginal) {
  standard_parties();
  publish(intake_topic_, {ticket_opened("T-1")});
  ASSERT_EQ(drain(1), std::vector<Delivery>{Delivery::kApplied});
  WorkOrder original = only_order("T-1");
  auto b = partner("builder", "B-deco");
  ASSERT_TRUE(accept(b, original.work_order_id()).ok());
  ASSERT_TRUE(start(b, original.work_order_id()).ok());
  ASSERT_TRUE(complete(b, original.work_order_id(), 0).ok());
  ASSERT_TRUE(sign(owner("U-101"), original.work_order_id(), aftercare::v1::SIGNER_OWNER).ok());
  ASSERT_TRUE(sign(dispatcher(), original.work_order_id(), aftercare::v1::SIGNER_MAINTENANCE).ok());

  Event rework;
  rework.set_event_id(kit::new_uuid());
  rework.set_type("callback.ReworkRequested");
  rework.set_project_id(kProject);
  rework.set_aggregate_id("CB-1");
  auto* r = rework.mutable_rework_requested();
  r->set_callback_id("CB-1");
  r->set_ticket_id("T-1");
  r->set_work_order_id(original.work_order_id());
  r->set_unit_id("U-101");
  r->set_reason("业主不满意 unsatisfied");
  publish(callback_topic_, {rework, rework});
  EXPECT_EQ(drain(2), (std::vector<Delivery>{Delivery::kApplied, Delivery::kDuplicate}));

  auto orders = orders_of("T-1");
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[1].rework_of(), original.work_order_id());
  EXPECT_EQ(orders[1].rework_count(), 1);
  EXPECT_EQ(orders[1].origin(), aftercare::v1::WORK_ORDER_ORIGIN_REWORK);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCreated"), 2);
}

}  // namespace
}  // namespace aftercare::dispatch::testing
