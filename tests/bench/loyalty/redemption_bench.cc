// Redemptions per second through the real gRPC service and PostgreSQL (hold + confirm in one
// transaction, ledger and outbox rows included):
//   HotMember   - every thread redeems from the same member (serialized by its row lock);
//   ManyMembers - each thread redeems from its own rotating set of members (parallel).
// Needs AFTERCARE_TEST_PG_URL (source /work/devstack/env). Usage:
//   loyalty_bench [--benchmark_min_time=2] [--benchmark_filter=Hot]
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "aftercare/v1/loyalty.grpc.pb.h"
#include "common/call.h"
#include "common/outbox.h"
#include "loyalty/loyalty_service.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::loyalty {
namespace {

constexpr int kMembersPerThread = 50;
constexpr int64_t kPointsEach = 100'000'000;

struct Stack {
  std::unique_ptr<kit::PgPool> db;
  std::unique_ptr<kit::Outbox> outbox;
  std::unique_ptr<LoyaltyServiceImpl> service;
  std::unique_ptr<testing::TestServer> server;
  std::mutex mu;
  int members_ready = 0;  // many-members pool already funded

  Stack() {
    db = testing::migrated_database("t_loyalty_bench", generated::loyalty_migrations(), 32);
    outbox = std::make_unique<kit::Outbox>("aftercare.loyalty.v1", "loyalty");
    service = std::make_unique<LoyaltyServiceImpl>(*db, *outbox);
    server = std::make_unique<testing::TestServer>(service.get());
    auto stub = v1::LoyaltyService::NewStub(server->channel());
    // Staff may award huge amounts in the bench project, so one lot funds a whole run.
    v1::SetProjectRulesRequest rules;
    rules.set_project_id("PB");
    auto* r = rules.add_earning_rules();
    r->set_reason(v1::EARN_REASON_ACTIVITY);
    r->set_points(0);
    r->set_max_points(kPointsEach);
    v1::ProjectRules out;
    auto ctx = kit::client_context({"admin", kit::Role::admin, {"*"}, {}, ""});
    if (!stub->SetProjectRules(ctx.get(), rules, &out).ok()) throw std::runtime_error("rules");
    Fund("hot");
  }

  void Fund(const std::string& owner) {
    auto stub = v1::LoyaltyService::NewStub(server->channel());
    v1::EarnRequest req;
    req.set_owner_id(owner);
    req.set_project_id("PB");
    req.set_reason(v1::EARN_REASON_ACTIVITY);
    req.set_points(kPointsEach);
    req.set_source_id("fund-" + owner);
    v1::EarnResponse resp;
    auto ctx = kit::client_context({"admin", kit::Role::admin, {"*"}, {}, ""});
    auto s = stub->Earn(ctx.get(), req, &resp);
    if (!s.ok()) throw std::runtime_error("fund: " + s.error_message());
  }

  void FundMany(int threads) {
    std::lock_guard lock(mu);
    for (int i = members_ready; i < threads * kMembersPerThread; ++i)
      Fund("m-" + std::to_string(i));
    members_ready = std::max(members_ready, threads * kMembersPerThread);
  }
};

Stack& stack() {
  static Stack s;
  return s;
}

void Redeem(benchmark::State& state, const std::function<std::string(int64_t)>& owner_of) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(stack().server->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::LoyaltyService::NewStub(channel);
  int64_t i = 0, errors = 0;
  for (auto _ : state) {
    const std::string owner = owner_of(i++);
    v1::RedeemRequest req;
    req.set_owner_id(owner);
    req.set_item("bench");
    req.set_points(1);
    v1::RedemptionResponse resp;
    auto ctx = kit::client_context({owner, kit::Role::owner, {}, {}, ""}, std::chrono::seconds(30));
    if (!stub->Redeem(ctx.get(), req, &resp).ok()) ++errors;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["errors"] = static_cast<double>(errors);
}

void BM_RedeemHotMember(benchmark::State& state) {
  stack();
  Redeem(state, [](int64_t) { return std::string("hot"); });
}

void BM_RedeemManyMembers(benchmark::State& state) {
  if (state.thread_index() == 0) stack().FundMany(state.threads());
  const int base = state.thread_index() * kMembersPerThread;
  Redeem(state, [base](int64_t i) { return "m-" + std::to_string(base + i % kMembersPerThread); });
}

BENCHMARK(BM_RedeemHotMember)->ThreadRange(1, 16)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_RedeemManyMembers)->ThreadRange(1, 16)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace aftercare::loyalty

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::printf("nproc: %u\n", std::thread::hardware_concurrency());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
