// gRPC handlers of the dispatch service: validate, call the domain, persist.
#pragma once

#include "aftercare/v1/dispatch.grpc.pb.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& dispatch_migrations();
}

namespace aftercare::dispatch {

class DispatchServiceImpl final : public aftercare::v1::DispatchService::Service {
 public:
  DispatchServiceImpl(kit::PgPool& db, const kit::Outbox& outbox) : db_(db), outbox_(outbox) {}

 private:
  [[maybe_unused]] kit::PgPool& db_;
  [[maybe_unused]] const kit::Outbox& outbox_;
};

}  // namespace aftercare::dispatch
