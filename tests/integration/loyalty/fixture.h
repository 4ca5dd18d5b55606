// Shared fixture of the loyalty integration tests: a fresh database with the migrations, the
// service on a real gRPC channel, a clock the test moves forward, and callers of each kind.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "aftercare/v1/loyalty.grpc.pb.h"
#include "common/call.h"
#include "common/outbox.h"
#include "loyalty/loyalty_service.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::loyalty {

class LoyaltyFixture : public ::testing::Test {
 protected:
  void Open(const std::string& db_name, const std::string& topic = "aftercare.loyalty.v1") {
    db_ = testing::migrated_database(db_name, generated::loyalty_migrations(), 16);
    outbox_ = std::make_unique<kit::Outbox>(topic, "loyalty");
    service_ = std::make_unique<LoyaltyServiceImpl>(*db_, *outbox_, [this] { return now(); });
    server_ = std::make_unique<testing::TestServer>(service_.get());
    stub_ = v1::LoyaltyService::NewStub(server_->channel());
  }

  absl::Time now() const { return absl::Now() + absl::Microseconds(offset_us_.load()); }
  void advance(absl::Duration d) { offset_us_ += absl::ToInt64Microseconds(d); }

  static kit::Caller owner(const std::string& id) { return {id, kit::Role::owner, {}, {}, ""}; }
  static kit::Caller agent(const std::string& project) {
    return {"agent-1", kit::Role::agent, {project}, {}, ""};
  }
  static kit::Caller admin() { return {"admin-1", kit::Role::admin, {"*"}, {}, ""}; }

  // Enrols an owner the way intake's registry does (UnitUpserted through the consumer handler).
  void Enrol(const std::string& owner_id, const std::string& project, const std::string& unit) {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.UnitUpserted");
    e.set_project_id(project);
    e.set_aggregate_id(unit);
    e.mutable_unit_upserted()->set_unit_id(unit);
    e.mutable_unit_upserted()->set_owner_id(owner_id);
    db_->in_transaction([&](pqxx::work& tx) { service_->HandleIntakeEvent(tx, e); });
  }

  grpc::Status Earn(const kit::Caller& who, const std::string& owner_id, int64_t points,
                    const std::string& source, v1::EarnResponse* out = nullptr,
                    v1::EarnReason reason = v1::EARN_REASON_ACTIVITY) {
    v1::EarnRequest req;
    req.set_owner_id(owner_id);
    req.set_reason(reason);
    req.set_points(points);
    req.set_source_id(source);
    v1::EarnResponse scratch;
    auto ctx = kit::client_context(who);
    return stub_->Earn(ctx.get(), req, out ? out : &scratch);
  }

  grpc::Status Redeem(const std::string& owner_id, int64_t points,
                      v1::RedemptionResponse* out = nullptr, const std::string& key = "",
                      const std::string& merchant = "") {
    v1::RedeemRequest req;
    req.set_owner_id(owner_id);
    req.set_merchant_id(merchant);
    req.set_item("超市购物券");
    req.set_points(points);
    req.set_idempotency_key(key);
    v1::RedemptionResponse scratch;
    auto ctx = kit::client_context(owner(owner_id));
    return stub_->Redeem(ctx.get(), req, out ? out : &scratch);
  }

  grpc::Status Hold(const std::string& owner_id, int64_t points, v1::RedemptionResponse* out) {
    v1::HoldRequest req;
    req.set_owner_id(owner_id);
    req.set_item("洗车服务");
    req.set_points(points);
    auto ctx = kit::client_context(owner(owner_id));
    return stub_->Hold(ctx.get(), req, out);
  }

  v1::Member Member(const std::string& owner_id) {
    v1::GetMemberRequest req;
    req.set_owner_id(owner_id);
    v1::Member m;
    auto ctx = kit::client_context(admin());
    EXPECT_TRUE(stub_->GetMember(ctx.get(), req, &m).ok());
    return m;
  }

  v1::RunExpiryResponse RunExpiry() {
    v1::RunExpiryRequest req;
    v1::RunExpiryResponse resp;
    auto ctx = kit::client_context(admin());
    auto status = stub_->RunExpiry(ctx.get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  }

  int64_t Scalar(const std::string& sql) {
    return db_->in_transaction([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<int64_t>(); });
  }

  // The member's books agree: the balance is the sum of the ledger's signed points and of its
  // lots' remaining points, held is what pending holds reserve, seq has no gaps.
  void ExpectConsistent(const std::string& owner_id) {
    const std::string o = "'" + owner_id + "'";
    const int64_t balance = Scalar("SELECT balance FROM members WHERE owner_id = " + o);
    const int64_t held = Scalar("SELECT held FROM members WHERE owner_id = " + o);
    EXPECT_EQ(balance,
              Scalar("SELECT coalesce(sum(points), 0) FROM ledger_entries WHERE owner_id = " + o));
    EXPECT_EQ(balance,
              Scalar("SELECT coalesce(sum(remaining), 0) FROM lots WHERE owner_id = " + o));
    EXPECT_EQ(
        held,
        Scalar("SELECT coalesce(sum(points), 0) FROM redemptions WHERE status = 1 AND owner_id = " +
               o));
    EXPECT_EQ(
        held,
        Scalar("SELECT coalesce(sum(a.points), 0) FROM hold_allocations a JOIN redemptions r USING "
               "(redemption_id) WHERE r.status = 1 AND r.owner_id = " +
               o));
    EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE owner_id = " + o),
              Scalar("SELECT last_seq FROM members WHERE owner_id = " + o));
    EXPECT_EQ(Scalar("SELECT coalesce(max(seq), 0) FROM ledger_entries WHERE owner_id = " + o),
              Scalar("SELECT last_seq FROM members WHERE owner_id = " + o));
    // The last entry's after-balances are the member's.
    if (Scalar("SELECT count(*) FROM ledger_entries WHERE owner_id = " + o) > 0) {
      EXPECT_EQ(balance, Scalar("SELECT balance_after FROM ledger_entries WHERE owner_id = " + o +
                                " ORDER BY seq DESC LIMIT 1"));
      EXPECT_EQ(held, Scalar("SELECT held_after FROM ledger_entries WHERE owner_id = " + o +
                             " ORDER BY seq DESC LIMIT 1"));
    }
  }

  int64_t Events(const std::string& type) {
    return Scalar("SELECT count(*) FROM kit_outbox WHERE event_type = '" + type + "'");
  }

  std::unique_ptr<kit::PgPool> db_;
  std::unique_ptr<kit::Outbox> outbox_;
  std::unique_ptr<LoyaltyServiceImpl> service_;
  std::unique_ptr<testing::TestServer> server_;
  std::unique_ptr<v1::LoyaltyService::Stub> stub_;
  std::atomic<int64_t> offset_us_{0};
};

}  // namespace aftercare::loyalty
