#include "support/test_server.h"

#include <stdexcept>

#include "common/call.h"
#include "common/server_metrics.h"
#include "common/service_host.h"
#include "support/test_env.h"

namespace aftercare::testing {

TestServer::TestServer(grpc::Service* service, kit::Metrics* metrics) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(kit::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kit::kMaxMessageBytes);
  if (metrics)
    builder.experimental().SetInterceptorCreators(kit::server_metrics_interceptors(*metrics));
  builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (!server_) throw std::runtime_error("test gRPC server did not start");
  // Ready as ServiceHost would report it, so a gateway in front sees its services "up".
  for (const char* name : {"intake", "dispatch", "callback", "loyalty", "billing"})
    server_->GetHealthCheckService()->SetServingStatus(kit::readiness_service_name(name), true);
  channel_ = kit::service_channel("127.0.0.1:" + std::to_string(port_));
}

TestServer::~TestServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

std::unique_ptr<kit::PgPool> migrated_database(
    const std::string& name, const std::vector<kit::Migration>& service_migrations, int pool_size) {
  auto pool = std::make_unique<kit::PgPool>(fresh_database(name), pool_size);
  kit::apply_migrations(*pool, "kit", kit::kit_migrations());
  kit::apply_migrations(*pool, "service", service_migrations);
  return pool;
}

}  // namespace aftercare::testing
