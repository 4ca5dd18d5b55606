// gRPC handlers of the billing service: check the caller, validate, call the use case
// (app/billing_ops.h), map refusals to status codes. Objects outside the caller's scope are
// NOT_FOUND so ids do not leak; a role that may not make the call gets PERMISSION_DENIED; bad
// input is INVALID_ARGUMENT naming the field and writes nothing.
#pragma once

#include "aftercare/v1/billing.grpc.pb.h"
#include "billing/app/billing_ops.h"
#include "billing/unit_registry.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& billing_migrations();
}

namespace aftercare::billing {

class BillingServiceImpl final : public aftercare::v1::BillingService::Service {
 public:
  BillingServiceImpl(kit::PgPool& db, const kit::Outbox& outbox) : ops_(db, outbox) {}

  // The use cases, for the consumers and the sweeper wired in main.cc.
  BillingOps& ops() { return ops_; }
  // Billing runs refresh the unit projection from the registry first (nullptr: events only).
  void use_registry(UnitRegistry* registry) { registry_ = registry; }

  using Ctx = grpc::ServerContext;
  grpc::Status SetFeeRate(Ctx*, const aftercare::v1::SetFeeRateRequest*,
                          aftercare::v1::FeeRate*) override;
  grpc::Status GetFeeRate(Ctx*, const aftercare::v1::GetFeeRateRequest*,
                          aftercare::v1::FeeRate*) override;
  grpc::Status RunBilling(Ctx*, const aftercare::v1::RunBillingRequest*,
                          aftercare::v1::RunBillingResponse*) override;
  grpc::Status IssueInvoice(Ctx*, const aftercare::v1::IssueInvoiceRequest*,
                            aftercare::v1::Invoice*) override;
  grpc::Status ListInvoices(Ctx*, const aftercare::v1::ListInvoicesRequest*,
                            aftercare::v1::ListInvoicesResponse*) override;
  grpc::Status GetInvoice(Ctx*, const aftercare::v1::GetInvoiceRequest*,
                          aftercare::v1::Invoice*) override;
  grpc::Status VoidInvoice(Ctx*, const aftercare::v1::VoidInvoiceRequest*,
                           aftercare::v1::Invoice*) override;
  grpc::Status RecordPayment(Ctx*, const aftercare::v1::RecordPaymentRequest*,
                             aftercare::v1::PaymentResponse*) override;
  grpc::Status RefundPayment(Ctx*, const aftercare::v1::RefundPaymentRequest*,
                             aftercare::v1::PaymentResponse*) override;
  grpc::Status Arrears(Ctx*, const aftercare::v1::ArrearsRequest*,
                       aftercare::v1::ArrearsResponse*) override;
  grpc::Status IssueSettlement(Ctx*, const aftercare::v1::IssueSettlementRequest*,
                               aftercare::v1::Settlement*) override;
  grpc::Status ListSettlements(Ctx*, const aftercare::v1::ListSettlementsRequest*,
                               aftercare::v1::ListSettlementsResponse*) override;
  grpc::Status GetSettlement(Ctx*, const aftercare::v1::GetSettlementRequest*,
                             aftercare::v1::Settlement*) override;
  grpc::Status RecordSettlementPayment(Ctx*, const aftercare::v1::RecordSettlementPaymentRequest*,
                                       aftercare::v1::Settlement*) override;
  grpc::Status ListChargebacks(Ctx*, const aftercare::v1::ListChargebacksRequest*,
                               aftercare::v1::ListChargebacksResponse*) override;
  grpc::Status ListFines(Ctx*, const aftercare::v1::ListFinesRequest*,
                         aftercare::v1::ListFinesResponse*) override;
  grpc::Status CollectionRate(Ctx*, const aftercare::v1::CollectionRateRequest*,
                              aftercare::v1::CollectionRateResponse*) override;
  grpc::Status ProjectReport(Ctx*, const aftercare::v1::ProjectReportRequest*,
                             aftercare::v1::ProjectReportResponse*) override;
  grpc::Status GroupProjectReport(Ctx*, const aftercare::v1::GroupProjectReportRequest*,
                                  aftercare::v1::GroupProjectReportResponse*) override;
  grpc::Status RecordRetentionDeposit(Ctx*, const aftercare::v1::RecordRetentionDepositRequest*,
                                      aftercare::v1::RetentionAccount*) override;
  grpc::Status GetRetention(Ctx*, const aftercare::v1::GetRetentionRequest*,
                            aftercare::v1::RetentionAccount*) override;
  grpc::Status TrialBalance(Ctx*, const aftercare::v1::TrialBalanceRequest*,
                            aftercare::v1::TrialBalanceResponse*) override;

 private:
  BillingOps ops_;
  UnitRegistry* registry_ = nullptr;
};

}  // namespace aftercare::billing
