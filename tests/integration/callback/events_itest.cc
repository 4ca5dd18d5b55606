// Callback's consumers end to end through devbroker (real Kafka protocol) and PostgreSQL:
// a WorkOrderSignedOff delivered twice (and re-published with a new event id) makes exactly one
// callback task; a resolved complaint makes one callback; UnitUpserted keeps the unit projection
// and the outreach generator then creates each periodic callback (1, 3, 6 months) and each
// warranty-expiry reminder once per unit and milestone, however often (and concurrently) it runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "callback/app/generator.h"
#include "callback_fixture.h"
#include "common/consumer.h"
#include "common/kafka.h"
#include "common/metrics.h"

namespace aftercare::callback::testing {
namespace {

const std::string kProject = "P-ev";

class CallbackEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = aftercare::testing::migrated_database("t_callback_events",
                                                  generated::callback_migrations());
    outbox_ = std::make_unique<kit::Outbox>("aftercare.callback.v1", "callback");
    clock_.set(local(2024, 6, 14, 15, 0, 0));
    applier_ = std::make_unique<app::EventApplier>(*outbox_, [this] { return clock_.now(); });
  }

  // Publishes serialized events to a fresh topic the way the outbox relay does, and runs a
  // consumer (the kit's, with the callback handler) until `n` messages were handled.
  std::vector<kit::Delivery> publish_and_consume(const std::string& consumer_name,
                                                 const std::vector<v1::Event>& events) {
    std::string topic = aftercare::testing::create_topic("test.callback.in", 1);
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
        consumer_name + "-" + std::to_string(::getpid()) + "-" + topic,
        {topic},
        3,
        std::chrono::milliseconds(20),
        {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}};
    kit::EventConsumer consumer(*pool_, aftercare::testing::kafka_bootstrap(), metrics_, options,
                                *applier_);
    std::vector<kit::Delivery> seen;
    aftercare::testing::eventually(
        [&] {
          kit::Delivery d = consumer.poll_once(std::chrono::milliseconds(100));
          if (d == kit::Delivery::kApplied || d == kit::Delivery::kDuplicate ||
              d == kit::Delivery::kDeadLettered) {
            seen.push_back(d);
          }
          return seen.size() >= events.size();
        },
        std::chrono::seconds(60));
    return seen;
  }

  std::unique_ptr<kit::PgPool> pool_;
  std::unique_ptr<kit::Outbox> outbox_;
  TestClock clock_;
  std::unique_ptr<app::EventApplier> applier_;
  kit::Metrics metrics_;
};

TEST_F(CallbackEventsTest, SignedOffWorkOrderDeliveredTwiceYieldsExactlyOneCallback) {
  v1::Event e = signed_off(kProject, "WO-1", "T-1", "U-1", v1::COMPONENT_BATHROOM_WATERPROOFING,
                           local(2024, 6, 14, 11, 0, 0));
  // The same event twice (at-least-once delivery), then the same sign-off re-published by a
  // producer under a new event id (the inbox cannot catch that one; the source key does).
  v1::Event republished = e;
  republished.set_event_id(kit::new_uuid());
  auto seen = publish_and_consume("callback.dispatch", {e, e, republished});
  EXPECT_EQ(seen, (std::vector<kit::Delivery>{kit::Delivery::kApplied, kit::Delivery::kDuplicate,
                                              kit::Delivery::kApplied}));
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks"), 1);
  EXPECT_EQ(
      count(*pool_,
            "SELECT count(*) FROM callbacks WHERE work_order_id = 'WO-1' AND ticket_id = 'T-1' "
            "AND reason = 'repair_completed' AND due_kind = 'leak' AND status = 'pending'"),
      1);
  auto scheduled = outbox_events(*pool_, "callback.CallbackScheduled");
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled[0].callback_scheduled().work_order_id(), "WO-1");
  EXPECT_EQ(scheduled[0].callback_scheduled().owner_id(), "owner-U-1");
  // A leak: 3 calendar days after the sign-off day, by the end of the day (Shanghai).
  EXPECT_EQ(domain::from_timestamp(scheduled[0].callback_scheduled().due_at()),
            local(2024, 6, 17, 23, 59, 59));
  EXPECT_EQ(scheduled[0].aggregate_id(), scheduled[0].callback_scheduled().callback_id());
}

TEST_F(CallbackEventsTest, ResolvedComplaintYieldsOneCallbackAndRepairsAreLeftToTheSignOff) {
  v1::Event complaint = ticket_resolved(kProject, "T-c", "U-2", v1::TICKET_KIND_COMPLAINT, "",
                                        local(2024, 6, 14, 9, 0, 0));
  v1::Event repair = ticket_resolved(kProject, "T-r", "U-2", v1::TICKET_KIND_REPAIR, "WO-r",
                                     local(2024, 6, 14, 9, 0, 0));
  v1::Event unrelated;
  unrelated.set_event_id(kit::new_uuid());
  unrelated.set_type("intake.TicketOpened");
  unrelated.set_project_id(kProject);
  unrelated.set_aggregate_id("T-x");
  unrelated.mutable_ticket_opened()->set_ticket_id("T-x");
  auto seen = publish_and_consume("callback.intake", {complaint, repair, unrelated, complaint});
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks"), 1);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM callbacks WHERE ticket_id = 'T-c' "
                  "AND reason = 'complaint_resolved'"),
            1);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM kit_dead_letters"), 0);
}

TEST_F(CallbackEventsTest, ComplaintResolvedByARepairSharesTheWorkOrdersCallback) {
  pool_->in_transaction([&](pqxx::work& tx) {
    (*applier_)(tx, ticket_resolved(kProject, "T-1", "U-1", v1::TICKET_KIND_COMPLAINT, "WO-1",
                                    local(2024, 6, 14, 9, 0, 0)));
    (*applier_)(tx, signed_off(kProject, "WO-1", "T-1", "U-1", v1::COMPONENT_GAS,
                               local(2024, 6, 14, 8, 0, 0)));
  });
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks"), 1);
}

TEST_F(CallbackEventsTest, UnitProjectionAndPeriodicCallbacksOncePerUnitAndMilestone) {
  // Unit U-1 handed over on 31 August 2024: milestones 30 Sep, 30 Nov, 28 Feb (clamped).
  // Unit U-2 handed over long ago: no periodic callbacks. U-3 has no owner yet (unsold).
  v1::Event u1 = unit_upserted(kProject, "U-1", "owner-1", absl::CivilDay(2024, 8, 31));
  v1::Event u2 = unit_upserted(kProject, "U-2", "owner-2", absl::CivilDay(2019, 8, 31));
  v1::Event u3 = unit_upserted(kProject, "U-3", "", absl::CivilDay(2024, 8, 31));
  auto seen = publish_and_consume("callback.intake", {u1, u2, u3, u1});
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_units WHERE project_id = 'P-ev'"), 3);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM callback_units WHERE unit_id = 'U-1' "
                  "AND owner_id = 'owner-1' AND handover_date = '2024-08-31'"),
            1);

  auto run_twice = [&](absl::Time now) {
    app::GeneratorResult first = app::generate_outreach(*pool_, *outbox_, now);
    app::GeneratorResult second = app::generate_outreach(*pool_, *outbox_, now);
    EXPECT_EQ(second.periodic + second.warranty, 0);
    return first;
  };
  // Before the first milestone's creation window: nothing.
  EXPECT_EQ(run_twice(local(2024, 9, 1, 8)).periodic, 0);
  // A week ahead of 30 September the 1-month callback appears, once.
  EXPECT_EQ(run_twice(local(2024, 9, 23, 8)).periodic, 1);
  EXPECT_EQ(run_twice(local(2024, 9, 30, 8)).periodic, 0);
  // Two generators at the same moment (two replicas): still one callback per milestone.
  std::vector<std::thread> replicas;
  std::atomic<int> created{0};
  for (int i = 0; i < 2; ++i) {
    replicas.emplace_back([&] {
      created += app::generate_outreach(*pool_, *outbox_, local(2024, 11, 28, 8)).periodic;
    });
  }
  for (auto& t : replicas) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(run_twice(local(2025, 2, 27, 8)).periodic, 1);
  EXPECT_EQ(run_twice(local(2025, 3, 20, 8)).periodic, 0);

  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE reason LIKE 'handover_%'"), 3);
  EXPECT_EQ(
      count(*pool_,
            "SELECT count(*) FROM callbacks WHERE unit_id = 'U-1' AND reason = 'handover_1_month' "
            "AND milestone_months = 1 AND owner_id = 'owner-1'"),
      1);
  EXPECT_EQ(
      count(*pool_,
            "SELECT count(*) FROM callbacks WHERE unit_id = 'U-1' AND reason = 'handover_3_months' "
            "AND due_at = '2024-11-30 23:59:59+08'"),
      1);
  EXPECT_EQ(
      count(*pool_,
            "SELECT count(*) FROM callbacks WHERE unit_id = 'U-1' AND reason = 'handover_6_months' "
            "AND due_at = '2025-02-28 23:59:59+08'"),
      1);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE unit_id <> 'U-1'"), 0);
  EXPECT_EQ(outbox_count(*pool_, "callback.CallbackScheduled"), 3);
}

TEST_F(CallbackEventsTest, WarrantyExpiryRemindersOncePerUnitAndEndDate) {
  pool_->in_transaction([&](pqxx::work& tx) {
    (*applier_)(tx, unit_upserted(kProject, "U-1", "owner-1", absl::CivilDay(2023, 6, 15)));
  });
  // 1-year items end 15 June 2024: reminder on 16 May 2024. 2-year items end 15 June 2025.
  app::GeneratorResult r = app::generate_outreach(*pool_, *outbox_, local(2024, 5, 10, 8));
  EXPECT_EQ(r.warranty, 1);
  EXPECT_EQ(app::generate_outreach(*pool_, *outbox_, local(2024, 5, 16, 8)).warranty, 0);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM callbacks WHERE reason = 'warranty_expiry' "
                  "AND warranty_ends = '2024-06-15' AND component = 'other' "
                  "AND due_at = '2024-05-16 23:59:59+08'"),
            1);
  auto reminders = outbox_events(*pool_, "callback.WarrantyExpiryReminderDue");
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].aggregate_id(), "U-1");
  EXPECT_EQ(reminders[0].warranty_expiry_reminder_due().component(), v1::COMPONENT_OTHER);
  EXPECT_EQ(reminders[0].warranty_expiry_reminder_due().warranty_ends().year(), 2024);

  // The 2-year reminder covers all eight 2-year components in one call, one event each.
  EXPECT_EQ(app::generate_outreach(*pool_, *outbox_, local(2025, 5, 12, 8)).warranty, 1);
  EXPECT_EQ(app::generate_outreach(*pool_, *outbox_, local(2025, 5, 12, 8)).warranty, 0);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE reason = 'warranty_expiry'"), 2);
  EXPECT_EQ(outbox_count(*pool_, "callback.WarrantyExpiryReminderDue"), 1 + 8);
}

TEST_F(CallbackEventsTest, PolicyAndTimeZoneProjectionsDriveDueDates) {
  v1::Event project;
  project.set_event_id(kit::new_uuid());
  project.set_type("intake.ProjectUpserted");
  project.set_project_id(kProject);
  project.set_aggregate_id(kProject);
  project.mutable_project_upserted()->set_project_id(kProject);
  project.mutable_project_upserted()->set_timezone("UTC");
  v1::Event policy;
  policy.set_event_id(kit::new_uuid());
  policy.set_type("intake.PolicyUpdated");
  policy.set_project_id(kProject);
  policy.set_aggregate_id(kProject);
  v1::Policy* p = policy.mutable_policy_updated()->mutable_policy();
  p->set_project_id(kProject);
  p->set_version(2);
  p->mutable_callback()->set_leak_due_days(1);
  v1::Event stale = policy;
  stale.set_event_id(kit::new_uuid());
  stale.mutable_policy_updated()->mutable_policy()->set_version(1);
  stale.mutable_policy_updated()->mutable_policy()->mutable_callback()->set_leak_due_days(9);
  pool_->in_transaction([&](pqxx::work& tx) {
    (*applier_)(tx, project);
    (*applier_)(tx, policy);
    (*applier_)(tx, stale);  // an older version never overwrites a newer one
    (*applier_)(tx, signed_off(kProject, "WO-1", "T-1", "U-1", v1::COMPONENT_PLUMBING,
                               absl::FromCivil(absl::CivilSecond(2024, 6, 14, 20, 0, 0),
                                               absl::UTCTimeZone())));
  });
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE due_at = '2024-06-15 23:59:59+00'"),
            1);
}

TEST_F(CallbackEventsTest, ReworkOrderFromDispatchMarksTheReworkReturned) {
  pool_->in_transaction([&](pqxx::work& tx) {
    tx.exec(
        "INSERT INTO callbacks (callback_id, source_key, project_id, unit_id, reason, due_at, "
        "status, created_at, updated_at) VALUES ('00000000-0000-0000-0000-000000000001', 'k', "
        "'P-ev', 'U-1', 'repair_completed', now(), 'done', now(), now())");
    tx.exec(
        "INSERT INTO callback_reworks (callback_id, project_id, ticket_id, work_order_id, reason, "
        "requested_at, return_due) VALUES ('00000000-0000-0000-0000-000000000001', 'P-ev', 'T-1', "
        "'WO-1', 'unsatisfied', now(), now() + interval '24 hours')");
  });
  v1::Event created;
  created.set_event_id(kit::new_uuid());
  created.set_type("dispatch.WorkOrderCreated");
  created.set_project_id(kProject);
  created.set_aggregate_id("WO-2");
  v1::WorkOrderCreated* w = created.mutable_work_order_created();
  w->set_work_order_id("WO-2");
  w->set_ticket_id("T-1");
  w->set_origin(v1::WORK_ORDER_ORIGIN_REWORK);
  w->set_rework_of("WO-1");
  clock_.set(absl::Now());
  pool_->in_transaction([&](pqxx::work& tx) { (*applier_)(tx, created); });
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM callback_reworks WHERE rework_work_order_id = 'WO-2' "
                  "AND returned_at IS NOT NULL AND returned_at <= return_due"),
            1);
}

TEST_F(CallbackEventsTest, AnEventCallbackCannotUseIsDeadLetteredNotDropped) {
  v1::Event bad = signed_off(kProject, "", "T-1", "U-1", v1::COMPONENT_GAS, local(2024, 6, 14, 9));
  auto seen = [&] {
    std::string topic = aftercare::testing::create_topic("test.callback.bad", 1);
    EXPECT_EQ(aftercare::testing::devbroker_post(
                  "/topics", R"({"name":")" + topic + R"(.dlq","partitions":1})"),
              200);
    kit::BatchProducer producer(aftercare::testing::kafka_bootstrap());
    for (const auto& r :
         producer.publish({{topic, "WO", bad.SerializeAsString(), {}}}, std::chrono::seconds(10)))
      EXPECT_TRUE(r.delivered());
    kit::EventConsumer consumer(
        *pool_, aftercare::testing::kafka_bootstrap(), metrics_,
        {"callback.bad-" + topic,
         {topic},
         2,
         std::chrono::milliseconds(20),
         {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}},
        *applier_);
    kit::Delivery last = kit::Delivery::kNone;
    aftercare::testing::eventually(
        [&] {
          last = consumer.poll_once(std::chrono::milliseconds(100));
          return last == kit::Delivery::kDeadLettered || last == kit::Delivery::kApplied;
        },
        std::chrono::seconds(60));
    return last;
  }();
  EXPECT_EQ(seen, kit::Delivery::kDeadLettered);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks"), 0);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM kit_dead_letters"), 1);
}

}  // namespace
}  // namespace aftercare::callback::testing
