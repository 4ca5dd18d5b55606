// Billing's consumers through real Kafka (devbroker) and PostgreSQL: intake's units, dispatch's
// confirmed quotes and warranty costs, and intake's escalation fines are applied once even when
// the same event arrives twice or is republished under a new event_id; unusable events go to
// the dead-letter queue; billing's own events leave through the outbox relay.
#include <unistd.h>

#include "billing_fixture.h"
#include "common/consumer.h"
#include "common/kafka.h"
#include "common/metrics.h"

namespace aftercare::billing::itest {
namespace {

class BillingEventsTest : public BillingTest {
 protected:
  void SetUp() override {
    in_topic_ = aftercare::testing::create_topic("test.billing.in", 1);
    ASSERT_EQ(aftercare::testing::devbroker_post(
                  "/topics", R"({"name":")" + in_topic_ + R"(.dlq","partitions":1})"),
              200);
    out_topic_ = aftercare::testing::create_topic("test.billing.out", 3);
    BillingTest::SetUp();
  }
  std::string outbox_topic() const override { return out_topic_; }

  void publish(const std::vector<v1::Event>& events) {
    kit::BatchProducer producer(aftercare::testing::kafka_bootstrap());
    std::vector<kit::OutgoingMessage> batch;
    for (const auto& e : events) {
      batch.push_back({in_topic_, e.aggregate_id(), e.SerializeAsString(), {}});
    }
    for (auto& r : producer.publish(batch, std::chrono::seconds(10))) ASSERT_TRUE(r.delivered());
  }

  void publish_raw(const std::string& key, const std::string& value) {
    kit::BatchProducer producer(aftercare::testing::kafka_bootstrap());
    for (auto& r : producer.publish({{in_topic_, key, value, {}}}, std::chrono::seconds(10))) {
      ASSERT_TRUE(r.delivered());
    }
  }

  std::unique_ptr<kit::EventConsumer> consumer() {
    kit::EventConsumer::Options options{
        "billing.test-" + std::to_string(::getpid()) + "-" + in_topic_,
        {in_topic_},
        3,
        std::chrono::milliseconds(20),
        {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}};
    return std::make_unique<kit::EventConsumer>(
        *pool_, aftercare::testing::kafka_bootstrap(), metrics_, options,
        [this](pqxx::work& tx, const v1::Event& e) { ops().apply_event(tx, e); });
  }

  std::map<kit::Delivery, int> drain(kit::EventConsumer& c, int n) {
    std::map<kit::Delivery, int> seen;
    int handled = 0;
    aftercare::testing::eventually(
        [&] {
          kit::Delivery d = c.poll_once(std::chrono::milliseconds(100));
          if (d == kit::Delivery::kApplied || d == kit::Delivery::kDuplicate ||
              d == kit::Delivery::kDeadLettered) {
            ++seen[d];
            ++handled;
          }
          return handled >= n;
        },
        std::chrono::seconds(60));
    return seen;
  }

  static v1::Event with_new_id(v1::Event e) {
    e.set_event_id(kit::new_uuid());
    return e;
  }

  std::string in_topic_, out_topic_;
  kit::Metrics metrics_;
};

v1::Event quote_confirmed(const std::string& quote_id, int64_t amount) {
  v1::Event e;
  e.set_event_id(kit::new_uuid());
  e.set_type("dispatch.QuoteConfirmed");
  e.set_project_id("P1");
  e.set_aggregate_id("WO-9");
  auto* q = e.mutable_quote_confirmed();
  q->set_work_order_id("WO-9");
  q->set_ticket_id("T-9");
  q->set_quote_id(quote_id);
  q->set_unit_id("U1");
  q->set_owner_id("O1");
  q->set_amount_fen(amount);
  return e;
}

TEST_F(BillingEventsTest, EachSourceIsBookedOnceHoweverOftenItArrives) {
  v1::Event unit = unit_event("U1", 10000, "O1");
  v1::Event quote = quote_confirmed("Q-1", 15000);
  v1::Event cost;
  cost.set_event_id(kit::new_uuid());
  cost.set_type("dispatch.WarrantyCostAdvanced");
  cost.set_project_id("P1");
  cost.set_aggregate_id("WO-1");
  auto* w = cost.mutable_warranty_cost_advanced();
  w->set_work_order_id("WO-1");
  w->set_ticket_id("T-1");
  w->set_unit_id("U1");
  w->set_builder_party_id("B1");
  w->set_performed_by_kind(v1::PARTY_KIND_CONTRACTOR);
  w->set_performed_by_party_id("K1");
  w->set_cost_fen(66600);
  v1::Event fine;
  fine.set_event_id(kit::new_uuid());
  fine.set_type("intake.TicketEscalated");
  fine.set_project_id("P1");
  fine.set_aggregate_id("T-5");
  auto* t = fine.mutable_ticket_escalated();
  t->set_ticket_id("T-5");
  t->set_level(1);
  t->set_fault_party(v1::FAULT_PARTY_CREW);
  t->set_fault_party_id("CREW-1");
  t->set_fine_fen(20000);
  v1::Event other;
  other.set_event_id(kit::new_uuid());
  other.set_type("dispatch.WorkOrderStarted");
  other.set_project_id("P1");
  other.set_aggregate_id("WO-1");
  other.mutable_work_order_started()->set_work_order_id("WO-1");

  // Each business event: delivered twice as is, and once more republished under a new id.
  publish({unit, quote, quote, with_new_id(quote), cost, cost, with_new_id(cost), fine, fine,
           with_new_id(fine), other});
  auto c = consumer();
  auto seen = drain(*c, 11);
  EXPECT_EQ(seen[kit::Delivery::kApplied], 8);
  EXPECT_EQ(seen[kit::Delivery::kDuplicate], 3);
  EXPECT_EQ(seen[kit::Delivery::kDeadLettered], 0);

  EXPECT_EQ(scalar("SELECT count(*) FROM units WHERE unit_id = 'U1' AND area_centi_m2 = 10000"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices WHERE kind = 'paid_repair'"), 1);
  EXPECT_EQ(scalar("SELECT amount_fen FROM invoices WHERE source_id = 'Q-1'"), 15000);
  EXPECT_EQ(scalar("SELECT count(*) FROM warranty_costs"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM chargebacks"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM fines"), 1);
  EXPECT_EQ(balance("receivable:unit:U1"), 15000);
  EXPECT_EQ(balance("revenue:paid_repair"), -15000);
  EXPECT_EQ(balance("advanced:warranty:P1"), 66600);
  EXPECT_EQ(balance("payable:repair:K1"), -66600);
  EXPECT_EQ(balance("receivable:crew:CREW-1"), 20000);
  // Warranty costs stay apart from property fees: no revenue, no unit receivable.
  EXPECT_EQ(balance("revenue:property_fee"), 0);
  expect_ledger_balanced();

  // The owner can see and pay the paid repair.
  v1::ListInvoicesRequest req;
  req.set_unit_id("U1");
  v1::ListInvoicesResponse list;
  ASSERT_TRUE(stub_->ListInvoices(kit::client_context(owner("O1", {"U1"})).get(), req, &list).ok());
  ASSERT_EQ(list.invoices_size(), 1);
  EXPECT_EQ(list.invoices(0).kind(), v1::INVOICE_KIND_PAID_REPAIR);
  EXPECT_EQ(list.invoices(0).source_id(), "Q-1");

  // Billing's own events leave through the outbox relay, keyed by their aggregate.
  EXPECT_EQ(outbox_count("billing.InvoiceIssued"), 1);
  EXPECT_EQ(outbox_count("billing.FineRecorded"), 1);
  kit::OutboxRelay relay(*pool_, [] { return aftercare::testing::kafka_bootstrap(); }, metrics_,
                         {});
  EXPECT_EQ(relay.relay_once(), 2);
  std::map<std::string, std::string> keys;
  for (const auto& r : aftercare::testing::read_topic(out_topic_, 2)) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(r.value));
    keys[e.type()] = r.key;
    EXPECT_EQ(e.producer(), "billing");
    EXPECT_EQ(r.headers.at("type"), e.type());
  }
  EXPECT_EQ(keys["billing.InvoiceIssued"], "U1");
  EXPECT_EQ(keys["billing.FineRecorded"], "CREW-1");
}

// Issue 19: a decoration permit's finish delivered twice, and republished under a new id,
// refunds the deposit minus the deduction exactly once.
TEST_F(BillingEventsTest, AFinishDeliveredTwiceRefundsTheDepositOnce) {
  add_unit("U1", 10000, "O1");
  apply(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 50000));
  const std::string deposit_id =
      scalar_text("SELECT invoice_id::text FROM invoices WHERE kind = 'decoration_deposit'");
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(deposit_id, 300000, "DEP-1", &paid).ok());
  v1::Event finish = permit_event(v1::DECORATION_ACTION_FINISHED, 300000, 50000, 50000);
  publish({finish, finish, with_new_id(finish)});
  auto c = consumer();
  auto seen = drain(*c, 3);
  EXPECT_EQ(seen[kit::Delivery::kApplied], 2);
  EXPECT_EQ(seen[kit::Delivery::kDuplicate], 1);
  EXPECT_EQ(seen[kit::Delivery::kDeadLettered], 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM decoration_deposits"), 1);
  EXPECT_EQ(scalar("SELECT refunded_fen FROM decoration_deposits"), 250000);
  EXPECT_EQ(balance("cash"), 50000);  // 3000.00 in, 2500.00 back
  EXPECT_EQ(balance("revenue:decoration_deduction"), -50000);
  EXPECT_EQ(balance("deposit:decoration:U1"), 0);
  EXPECT_EQ(outbox_count("billing.DecorationDepositSettled"), 1);
  expect_ledger_balanced();
}

TEST_F(BillingEventsTest, AnUnusableEventIsDeadLetteredNotApplied) {
  publish({quote_confirmed("Q-bad", -5), quote_confirmed("Q-good", 100)});
  publish_raw("junk", "\xff\xff not a protobuf");
  auto c = consumer();
  auto seen = drain(*c, 3);
  EXPECT_EQ(seen[kit::Delivery::kDeadLettered], 2);
  EXPECT_EQ(seen[kit::Delivery::kApplied], 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM kit_dead_letters"), 2);
  expect_ledger_balanced();
}

TEST_F(BillingEventsTest, AnOlderUnitEventDoesNotOverwriteANewerOne) {
  v1::Event newer = unit_event("U1", 12000, "O2");
  newer.mutable_occurred_at()->set_seconds(2'000'000'000);
  v1::Event older = unit_event("U1", 9000, "O1");
  older.mutable_occurred_at()->set_seconds(1'900'000'000);
  publish({newer, older});
  auto c = consumer();
  drain(*c, 2);
  EXPECT_EQ(scalar("SELECT area_centi_m2 FROM units WHERE unit_id = 'U1'"), 12000);
  EXPECT_EQ(scalar("SELECT count(*) FROM units WHERE owner_id = 'O2'"), 1);
}

}  // namespace
}  // namespace aftercare::billing::itest
