// Runs one gRPC service in-process on 127.0.0.1:0 for integration tests, with a database that
// has the kit's and the service's migrations applied. Tests call it through a real channel with
// kit::client_context(caller), so caller metadata and deadlines are exercised as in production.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/migrations.h"
#include "common/pg.h"

namespace aftercare::testing {

class TestServer {
 public:
  // With `metrics`, the kit's per-RPC server metrics are recorded there (as ServiceHost does).
  explicit TestServer(grpc::Service* service, kit::Metrics* metrics = nullptr);
  ~TestServer();
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  int port() const { return port_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
};

// A fresh database `name` with the kit's migrations and `service_migrations` applied.
std::unique_ptr<kit::PgPool> migrated_database(
    const std::string& name, const std::vector<kit::Migration>& service_migrations,
    int pool_size = 8);

}  // namespace aftercare::testing
