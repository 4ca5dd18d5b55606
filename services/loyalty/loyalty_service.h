// gRPC handlers of the loyalty service: validate, check the caller's scope, run the account
// operation in one transaction (state + ledger + outbox), map refusals to precise status codes.
// Also the consumers' handlers (intake registry, callback surveys) and the sweeper (expired
// holds, points expiry, tier review), so main.cc only wires them.
#pragma once

#include <functional>
#include <stop_token>

#include "absl/time/time.h"
#include "aftercare/v1/events.pb.h"
#include "aftercare/v1/loyalty.grpc.pb.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"
#include "loyalty/app/accounts.h"
#include "loyalty/app/jobs.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& loyalty_migrations();
}

namespace aftercare::loyalty {

namespace v1 = aftercare::v1;

class LoyaltyServiceImpl final : public v1::LoyaltyService::Service {
 public:
  using Clock = std::function<absl::Time()>;
  LoyaltyServiceImpl(
      kit::PgPool& db, const kit::Outbox& outbox, Clock clock = [] { return absl::Now(); })
      : db_(db), accounts_(outbox), clock_(std::move(clock)) {}

  grpc::Status GetMember(grpc::ServerContext* context, const v1::GetMemberRequest* request,
                         v1::Member* response) override;
  grpc::Status GetLedger(grpc::ServerContext* context, const v1::GetLedgerRequest* request,
                         v1::GetLedgerResponse* response) override;
  grpc::Status Earn(grpc::ServerContext* context, const v1::EarnRequest* request,
                    v1::EarnResponse* response) override;
  grpc::Status Hold(grpc::ServerContext* context, const v1::HoldRequest* request,
                    v1::RedemptionResponse* response) override;
  grpc::Status ConfirmRedemption(grpc::ServerContext* context,
                                 const v1::ConfirmRedemptionRequest* request,
                                 v1::RedemptionResponse* response) override;
  grpc::Status CancelHold(grpc::ServerContext* context, const v1::CancelHoldRequest* request,
                          v1::RedemptionResponse* response) override;
  grpc::Status Redeem(grpc::ServerContext* context, const v1::RedeemRequest* request,
                      v1::RedemptionResponse* response) override;
  grpc::Status GetRedemption(grpc::ServerContext* context, const v1::GetRedemptionRequest* request,
                             v1::RedemptionResponse* response) override;
  grpc::Status UpsertMerchant(grpc::ServerContext* context,
                              const v1::UpsertMerchantRequest* request,
                              v1::Merchant* response) override;
  grpc::Status ListMerchants(grpc::ServerContext* context, const v1::ListMerchantsRequest* request,
                             v1::ListMerchantsResponse* response) override;
  grpc::Status RunExpiry(grpc::ServerContext* context, const v1::RunExpiryRequest* request,
                         v1::RunExpiryResponse* response) override;
  grpc::Status Statement(grpc::ServerContext* context, const v1::StatementRequest* request,
                         v1::StatementResponse* response) override;
  grpc::Status PointsSummary(grpc::ServerContext* context, const v1::PointsSummaryRequest* request,
                             v1::PointsSummaryResponse* response) override;
  grpc::Status SetProjectRules(grpc::ServerContext* context,
                               const v1::SetProjectRulesRequest* request,
                               v1::ProjectRules* response) override;
  grpc::Status GetProjectRules(grpc::ServerContext* context,
                               const v1::GetProjectRulesRequest* request,
                               v1::ProjectRules* response) override;

  // Consumer of aftercare.intake.v1 (UnitUpserted enrols owners, ProjectUpserted, PolicyUpdated).
  void HandleIntakeEvent(pqxx::work& tx, const v1::Event& event);
  // Consumer of aftercare.callback.v1 (SurveyCompleted awards survey points, source = callback_id).
  void HandleCallbackEvent(pqxx::work& tx, const v1::Event& event);

  // Releases holds expired at as_of, expires lots due at as_of (oldest first), reviews tiers.
  // One short transaction per member; safe to run twice or concurrently.
  SweepTotals Sweep(absl::Time as_of);
  // Sweep(now), with a log line of what it did.
  void SweepNow();
  // SweepNow every `interval` until stopped (tests; the service runs it through the host).
  void RunSweeper(std::stop_token stop, absl::Duration interval);

 private:
  kit::PgPool& db_;
  store::Accounts accounts_;
  Clock clock_;
};

}  // namespace aftercare::loyalty
