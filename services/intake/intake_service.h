// gRPC handlers of the intake service: validate, call the domain, persist.
#pragma once

#include "aftercare/v1/intake.grpc.pb.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& intake_migrations();
}

namespace aftercare::intake {

class IntakeServiceImpl final : public aftercare::v1::IntakeService::Service {
 public:
  IntakeServiceImpl(kit::PgPool& db, const kit::Outbox& outbox) : db_(db), outbox_(outbox) {}

 private:
  [[maybe_unused]] kit::PgPool& db_;
  [[maybe_unused]] const kit::Outbox& outbox_;
};

}  // namespace aftercare::intake
