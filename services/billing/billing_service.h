// gRPC handlers of the billing service: validate, call the domain, persist.
#pragma once

#include "aftercare/v1/billing.grpc.pb.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& billing_migrations();
}

namespace aftercare::billing {

class BillingServiceImpl final : public aftercare::v1::BillingService::Service {
 public:
  BillingServiceImpl(kit::PgPool& db, const kit::Outbox& outbox) : db_(db), outbox_(outbox) {}

 private:
  [[maybe_unused]] kit::PgPool& db_;
  [[maybe_unused]] const kit::Outbox& outbox_;
};

}  // namespace aftercare::billing
