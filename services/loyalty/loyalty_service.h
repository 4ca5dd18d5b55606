// gRPC handlers of the loyalty service: validate, call the domain, persist.
#pragma once

#include "aftercare/v1/loyalty.grpc.pb.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& loyalty_migrations();
}

namespace aftercare::loyalty {

class LoyaltyServiceImpl final : public aftercare::v1::LoyaltyService::Service {
 public:
  LoyaltyServiceImpl(kit::PgPool& db, const kit::Outbox& outbox) : db_(db), outbox_(outbox) {}

 private:
  [[maybe_unused]] kit::PgPool& db_;
  [[maybe_unused]] const kit::Outbox& outbox_;
};

}  // namespace aftercare::loyalty
