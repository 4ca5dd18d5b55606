// The late-builder sweeper against real PostgreSQL: a builder that misses its deadline is
// rerouted exactly once, whether the sweeper runs twice, concurrently, or as the background
// worker; small jobs go to the crew, large ones to the contractor.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>

#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using enum aftercare::v1::PartyKind;
using enum aftercare::v1::WorkOrderStatus;

class RerouteTest : public DispatchTest {
 protected:
  RerouteTest() : DispatchTest("t_dispatch_reroute") {}
};

TEST_F(RerouteTest, ALateBuilderIsReroutedExactlyOnceEvenWhenTheSweeperRunsTwice) {
  standard_parties();
  absl::Time reported = reported_at();
  deliver(ticket_opened("T-1", true, reported));
  WorkOrder builder = only_order("T-1");
  absl::Time deadline = reported + absl::Hours(24);

  EXPECT_TRUE(reroute_as_of(deadline).empty());  // met up to and including the deadline
  auto first = reroute_as_of(deadline + absl::Minutes(1));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].from_work_order_id(), builder.work_order_id());
  EXPECT_EQ(first[0].to_kind(), PARTY_KIND_CREW);
  EXPECT_EQ(first[0].to_party_id(), "C-crew");
  EXPECT_EQ(first[0].reason(), aftercare::v1::REROUTE_REASON_BUILDER_LATE);
  EXPECT_TRUE(reroute_as_of(deadline + absl::Minutes(2)).empty());
  EXPECT_TRUE(reroute_as_of(deadline + absl::Hours(24 * 60)).empty());

  auto orders = orders_of("T-1");
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].status(), WORK_ORDER_STATUS_REROUTED);
  EXPECT_EQ(orders[0].rerouted_to(), orders[1].work_order_id());
  EXPECT_EQ(orders[1].rerouted_from(), orders[0].work_order_id());
  EXPECT_EQ(orders[1].status(), WORK_ORDER_STATUS_CREATED);
  EXPECT_EQ(orders[1].builder_party_id(), "B-deco");
  EXPECT_EQ(outbox_count("dispatch.WorkOrderRerouted"), 1);
  auto rerouted = outbox_events("dispatch.WorkOrderRerouted")[0].work_order_rerouted();
  EXPECT_EQ(rerouted.from_party_id(), "B-deco");
  EXPECT_EQ(rerouted.to_party_id(), "C-crew");
  EXPECT_FALSE(rerouted.large_job());
  // The builder no longer acts on it.
  EXPECT_EQ(accept(partner("builder", "B-deco"), builder.work_order_id()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(RerouteTest, ConcurrentSweepersRerouteEveryLateBuilderOnce) {
  standard_parties();
  absl::Time reported = reported_at();
  constexpr int kTickets = 30;
  for (int i = 0; i < kTickets; ++i)
    deliver(ticket_opened("T-" + std::to_string(i), true, reported));
  constexpr int kSweepers = 4;
  std::latch go(kSweepers);
  std::atomic<int> total{0};
  std::vector<std::thread> sweepers;
  for (int i = 0; i < kSweepers; ++i) {
    sweepers.emplace_back([&] {
      go.arrive_and_wait();
      total += static_cast<int>(reroute_as_of(reported + absl::Hours(30)).size());
    });
  }
  for (auto& t : sweepers) t.join();
  EXPECT_EQ(total.load(), kTickets);
  EXPECT_EQ(count("SELECT count(*) FROM work_orders WHERE status = 'rerouted'"), kTickets);
  EXPECT_EQ(count("SELECT count(*) FROM work_orders WHERE rerouted_from IS NOT NULL"), kTickets);
  EXPECT_EQ(count("SELECT count(DISTINCT rerouted_from) FROM work_orders"), kTickets);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderRerouted"), kTickets);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCreated"), 2 * kTickets);
}

TEST_F(RerouteTest, LargeJobsGoToTheContractor) {
  standard_parties();
  absl::Time reported = reported_at();
  deliver(ticket_opened("T-1", true, reported));
  WorkOrder o = only_order("T-1");
  aftercare::v1::RecordVerificationRequest v;
  v.set_work_order_id(o.work_order_id());
  v.set_defect_confirmed(true);
  v.set_liability(aftercare::v1::LIABILITY_BUILDER);
  v.set_estimate_fen(100'000);  // exactly the threshold: large
  WorkOrder got;
  ASSERT_TRUE(stub_->RecordVerification(as(verifier()).get(), v, &got).ok());
  // The builder still had to be on site within 24 h of the report; it was not.
  auto reroutes = reroute_as_of(reported + absl::Hours(25));
  ASSERT_EQ(reroutes.size(), 1u);
  EXPECT_EQ(reroutes[0].to_kind(), PARTY_KIND_CONTRACTOR);
  auto orders = orders_of("T-1");
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[1].assignee_kind(), PARTY_KIND_CONTRACTOR);
  EXPECT_EQ(orders[1].party_id(), "K-big");
  EXPECT_EQ(orders[1].estimate_fen(), 100'000);
  EXPECT_TRUE(outbox_events("dispatch.WorkOrderRerouted")[0].work_order_rerouted().large_job());
}

TEST_F(RerouteTest, ABuilderOnSiteIsReroutedOnlyWhenItMissesTheFinishDeadline) {
  standard_parties();
  absl::Time reported = reported_at();
  deliver(ticket_opened("T-1", true, reported));
  WorkOrder o = only_order("T-1");
  auto b = partner("builder", "B-deco");
  ASSERT_TRUE(accept(b, o.work_order_id()).ok());
  ASSERT_TRUE(start(b, o.work_order_id()).ok());
  absl::Time resolve_due = store::from_timestamp(o.resolve_due());
  EXPECT_TRUE(reroute_as_of(reported + absl::Hours(30)).empty());
  EXPECT_TRUE(reroute_as_of(resolve_due).empty());
  ASSERT_EQ(reroute_as_of(resolve_due + absl::Seconds(1)).size(), 1u);
  // Crews and contractors are never rerouted by the sweeper.
  EXPECT_TRUE(reroute_as_of(resolve_due + absl::Hours(24 * 100)).empty());
}

TEST_F(RerouteTest, TheBackgroundWorkerReroutesLateBuilders) {
  standard_parties();
  deliver(ticket_opened("T-1", true, absl::Now() - absl::Hours(25)));
  std::jthread worker(
      [&](std::stop_token stop) { service_->run_sweeper(stop, std::chrono::seconds(1)); });
  EXPECT_TRUE(aftercare::testing::eventually(
      [&] { return count("SELECT count(*) FROM work_orders WHERE status = 'rerouted'") == 1; }));
  worker.request_stop();
  worker.join();
  EXPECT_EQ(orders_of("T-1").size(), 2u);
}

// Issue 24: the sweeper honours each project's dispatch.sweep_interval_seconds. The rounds are
// run with the instant passed in, as the worker runs them with the clock's.
class SweepIntervalTest : public RerouteTest {
 protected:
  void set_sweep_interval(int seconds) {
    Event policy;
    policy.set_event_id(kit::new_uuid());
    policy.set_project_id(kProject);
    auto* p = policy.mutable_policy_updated()->mutable_policy();
    p->set_project_id(kProject);
    p->set_version(2);
    p->mutable_dispatch()->set_sweep_interval_seconds(seconds);
    deliver(policy);
  }
  int64_t rerouted() { return count("SELECT count(*) FROM work_orders WHERE status = 'rerouted'"); }
  static constexpr auto kLongest = std::chrono::seconds(30);  // AFTERCARE_DISPATCH_SWEEP_INTERVAL_S
};

TEST_F(SweepIntervalTest, AProjectWithALongIntervalIsNotSweptAgainBeforeIt) {
  standard_parties();
  set_sweep_interval(3600);
  absl::Time t0 = store::truncate_to_micros(absl::Now());
  deliver(ticket_opened("T-1", true, t0 - absl::Hours(25)));                     // late at t0
  deliver(ticket_opened("T-2", true, t0 - absl::Hours(24) + absl::Minutes(5)));  // late at t0+5m
  app::SweepRound first = service_->sweep_once(t0, kLongest);
  EXPECT_EQ(first.projects, std::vector<std::string>{kProject});
  ASSERT_EQ(first.reroutes.size(), 1u);
  EXPECT_EQ(rerouted(), 1);
  // The worker still ticks at the default's 30 s (other projects), never above the longest.
  EXPECT_EQ(first.next_round, std::chrono::seconds(30));
  // T-2 is late from t0+5m, but the project was swept at t0: not again before t0+1h.
  for (absl::Duration after : {absl::Minutes(10), absl::Minutes(30), absl::Minutes(59)}) {
    app::SweepRound round = service_->sweep_once(t0 + after, kLongest);
    EXPECT_TRUE(round.projects.empty()) << after;
    EXPECT_TRUE(round.reroutes.empty()) << after;
  }
  EXPECT_EQ(rerouted(), 1);
  app::SweepRound due = service_->sweep_once(t0 + absl::Hours(1), kLongest);
  EXPECT_EQ(due.projects, std::vector<std::string>{kProject});
  ASSERT_EQ(due.reroutes.size(), 1u);
  EXPECT_EQ(rerouted(), 2);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderRerouted"), 2);
}

TEST_F(SweepIntervalTest, AProjectWithAShortIntervalIsSweptAgainAfterIt) {
  standard_parties();
  set_sweep_interval(10);
  absl::Time t0 = store::truncate_to_micros(absl::Now());
  deliver(ticket_opened("T-1", true, t0 - absl::Hours(25)));                     // late at t0
  deliver(ticket_opened("T-2", true, t0 - absl::Hours(24) + absl::Seconds(5)));  // at t0+5s
  app::SweepRound first = service_->sweep_once(t0, kLongest);
  ASSERT_EQ(first.reroutes.size(), 1u);
  // The worker ticks at the shortest interval in effect.
  EXPECT_EQ(first.next_round, std::chrono::seconds(10));
  EXPECT_TRUE(service_->sweep_once(t0 + absl::Seconds(9), kLongest).reroutes.empty());
  app::SweepRound again = service_->sweep_once(t0 + absl::Seconds(10), kLongest);
  EXPECT_EQ(again.projects, std::vector<std::string>{kProject});
  ASSERT_EQ(again.reroutes.size(), 1u);
  EXPECT_EQ(rerouted(), 2);
  // A project without late orders is not swept (nor marked).
  EXPECT_TRUE(service_->sweep_once(t0 + absl::Seconds(30), kLongest).projects.empty());
}

}  // namespace
}  // namespace aftercare::dispatch::testing
