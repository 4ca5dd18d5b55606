// Loyalty's consumers and outbox through real Kafka (devbroker): a survey event delivered twice
// (and re-emitted with a new event id) awards its points once; registry events enrol a member
// once; the award's event leaves through the outbox relay keyed by the member.
#include "common/consumer.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "fixture.h"

namespace aftercare::loyalty {
namespace {

class LoyaltyEventsTest : public LoyaltyFixture {
 protected:
  void SetUp() override {
    out_topic_ = testing::create_topic("test.loyalty.out", 1);
    Open("t_loyalty_events", out_topic_);
  }

  void Publish(const std::string& topic, const std::vector<v1::Event>& events) {
    kit::BatchProducer producer(testing::kafka_bootstrap());
    std::vector<kit::OutgoingMessage> batch;
    for (const auto& e : events)
      batch.push_back({topic, e.aggregate_id(), e.SerializeAsString(), {}});
    for (const auto& r : producer.publish(batch, std::chrono::seconds(10)))
      ASSERT_TRUE(r.delivered());
  }

  std::unique_ptr<kit::EventConsumer> Consumer(const std::string& name, const std::string& topic,
                                               kit::EventHandler handler) {
    kit::EventConsumer::Options options{
        name + "-" + topic,
        {topic},
        3,
        std::chrono::milliseconds(20),
        {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}};
    return std::make_unique<kit::EventConsumer>(*db_, testing::kafka_bootstrap(), metrics_, options,
                                                handler);
  }

  std::vector<kit::Delivery> Drain(kit::EventConsumer& consumer, size_t n) {
    std::vector<kit::Delivery> seen;
    testing::eventually(
        [&] {
          auto d = consumer.poll_once(std::chrono::milliseconds(100));
          if (d == kit::Delivery::kApplied || d == kit::Delivery::kDuplicate ||
              d == kit::Delivery::kDeadLettered)
            seen.push_back(d);
          return seen.size() >= n;
        },
        std::chrono::seconds(60));
    return seen;
  }

  static v1::Event Survey(const std::string& callback_id, const std::string& owner_id) {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("callback.SurveyCompleted");
    e.set_project_id("P1");
    e.set_aggregate_id(callback_id);
    e.set_producer("callback");
    auto* s = e.mutable_survey_completed();
    s->set_callback_id(callback_id);
    s->set_owner_id(owner_id);
    s->set_ticket_id("T-1");
    s->set_satisfaction(v1::SATISFACTION_SATISFIED);
    return e;
  }

  std::string out_topic_;
  kit::Metrics metrics_;
};

TEST_F(LoyaltyEventsTest, TheSameSurveyEventDeliveredTwiceAwardsOnce) {
  Enrol("owner-1", "P1", "U-101");
  const std::string topic = testing::create_topic("test.loyalty.callback", 1);
  const v1::Event survey = Survey("CB-1", "owner-1");
  v1::Event reemitted = survey;  // the producer emitted it again under a new event id
  reemitted.set_event_id(kit::new_uuid());
  Publish(topic, {survey, survey, reemitted});

  auto consumer = Consumer("loyalty.callback", topic, [&](pqxx::work& tx, const v1::Event& e) {
    service_->HandleCallbackEvent(tx, e);
  });
  auto seen = Drain(*consumer, 3);
  // The inbox drops the redelivery; the source key drops the re-emission.
  EXPECT_EQ(seen, (std::vector<kit::Delivery>{kit::Delivery::kApplied, kit::Delivery::kDuplicate,
                                              kit::Delivery::kApplied}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE kind = 1 AND source_id = 'CB-1'"), 1);
  const v1::Member m = Member("owner-1");
  EXPECT_EQ(m.balance(), 50);  // default survey points
  EXPECT_EQ(Events("loyalty.PointsEarned"), 1);
  ExpectConsistent("owner-1");

  // The award's event leaves through the relay, keyed by the member.
  kit::OutboxRelay relay(*db_, [] { return testing::kafka_bootstrap(); }, metrics_, {});
  EXPECT_GE(relay.relay_once(), 2);  // MemberEnrolled + PointsEarned
  auto records = testing::read_topic(out_topic_, 2);
  int earned = 0;
  for (const auto& r : records) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(r.value));
    EXPECT_EQ(r.key, "owner-1");
    if (e.type() == "loyalty.PointsEarned") {
      ++earned;
      EXPECT_EQ(e.points_earned().source_id(), "CB-1");
      EXPECT_EQ(e.points_earned().reason(), v1::EARN_REASON_SURVEY);
      EXPECT_EQ(e.causation_id(), survey.event_id());
    }
  }
  EXPECT_EQ(earned, 1);
}

TEST_F(LoyaltyEventsTest, SurveyForAnOwnerWithoutUnitEventsYetEnrolsThemLazily) {
  const std::string topic = testing::create_topic("test.loyalty.callback", 1);
  Publish(topic, {Survey("CB-9", "owner-9")});
  auto consumer = Consumer("loyalty.callback", topic, [&](pqxx::work& tx, const v1::Event& e) {
    service_->HandleCallbackEvent(tx, e);
  });
  EXPECT_EQ(Drain(*consumer, 1), (std::vector<kit::Delivery>{kit::Delivery::kApplied}));
  const v1::Member m = Member("owner-9");
  EXPECT_EQ(m.balance(), 50);
  EXPECT_EQ(m.home_project_id(), "P1");
  EXPECT_FALSE(m.card_no().empty());
}

TEST_F(LoyaltyEventsTest, RegistryEventsEnrolMembersOnceAndSetProjectRules) {
  const std::string topic = testing::create_topic("test.loyalty.intake", 1);
  v1::Event unit;
  unit.set_event_id(kit::new_uuid());
  unit.set_type("intake.UnitUpserted");
  unit.set_project_id("P1");
  unit.set_aggregate_id("U-1");
  unit.mutable_unit_upserted()->set_unit_id("U-1");
  unit.mutable_unit_upserted()->set_owner_id("owner-7");
  unit.mutable_unit_upserted()->set_owner_phone_masked("138****0000");
  v1::Event again = unit;
  again.set_event_id(kit::new_uuid());
  v1::Event policy;
  policy.set_event_id(kit::new_uuid());
  policy.set_type("intake.PolicyUpdated");
  policy.set_project_id("P1");
  policy.set_aggregate_id("P1");
  auto* p = policy.mutable_policy_updated()->mutable_policy();
  p->set_project_id("P1");
  p->set_version(3);
  p->mutable_loyalty()->set_survey_points(80);
  p->mutable_loyalty()->set_expiry_months(12);
  v1::Event stale = policy;  // an older version arriving late changes nothing
  stale.set_event_id(kit::new_uuid());
  stale.mutable_policy_updated()->mutable_policy()->set_version(2);
  stale.mutable_policy_updated()->mutable_policy()->mutable_loyalty()->set_survey_points(1);
  v1::Event ticket;  // not loyalty's business: skipped, not dead-lettered
  ticket.set_event_id(kit::new_uuid());
  ticket.set_type("intake.TicketOpened");
  ticket.set_aggregate_id("T-1");
  ticket.mutable_ticket_opened()->set_ticket_id("T-1");
  Publish(topic, {unit, again, policy, stale, ticket});

  auto consumer = Consumer("loyalty.intake", topic, [&](pqxx::work& tx, const v1::Event& e) {
    service_->HandleIntakeEvent(tx, e);
  });
  auto seen = Drain(*consumer, 5);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), kit::Delivery::kApplied), 5);
  EXPECT_EQ(Scalar("SELECT count(*) FROM members WHERE owner_id = 'owner-7'"), 1);
  EXPECT_EQ(Events("loyalty.MemberEnrolled"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM kit_dead_letters"), 0);

  v1::GetProjectRulesRequest req;
  req.set_project_id("P1");
  v1::ProjectRules rules;
  auto ctx = kit::client_context(admin());
  ASSERT_TRUE(stub_->GetProjectRules(ctx.get(), req, &rules).ok());
  EXPECT_EQ(rules.expiry_months(), 12);
  for (const auto& r : rules.earning_rules())
    if (r.reason() == v1::EARN_REASON_SURVEY) {
      EXPECT_EQ(r.points(), 80);
    }
}

}  // namespace
}  // namespace aftercare::loyalty
