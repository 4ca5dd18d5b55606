// Issue 23 in callback, with PostgreSQL and devbroker: a planned outage makes one urgent
// incident_notice per owner of its buildings (none for a failure, none outside), even when the
// event comes twice; an announcement reaches every owner in scope, urgent ones at night too;
// the reports resolved with their incident get one callback each, and the lead's shares its
// work order's callback with that order's sign-off.
#include <gtest/gtest.h>
#include <unistd.h>

#include "callback/app/outreach.h"
#include "callback/domain/outreach.h"
#include "callback_fixture.h"
#include "common/consumer.h"
#include "common/kafka.h"
#include "common/metrics.h"

namespace aftercare::callback::testing {
namespace {

const std::string kProject = "P-inc";

v1::Event envelope(const std::string& type, const std::string& aggregate) {
  return envelope_of(kProject, type, aggregate, "intake");
}

class CallbackIncidentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = aftercare::testing::migrated_database("t_callback_incidents",
                                                  generated::callback_migrations());
    outbox_ = std::make_unique<kit::Outbox>("aftercare.callback.v1", "callback");
    clock_.set(local(2026, 12, 3, 23, 30, 0));  // in the quiet hours
    applier_ = std::make_unique<app::EventApplier>(*outbox_, [this] { return clock_.now(); });
    // 5栋: three units of two owners (one owns two homes); 6栋: one.
    unit("U-51", "owner-a", "5栋");
    unit("U-52", "owner-a", "5栋");
    unit("U-53", "owner-b", "5栋");
    unit("U-61", "owner-c", "6栋");
  }

  void unit(const std::string& id, const std::string& owner, const std::string& building) {
    v1::Event e = unit_upserted(kProject, id, owner, absl::CivilDay(2025, 6, 1));
    e.mutable_unit_upserted()->set_building(building);
    apply(e);
  }
  void apply(const v1::Event& e) {
    pool_->in_transaction([&](pqxx::work& tx) { (*applier_)(tx, e); });
  }

  std::vector<kit::Delivery> publish_and_consume(const std::vector<v1::Event>& events) {
    std::string topic = aftercare::testing::create_topic("test.incidents.in", 1);
    {
      kit::BatchProducer producer(aftercare::testing::kafka_bootstrap());
      std::vector<kit::OutgoingMessage> batch;
      for (const v1::Event& e : events)
        batch.push_back({topic,
                         e.aggregate_id(),
                         e.SerializeAsString(),
                         {{"event_id", e.event_id()}, {"type", e.type()}}});
      for (const auto& r : producer.publish(batch, std::chrono::seconds(10)))
        EXPECT_TRUE(r.delivered());
    }
    kit::EventConsumer::Options options{
        "incidents-" + std::to_string(::getpid()) + "-" + topic,
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
              d == kit::Delivery::kDeadLettered)
            seen.push_back(d);
          return seen.size() >= events.size();
        },
        std::chrono::seconds(60)));
    return seen;
  }

  std::vector<store::MessageRow> messages(const std::string& owner) {
    return pool_->in_transaction(
        [&](pqxx::work& tx) { return store::list_messages(tx, owner, 100); });
  }

  v1::Event outage(v1::IncidentKind kind = v1::INCIDENT_KIND_OUTAGE) {
    v1::Event e = envelope("intake.IncidentOpened", "I-1");
    auto* p = e.mutable_incident_opened();
    p->set_incident_id("I-1");
    p->set_kind(kind);
    p->set_component(v1::COMPONENT_PLUMBING);
    p->add_buildings("5栋");
    p->set_title("5栋计划停水");
    p->set_description("请提前储水");
    domain::set_timestamp(p->mutable_starts_at(), local(2026, 12, 5, 9, 0, 0));
    domain::set_timestamp(p->mutable_expected_end(), local(2026, 12, 5, 12, 0, 0));
    return e;
  }

  std::unique_ptr<kit::PgPool> pool_;
  std::unique_ptr<kit::Outbox> outbox_;
  TestClock clock_;
  std::unique_ptr<app::EventApplier> applier_;
  kit::Metrics metrics_;
};

TEST_F(CallbackIncidentsTest, APlannedOutageTellsEachOwnerOfItsBuildingsOnceAndAtOnce) {
  v1::Event e = outage();
  v1::Event republished = e;
  republished.set_event_id(kit::new_uuid());
  auto seen = publish_and_consume({e, e, republished});
  EXPECT_EQ(seen, (std::vector<kit::Delivery>{kit::Delivery::kApplied, kit::Delivery::kDuplicate,
                                              kit::Delivery::kApplied}));
  for (const std::string owner : {"owner-a", "owner-b"}) {
    auto m = messages(owner);
    ASSERT_EQ(m.size(), 1u) << owner;  // owner-a has two homes: one message
    EXPECT_EQ(m[0].kind, "incident_notice");
    EXPECT_TRUE(m[0].urgent);
    EXPECT_EQ(m[0].status, "queued");  // 23:30, but urgent: not held to the morning
    EXPECT_EQ(m[0].text, "【物业服务】5栋计划停水（12月5日 09:00-12:00）：请提前储水");
  }
  EXPECT_TRUE(messages("owner-c").empty());
}

TEST_F(CallbackIncidentsTest, AFailureIncidentIsNotBroadcast) {
  apply(outage(v1::INCIDENT_KIND_FAILURE));
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM owner_messages"), 0);
}

TEST_F(CallbackIncidentsTest, AnnouncementsReachEveryOwnerInScopeUrgentOnesAtNight) {
  v1::Event urgent = envelope("intake.AnnouncementPublished", "A-1");
  auto* p = urgent.mutable_announcement_published();
  p->set_announcement_id("A-1");
  p->set_title("电梯恢复");
  p->set_body("热线 4008123456");
  p->add_buildings("5栋");
  p->set_urgent(true);
  apply(urgent);
  v1::Event common = envelope("intake.AnnouncementPublished", "A-2");
  common.mutable_announcement_published()->set_announcement_id("A-2");
  common.mutable_announcement_published()->set_title("元旦游园会");
  common.mutable_announcement_published()->set_body("中心花园");
  apply(common);
  apply(common);  // a redelivery under the same event id is the inbox's; the key holds too
  auto a = messages("owner-a");
  ASSERT_EQ(a.size(), 2u);
  for (const auto& m : a) {
    EXPECT_EQ(m.kind, "announcement");
    if (m.urgent) {
      EXPECT_EQ(m.status, "queued");
      EXPECT_EQ(m.text, "【物业服务】电梯恢复：热线 4008123456");
    } else {
      EXPECT_EQ(m.status, "held");  // 23:30: held to the end of the quiet hours
    }
  }
  ASSERT_EQ(messages("owner-c").size(), 1u);
  EXPECT_EQ(messages("owner-c")[0].text, "【物业服务】元旦游园会：中心花园");
}

TEST_F(CallbackIncidentsTest, ReportsResolvedWithTheirIncidentGetOneCallbackEach) {
  absl::Time at = local(2026, 12, 3, 16, 0, 0);
  std::vector<v1::Event> events;
  for (const std::string ticket : {"T-1", "T-2", "T-3"}) {
    v1::Event e = ticket_resolved(kProject, ticket, "U-5" + ticket.substr(2),
                                  v1::TICKET_KIND_REPAIR, ticket == "T-1" ? "WO-1" : "", at);
    e.mutable_ticket_resolved()->set_incident_id("I-9");
    e.mutable_ticket_resolved()->set_component(v1::COMPONENT_ELEVATOR);
    events.push_back(e);
  }
  events.push_back(events[1]);  // again
  for (const auto& e : events) apply(e);
  // The lead's work order is signed off later: it shares the lead's callback.
  apply(signed_off(kProject, "WO-1", "T-1", "U-51", v1::COMPONENT_ELEVATOR, at));
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks"), 3);
  EXPECT_EQ(count(*pool_, "SELECT count(DISTINCT ticket_id) FROM callbacks"), 3);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE reason = 'repair_completed'"), 3);
  // An ordinary repair's resolution still leaves the callback to its sign-off.
  apply(ticket_resolved(kProject, "T-9", "U-61", v1::TICKET_KIND_REPAIR, "WO-9", at));
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks"), 3);
}

// ---- the remainder of issue 23 ----------------------------------------------------------------

v1::Event confirmed_failure(const std::string& id, bool carry_recipients) {
  v1::Event e = envelope("intake.IncidentConfirmed", id);
  auto* p = e.mutable_incident_confirmed();
  p->set_incident_id(id);
  p->set_kind(v1::INCIDENT_KIND_FAILURE);
  p->set_component(v1::COMPONENT_ELEVATOR);
  p->add_buildings("5栋");
  p->set_title("5栋 电梯故障（多户报修）");
  p->set_confirmed_by("agent-7");
  if (carry_recipients) {
    for (auto [unit, owner] : {std::pair{"U-51", "owner-a"},
                               {"U-53", "owner-b"},
                               {"U-54", "owner-new"}}) {  // U-54: registered this very moment
      auto* r = p->add_recipients();
      r->set_unit_id(unit);
      r->set_owner_id(owner);
    }
  }
  return e;
}

TEST_F(CallbackIncidentsTest, AKnownFailureTellsEachOwnerInScopeOnceThatItIsBeingRepaired) {
  v1::Event e = confirmed_failure("I-F", /*carry_recipients=*/false);
  v1::Event republished = e;
  republished.set_event_id(kit::new_uuid());
  apply(e);
  apply(republished);
  for (const std::string owner : {"owner-a", "owner-b"}) {
    auto m = messages(owner);
    ASSERT_EQ(m.size(), 1u) << owner;  // once per owner and incident
    EXPECT_EQ(m[0].kind, "incident_notice");
    EXPECT_EQ(m[0].text, "【物业服务】5栋 电梯故障（多户报修）：" + domain::failure_notice_text());
  }
  EXPECT_TRUE(messages("owner-c").empty());  // 6栋
}

TEST_F(CallbackIncidentsTest, RecipientsCarriedInTheEventReachAnOwnerCallbackDoesNotKnowYet) {
  apply(confirmed_failure("I-G", /*carry_recipients=*/true));
  ASSERT_EQ(messages("owner-new").size(), 1u);
  EXPECT_EQ(messages("owner-new")[0].kind, "incident_notice");
  EXPECT_EQ(messages("owner-a").size(), 1u);
  EXPECT_EQ(messages("owner-b").size(), 1u);
  v1::Event a = envelope("intake.AnnouncementPublished", "A-9");
  auto* p = a.mutable_announcement_published();
  p->set_announcement_id("A-9");
  p->set_title("电梯维修");
  p->set_body("今日下午完成");
  p->add_buildings("5栋");
  auto* r = p->add_recipients();
  r->set_unit_id("U-54");
  r->set_owner_id("owner-new");
  apply(a);
  EXPECT_EQ(messages("owner-new").size(), 2u);
  EXPECT_EQ(messages("owner-a").size(), 1u);  // the event named only owner-new
}

TEST_F(CallbackIncidentsTest, AReporterIsCalledBackAgainAfterTheIncidentWasReopenedAndResolved) {
  absl::Time at = local(2026, 12, 3, 16, 0, 0);
  v1::Event first = ticket_resolved(kProject, "T-2", "U-52", v1::TICKET_KIND_REPAIR, "", at);
  first.mutable_ticket_resolved()->set_incident_id("I-R");
  apply(first);
  v1::Event second =
      ticket_resolved(kProject, "T-2", "U-52", v1::TICKET_KIND_REPAIR, "", at + absl::Hours(48));
  second.mutable_ticket_resolved()->set_incident_id("I-R");
  second.mutable_ticket_resolved()->set_incident_round(1);
  apply(second);
  apply(second);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE ticket_id = 'T-2'"), 2);
}

}  // namespace
}  // namespace aftercare::callback::testing
