// gRPC handlers of the callback service: validate, call the domain, persist.
#pragma once

#include "aftercare/v1/callback.grpc.pb.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& callback_migrations();
}

namespace aftercare::callback {

class CallbackServiceImpl final : public aftercare::v1::CallbacksService::Service {
 public:
  CallbackServiceImpl(kit::PgPool& db, const kit::Outbox& outbox) : db_(db), outbox_(outbox) {}

 private:
  [[maybe_unused]] kit::PgPool& db_;
  [[maybe_unused]] const kit::Outbox& outbox_;
};

}  // namespace aftercare::callback
