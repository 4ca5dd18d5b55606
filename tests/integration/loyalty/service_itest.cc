// The loyalty service against real PostgreSQL through a real gRPC channel: concurrent
// redemptions never overdraw, earnings are awarded once per source, holds settle exactly once
// (an expired hold gives its points back once), expiry runs twice and expires once, bad amounts
// write nothing, and callers only see what their scope allows.
#include <latch>
#include <thread>

#include "fixture.h"

namespace aftercare::loyalty {
namespace {

class LoyaltyServiceTest : public LoyaltyFixture {
 protected:
  void SetUp() override {
    Open("t_loyalty_service");
    Enrol("owner-1", "P1", "U-101");
  }
};

TEST_F(LoyaltyServiceTest,
       SixtyFourConcurrentRedemptionsAgainstABalanceForTenSucceedExactlyTenTimes) {
  // 1050 points in three lots; each redemption costs 100: exactly 10 fit, 50 remain.
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 400, "act-1").ok());
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 400, "act-2").ok());
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 250, "act-3").ok());
  const int64_t outbox_before = Scalar("SELECT count(*) FROM kit_outbox");

  constexpr int kCalls = 64;
  std::latch start(kCalls);
  std::vector<grpc::Status> results(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      // Each thread its own channel and call.
      auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                         grpc::InsecureChannelCredentials());
      auto stub = v1::LoyaltyService::NewStub(channel);
      v1::RedeemRequest req;
      req.set_owner_id("owner-1");
      req.set_item("电影票");
      req.set_points(100);
      v1::RedemptionResponse resp;
      start.arrive_and_wait();
      auto ctx = kit::client_context(owner("owner-1"), std::chrono::seconds(30));
      results[i] = stub->Redeem(ctx.get(), req, &resp);
    });
  }
  for (auto& t : threads) t.join();

  int ok = 0, short_balance = 0;
  for (const auto& s : results) {
    if (s.ok())
      ++ok;
    else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION)
      ++short_balance;
    else
      ADD_FAILURE() << "unexpected status " << s.error_code() << ": " << s.error_message();
  }
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(short_balance, kCalls - 10);

  const v1::Member m = Member("owner-1");
  EXPECT_EQ(m.balance(), 50);
  EXPECT_EQ(m.held(), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM redemptions WHERE status = 2"), 10);
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE kind = 2"), 10);  // holds
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE kind = 3"), 10);  // redeems
  EXPECT_EQ(Scalar("SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE kind = 3"), 1000);
  // Oldest lots were used first: the two 400 lots are empty, the 250 lot has 50 left.
  EXPECT_EQ(Scalar("SELECT remaining FROM lots l JOIN ledger_entries e ON e.entry_id = l.lot_id "
                   "WHERE e.source_id = 'act-3'"),
            50);
  ExpectConsistent("owner-1");
  // Exactly the 20 events of the 10 successes, written with them.
  EXPECT_EQ(Scalar("SELECT count(*) FROM kit_outbox") - outbox_before, 20);
  EXPECT_EQ(Events("loyalty.PointsHeld"), 10);
  EXPECT_EQ(Events("loyalty.RedemptionConfirmed"), 10);
}

TEST_F(LoyaltyServiceTest, ARepeatedSourceAwardsOnceAndReturnsTheOriginalEntry) {
  v1::EarnResponse first, again;
  ASSERT_TRUE(
      Earn(agent("P1"), "owner-1", 300, "referral-42", &first, v1::EARN_REASON_REFERRAL).ok());
  EXPECT_TRUE(first.awarded());
  EXPECT_EQ(first.member().balance(), 300);
  // The same source again, even with another amount: nothing new, the first entry back.
  auto status = Earn(agent("P1"), "owner-1", 999, "referral-42", &again, v1::EARN_REASON_REFERRAL);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(again.awarded());
  EXPECT_EQ(again.entry().entry_id(), first.entry().entry_id());
  EXPECT_EQ(again.entry().points(), 300);
  EXPECT_EQ(again.member().balance(), 300);
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE kind = 1"), 1);
  EXPECT_EQ(Events("loyalty.PointsEarned"), 1);
  // The earning's event carries the award, keyed by the member.
  auto payload = db_->in_transaction([](pqxx::work& tx) {
    auto r = tx.exec(
        "SELECT payload, partition_key FROM kit_outbox WHERE event_type = 'loyalty.PointsEarned'");
    return std::make_pair(pqxx::binarystring(r[0][0]).str(), r[0][1].as<std::string>());
  });
  v1::Event e;
  ASSERT_TRUE(e.ParseFromString(payload.first));
  EXPECT_EQ(payload.second, "owner-1");
  EXPECT_EQ(e.aggregate_id(), "owner-1");
  EXPECT_EQ(e.project_id(), "P1");
  EXPECT_EQ(e.points_earned().source_id(), "referral-42");
  EXPECT_EQ(e.points_earned().points(), 300);
  EXPECT_EQ(e.points_earned().balance_after(), 300);
  ExpectConsistent("owner-1");
}

TEST_F(LoyaltyServiceTest, BadAmountsAreRefusedAndWriteNothing) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 100, "act-1").ok());
  const int64_t entries = Scalar("SELECT count(*) FROM ledger_entries");
  const int64_t events = Scalar("SELECT count(*) FROM kit_outbox");

  EXPECT_EQ(Earn(agent("P1"), "owner-1", 0, "act-2").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Earn(agent("P1"), "owner-1", -5, "act-2").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Over the reason's cap (activity: 1000 by default).
  auto over_cap = Earn(agent("P1"), "owner-1", 1001, "act-2");
  EXPECT_EQ(over_cap.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(over_cap.error_message().find("points"), std::string::npos);
  EXPECT_EQ(Earn(agent("P1"), "owner-1", 10, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      Earn(agent("P1"), "owner-1", 10, "x", nullptr, v1::EARN_REASON_UNSPECIFIED).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  EXPECT_EQ(Redeem("owner-1", 0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Redeem("owner-1", -1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto short_balance = Redeem("owner-1", 101);
  EXPECT_EQ(short_balance.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(short_balance.error_message().find("balance"), std::string::npos);
  v1::RedemptionResponse r;
  EXPECT_EQ(Hold("owner-1", 101, &r).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries"), entries);
  EXPECT_EQ(Scalar("SELECT count(*) FROM kit_outbox"), events);
  EXPECT_EQ(Scalar("SELECT count(*) FROM redemptions"), 0);
  EXPECT_EQ(Member("owner-1").balance(), 100);
  // Exactly the balance is fine.
  EXPECT_TRUE(Redeem("owner-1", 100).ok());
  EXPECT_EQ(Member("owner-1").balance(), 0);
  ExpectConsistent("owner-1");
}

TEST_F(LoyaltyServiceTest, AHoldThatExpiresReturnsItsPointsOnce) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 500, "act-1").ok());
  v1::RedemptionResponse held;
  ASSERT_TRUE(Hold("owner-1", 200, &held).ok());
  EXPECT_EQ(held.redemption().status(), v1::REDEMPTION_STATUS_HELD);
  EXPECT_EQ(held.member().balance(), 300);
  EXPECT_EQ(held.member().held(), 200);

  // Not yet due: the sweep leaves it alone.
  EXPECT_EQ(RunExpiry().holds_released(), 0);
  advance(absl::Hours(24) + absl::Minutes(1));  // default hold time: 24 h
  const v1::RunExpiryResponse first = RunExpiry();
  EXPECT_EQ(first.holds_released(), 1);
  EXPECT_EQ(first.points_released(), 200);
  const v1::RunExpiryResponse second = RunExpiry();
  EXPECT_EQ(second.holds_released(), 0);
  EXPECT_EQ(second.points_released(), 0);

  v1::Member m = Member("owner-1");
  EXPECT_EQ(m.balance(), 500);
  EXPECT_EQ(m.held(), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE kind = 4"), 1);
  EXPECT_EQ(Events("loyalty.HoldReleased"), 1);
  // The merchant confirming late is refused; cancelling is a no-op repeat.
  v1::ConfirmRedemptionRequest confirm;
  confirm.set_owner_id("owner-1");
  confirm.set_redemption_id(held.redemption().redemption_id());
  v1::RedemptionResponse resp;
  auto ctx = kit::client_context(agent("P1"));
  EXPECT_EQ(stub_->ConfirmRedemption(ctx.get(), confirm, &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::CancelHoldRequest cancel;
  cancel.set_owner_id("owner-1");
  cancel.set_redemption_id(held.redemption().redemption_id());
  auto ctx2 = kit::client_context(owner("owner-1"));
  ASSERT_TRUE(stub_->CancelHold(ctx2.get(), cancel, &resp).ok());
  EXPECT_EQ(resp.redemption().status(), v1::REDEMPTION_STATUS_RELEASED);
  EXPECT_EQ(resp.redemption().settle_reason(), "hold expired");
  EXPECT_EQ(resp.member().balance(), 500);
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE kind = 4"), 1);
  ExpectConsistent("owner-1");
}

TEST_F(LoyaltyServiceTest, AHoldOutlivingItsLotsGivesBackPointsThatExpireAtOnce) {
  v1::SetProjectRulesRequest rules;
  rules.set_project_id("P1");
  rules.set_hold_minutes(60 * 24 * 60);  // holds may last 60 days here
  v1::ProjectRules effective;
  auto ctx = kit::client_context(admin());
  ASSERT_TRUE(stub_->SetProjectRules(ctx.get(), rules, &effective).ok());
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 100, "act-1").ok());
  advance(absl::Hours(24 * 700));
  v1::RedemptionResponse held;
  ASSERT_TRUE(Hold("owner-1", 100, &held).ok());
  // Past the lot's 24 months (held points do not expire while held) and past the hold's time.
  advance(absl::Hours(24 * 61));
  const v1::RunExpiryResponse first = RunExpiry();
  EXPECT_EQ(first.holds_released(), 1);
  EXPECT_EQ(first.points_released(), 100);
  EXPECT_EQ(first.points_expired(), 100);  // back to an expired lot: expired in the same step
  const v1::RunExpiryResponse second = RunExpiry();
  EXPECT_EQ(second.holds_released(), 0);
  EXPECT_EQ(second.points_expired(), 0);
  const v1::Member m = Member("owner-1");
  EXPECT_EQ(m.balance(), 0);
  EXPECT_EQ(m.held(), 0);
  EXPECT_EQ(Events("loyalty.HoldReleased"), 1);
  EXPECT_EQ(Events("loyalty.PointsExpired"), 1);
  ExpectConsistent("owner-1");
}

TEST_F(LoyaltyServiceTest, TheSweeperWorkerReleasesExpiredHoldsOnItsOwn) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 300, "act-1").ok());
  v1::RedemptionResponse held;
  ASSERT_TRUE(Hold("owner-1", 120, &held).ok());
  std::jthread sweeper(
      [this](std::stop_token stop) { service_->RunSweeper(stop, absl::Milliseconds(50)); });
  advance(absl::Hours(25));
  EXPECT_TRUE(testing::eventually([&] { return Member("owner-1").held() == 0; }));
  sweeper.request_stop();
  sweeper.join();  // stops promptly
  EXPECT_EQ(Member("owner-1").balance(), 300);
  EXPECT_EQ(Events("loyalty.HoldReleased"), 1);
  ExpectConsistent("owner-1");
}

TEST_F(LoyaltyServiceTest, HoldThenConfirmOrCancel) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 500, "act-1").ok());
  v1::RedemptionResponse a, b, resp;
  ASSERT_TRUE(Hold("owner-1", 100, &a).ok());
  ASSERT_TRUE(Hold("owner-1", 150, &b).ok());
  EXPECT_EQ(b.member().balance(), 250);
  EXPECT_EQ(b.member().held(), 250);

  v1::ConfirmRedemptionRequest confirm;
  confirm.set_owner_id("owner-1");
  confirm.set_redemption_id(a.redemption().redemption_id());
  for (int i = 0; i < 2; ++i) {  // confirming twice spends once
    auto ctx = kit::client_context(agent("P1"));
    ASSERT_TRUE(stub_->ConfirmRedemption(ctx.get(), confirm, &resp).ok());
    EXPECT_EQ(resp.redemption().status(), v1::REDEMPTION_STATUS_CONFIRMED);
    EXPECT_EQ(resp.member().held(), 150);
  }
  v1::CancelHoldRequest cancel;
  cancel.set_owner_id("owner-1");
  cancel.set_redemption_id(a.redemption().redemption_id());
  auto ctx = kit::client_context(owner("owner-1"));
  EXPECT_EQ(stub_->CancelHold(ctx.get(), cancel, &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  cancel.set_redemption_id(b.redemption().redemption_id());
  cancel.set_reason("changed my mind");
  auto ctx2 = kit::client_context(owner("owner-1"));
  ASSERT_TRUE(stub_->CancelHold(ctx2.get(), cancel, &resp).ok());
  EXPECT_EQ(resp.member().balance(), 400);
  EXPECT_EQ(resp.member().held(), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE kind = 3"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_entries WHERE kind = 4"), 1);
  // Each redemption reads back with its final state; another owner cannot see it.
  v1::GetRedemptionRequest get;
  get.set_owner_id("owner-1");
  get.set_redemption_id(b.redemption().redemption_id());
  v1::RedemptionResponse got;
  auto ctx4 = kit::client_context(agent("P1"));
  ASSERT_TRUE(stub_->GetRedemption(ctx4.get(), get, &got).ok());
  EXPECT_EQ(got.redemption().status(), v1::REDEMPTION_STATUS_RELEASED);
  EXPECT_EQ(got.redemption().settle_reason(), "cancelled: changed my mind");
  EXPECT_EQ(got.redemption().points(), 150);
  auto ctx5 = kit::client_context(owner("owner-2"));
  EXPECT_EQ(stub_->GetRedemption(ctx5.get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  // Unknown redemption.
  cancel.set_redemption_id(kit::new_uuid());
  auto ctx3 = kit::client_context(owner("owner-1"));
  EXPECT_EQ(stub_->CancelHold(ctx3.get(), cancel, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectConsistent("owner-1");
}

TEST_F(LoyaltyServiceTest, ExpiryRunTwiceExpiresOnceOldestLotsFirst) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 100, "act-old").ok());
  advance(absl::Hours(24 * 365));
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 200, "act-new").ok());
  ASSERT_TRUE(Redeem("owner-1", 30).ok());  // taken from the old lot: 70 of it left
  EXPECT_EQ(Scalar("SELECT remaining FROM lots l JOIN ledger_entries e ON e.entry_id = l.lot_id "
                   "WHERE e.source_id = 'act-old'"),
            70);

  EXPECT_EQ(RunExpiry().points_expired(), 0);
  advance(absl::Hours(24 * 366));  // the old lot is now past 24 months, the new one is not
  const v1::RunExpiryResponse first = RunExpiry();
  EXPECT_EQ(first.points_expired(), 70);
  EXPECT_EQ(first.members_affected(), 1);
  const v1::RunExpiryResponse second = RunExpiry();
  EXPECT_EQ(second.points_expired(), 0);
  EXPECT_EQ(second.members_affected(), 0);
  EXPECT_EQ(Member("owner-1").balance(), 200);
  EXPECT_EQ(Events("loyalty.PointsExpired"), 1);

  // The statement shows earned, spent, expired, held and balances that add up.
  v1::StatementRequest sreq;
  sreq.set_owner_id("owner-1");
  const absl::CivilDay first_day =
      absl::ToCivilDay(absl::Now() - absl::Hours(24), absl::FixedTimeZone(8 * 3600));
  sreq.mutable_from_date()->set_year(static_cast<int>(first_day.year()));
  sreq.mutable_from_date()->set_month(first_day.month());
  sreq.mutable_from_date()->set_day(first_day.day());
  const absl::CivilDay today =
      absl::ToCivilDay(now() + absl::Hours(24), absl::FixedTimeZone(8 * 3600));
  sreq.mutable_to_date()->set_year(static_cast<int>(today.year()));
  sreq.mutable_to_date()->set_month(today.month());
  sreq.mutable_to_date()->set_day(today.day());
  v1::StatementResponse st;
  auto ctx = kit::client_context(owner("owner-1"));
  auto status = stub_->Statement(ctx.get(), sreq, &st);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(st.opening_balance(), 0);
  EXPECT_EQ(st.earned(), 300);
  EXPECT_EQ(st.redeemed(), 30);
  EXPECT_EQ(st.expired(), 70);
  EXPECT_EQ(st.held(), 30);
  EXPECT_EQ(st.closing_balance(), 200);
  EXPECT_EQ(st.closing_held(), 0);
  EXPECT_EQ(st.entries_size(), 5);  // earn, earn, hold, redeem, expire
  ExpectConsistent("owner-1");

  // A year later the second lot goes too, once.
  advance(absl::Hours(24 * 366));
  EXPECT_EQ(RunExpiry().points_expired(), 200);
  EXPECT_EQ(RunExpiry().points_expired(), 0);
  EXPECT_EQ(Member("owner-1").balance(), 0);
  ExpectConsistent("owner-1");
}

TEST_F(LoyaltyServiceTest, CallersSeeOnlyWhatTheirScopeAllows) {
  Enrol("owner-2", "P2", "U-201");
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 100, "act-1").ok());
  v1::GetMemberRequest req;
  req.set_owner_id("owner-1");
  v1::Member m;
  auto call = [&](const kit::Caller& c) {
    auto ctx = kit::client_context(c);
    return stub_->GetMember(ctx.get(), req, &m).error_code();
  };
  EXPECT_EQ(call(owner("owner-1")), grpc::StatusCode::OK);
  EXPECT_EQ(m.balance(), 100);
  EXPECT_EQ(m.tier(), v1::MEMBER_TIER_STANDARD);
  EXPECT_EQ(m.card_no().size(), 12u);
  EXPECT_EQ(call(owner("owner-2")), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call(agent("P1")), grpc::StatusCode::OK);
  EXPECT_EQ(call(agent("P2")), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call({"crew-1", kit::Role::crew, {"P1"}, {}, "C1"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call({"x", kit::Role::none, {}, {}, ""}), grpc::StatusCode::PERMISSION_DENIED);
  req.set_owner_id("nobody");
  EXPECT_EQ(call(admin()), grpc::StatusCode::NOT_FOUND);

  // Owners cannot award themselves; staff of another project cannot award this member.
  EXPECT_EQ(Earn(owner("owner-1"), "owner-1", 10, "self").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Earn(agent("P2"), "owner-1", 10, "other").error_code(), grpc::StatusCode::NOT_FOUND);
  // Staff cannot redeem for an owner; an owner cannot redeem from another's account.
  v1::RedeemRequest rr;
  rr.set_owner_id("owner-1");
  rr.set_item("x");
  rr.set_points(10);
  v1::RedemptionResponse resp;
  auto ctx = kit::client_context(agent("P1"));
  EXPECT_EQ(stub_->Redeem(ctx.get(), rr, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto ctx2 = kit::client_context(owner("owner-2"));
  EXPECT_EQ(stub_->Redeem(ctx2.get(), rr, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Member("owner-1").balance(), 100);
}

TEST_F(LoyaltyServiceTest, EarningEnrolsAnUnknownOwnerInTheGivenProject) {
  v1::EarnRequest req;
  req.set_owner_id("owner-new");
  req.set_reason(v1::EARN_REASON_FEEDBACK);
  req.set_points(20);
  req.set_source_id("fb-1");
  v1::EarnResponse resp;
  auto ctx = kit::client_context(agent("P1"));
  EXPECT_EQ(stub_->Earn(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // no project
  req.set_project_id("P2");
  auto ctx2 = kit::client_context(agent("P1"));
  EXPECT_EQ(stub_->Earn(ctx2.get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);  // not in scope
  req.set_project_id("P1");
  auto ctx3 = kit::client_context(agent("P1"));
  ASSERT_TRUE(stub_->Earn(ctx3.get(), req, &resp).ok());
  EXPECT_TRUE(resp.awarded());
  EXPECT_EQ(resp.member().balance(), 20);
  EXPECT_EQ(resp.member().home_project_id(), "P1");
  EXPECT_EQ(Events("loyalty.MemberEnrolled"), 2);  // owner-1 and owner-new
}

TEST_F(LoyaltyServiceTest, UnitEventsEnrolOnceWithACardAndRecordProjects) {
  Enrol("owner-1", "P1", "U-101");  // redelivered registry event
  Enrol("owner-1", "P3", "U-301");  // a second unit in another project
  EXPECT_EQ(Scalar("SELECT count(*) FROM members"), 1);
  EXPECT_EQ(Events("loyalty.MemberEnrolled"), 1);
  const v1::Member m = Member("owner-1");
  EXPECT_EQ(m.home_project_id(), "P1");
  ASSERT_EQ(m.project_ids_size(), 2);
  EXPECT_EQ(m.card_no(), "AC0000000018");
  // Staff of the second project now see the member too.
  v1::GetMemberRequest req;
  req.set_owner_id("owner-1");
  v1::Member seen;
  auto ctx = kit::client_context(agent("P3"));
  EXPECT_TRUE(stub_->GetMember(ctx.get(), req, &seen).ok());
}

TEST_F(LoyaltyServiceTest, RedeemWithAnIdempotencyKeySpendsOnce) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 500, "act-1").ok());
  v1::RedemptionResponse a, b;
  ASSERT_TRUE(Redeem("owner-1", 100, &a, "key-1").ok());
  ASSERT_TRUE(Redeem("owner-1", 100, &b, "key-1").ok());
  EXPECT_EQ(a.redemption().redemption_id(), b.redemption().redemption_id());
  EXPECT_EQ(b.member().balance(), 400);
  EXPECT_EQ(Scalar("SELECT count(*) FROM redemptions"), 1);
  ExpectConsistent("owner-1");
}

TEST_F(LoyaltyServiceTest, MerchantsAreRegisteredOnFirstUseAndMustBeActiveAndServeTheProject) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 500, "act-1").ok());
  auto upsert = [&](const std::string& id, bool active, std::vector<std::string> projects) {
    v1::UpsertMerchantRequest req;
    req.set_merchant_id(id);
    req.set_name("联盟商家 " + id);
    req.set_active(active);
    for (auto& p : projects) req.add_project_ids(p);
    v1::Merchant m;
    auto ctx = kit::client_context(admin());
    return stub_->UpsertMerchant(ctx.get(), req, &m);
  };
  ASSERT_TRUE(upsert("M-open", true, {}).ok());
  ASSERT_TRUE(upsert("M-closed", false, {}).ok());
  ASSERT_TRUE(upsert("M-p2", true, {"P2"}).ok());
  v1::RedemptionResponse first_use;
  ASSERT_TRUE(Redeem("owner-1", 10, &first_use, "", "M-unknown").ok());
  EXPECT_EQ(first_use.redemption().merchant_id(), "M-unknown");
  EXPECT_EQ(Redeem("owner-1", 10, nullptr, "", "M-closed").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Redeem("owner-1", 10, nullptr, "", "M-p2").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::RedemptionResponse r;
  ASSERT_TRUE(Redeem("owner-1", 10, &r, "", "M-open").ok());
  EXPECT_EQ(r.redemption().merchant_id(), "M-open");
  // Merchants are admin's business.
  v1::UpsertMerchantRequest req;
  req.set_merchant_id("M-x");
  req.set_name("x");
  v1::Merchant m;
  auto ctx = kit::client_context(agent("P1"));
  EXPECT_EQ(stub_->UpsertMerchant(ctx.get(), req, &m).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListMerchantsRequest list;
  list.set_project_id("P1");
  list.set_active_only(true);
  v1::ListMerchantsResponse listed;
  auto ctx2 = kit::client_context(owner("owner-1"));
  ASSERT_TRUE(stub_->ListMerchants(ctx2.get(), list, &listed).ok());
  ASSERT_EQ(listed.merchants_size(), 2);  // M-unknown was registered by its first redemption
  EXPECT_EQ(listed.merchants(0).merchant_id(), "M-open");
  EXPECT_EQ(listed.merchants(1).merchant_id(), "M-unknown");
}

TEST_F(LoyaltyServiceTest, TiersFollowPointsEarnedInTheRollingWindow) {
  v1::SetProjectRulesRequest rules;
  rules.set_project_id("P1");
  rules.set_silver_at_points(100);
  rules.set_gold_at_points(200);
  rules.set_platinum_at_points(300);
  rules.set_tier_window_months(1);
  v1::ProjectRules effective;
  auto ctx = kit::client_context(admin());
  ASSERT_TRUE(stub_->SetProjectRules(ctx.get(), rules, &effective).ok());
  EXPECT_EQ(effective.expiry_months(), 24);

  v1::EarnResponse e;
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 150, "act-1", &e).ok());
  EXPECT_EQ(e.member().tier(), v1::MEMBER_TIER_SILVER);
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 100, "act-2", &e).ok());
  EXPECT_EQ(e.member().tier(), v1::MEMBER_TIER_GOLD);
  EXPECT_EQ(Events("loyalty.TierChanged"), 2);
  // Spending does not lower the tier; the window moving past the earnings does.
  ASSERT_TRUE(Redeem("owner-1", 250).ok());
  EXPECT_EQ(Member("owner-1").tier(), v1::MEMBER_TIER_GOLD);
  advance(absl::Hours(24 * 40));
  const v1::RunExpiryResponse sweep = RunExpiry();
  EXPECT_EQ(sweep.tiers_changed(), 1);
  EXPECT_EQ(Member("owner-1").tier(), v1::MEMBER_TIER_STANDARD);
  EXPECT_EQ(RunExpiry().tiers_changed(), 0);
  EXPECT_EQ(Events("loyalty.TierChanged"), 3);
  // Bad rules are refused naming the field.
  rules.set_gold_at_points(50);
  auto ctx2 = kit::client_context(admin());
  auto bad = stub_->SetProjectRules(ctx2.get(), rules, &effective);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message().rfind("gold_at_points", 0), 0u) << bad.error_message();
}

TEST_F(LoyaltyServiceTest, LedgerPagesNewestFirstWithAKindFilter) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(Earn(agent("P1"), "owner-1", 10, "act-" + std::to_string(i)).ok());
  ASSERT_TRUE(Redeem("owner-1", 15).ok());
  v1::GetLedgerRequest req;
  req.set_owner_id("owner-1");
  req.set_page_size(3);
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    v1::GetLedgerResponse resp;
    auto ctx = kit::client_context(owner("owner-1"));
    ASSERT_TRUE(stub_->GetLedger(ctx.get(), req, &resp).ok());
    for (const auto& e : resp.entries()) seen.push_back(e.entry_id());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen.size(), 7u);  // 5 earns, hold, redeem
  req.clear_page_token();
  req.set_kind(v1::LEDGER_ENTRY_KIND_EARN);
  req.set_page_size(0);
  v1::GetLedgerResponse earns;
  auto ctx = kit::client_context(owner("owner-1"));
  ASSERT_TRUE(stub_->GetLedger(ctx.get(), req, &earns).ok());
  ASSERT_EQ(earns.entries_size(), 5);
  EXPECT_EQ(earns.entries(0).source_id(), "act-4");  // newest first
  EXPECT_EQ(earns.entries(0).reason(), "activity");
  req.set_page_token("garbage");
  auto ctx2 = kit::client_context(owner("owner-1"));
  EXPECT_EQ(stub_->GetLedger(ctx2.get(), req, &earns).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LoyaltyServiceTest, LedgerIsAppendOnly) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 10, "act-1").ok());
  EXPECT_THROW(db_->in_transaction(
                   [](pqxx::work& tx) { tx.exec("UPDATE ledger_entries SET points = 1000"); }),
               pqxx::sql_error);
  EXPECT_THROW(db_->in_transaction([](pqxx::work& tx) { tx.exec("DELETE FROM ledger_entries"); }),
               pqxx::sql_error);
  EXPECT_EQ(Scalar("SELECT sum(points) FROM ledger_entries"), 10);
}

TEST_F(LoyaltyServiceTest, PointsSummaryOfAProjectPeriod) {
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 100, "act-1").ok());
  ASSERT_TRUE(Earn(agent("P1"), "owner-1", 50, "survey-1", nullptr, v1::EARN_REASON_SURVEY).ok());
  ASSERT_TRUE(Redeem("owner-1", 30).ok());
  const absl::CivilMonth month = absl::ToCivilMonth(now(), absl::FixedTimeZone(8 * 3600));
  v1::PointsSummaryRequest req;
  req.set_project_id("P1");
  req.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
  req.mutable_period()->set_year(static_cast<int>(month.year()));
  req.mutable_period()->set_index(month.month());
  v1::PointsSummaryResponse resp;
  auto ctx = kit::client_context({"sup", kit::Role::supervisor, {"P1"}, {}, ""});
  auto status = stub_->PointsSummary(ctx.get(), req, &resp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(resp.earned(), 150);
  EXPECT_EQ(resp.redeemed(), 30);
  EXPECT_EQ(resp.members(), 1);
  EXPECT_EQ(resp.active_members(), 1);
  ASSERT_EQ(resp.earned_by_reason_size(), 2);
  auto ctx2 = kit::client_context({"sup", kit::Role::supervisor, {"P2"}, {}, ""});
  EXPECT_EQ(stub_->PointsSummary(ctx2.get(), req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace aftercare::loyalty
