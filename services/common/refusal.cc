#include "common/refusal.h"

namespace aftercare::kit {

grpc::Status status_of_failure(const char* rpc, const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e)) {
    spdlog::warn("{}: database unavailable: {}", rpc, e.what());
    return {grpc::StatusCode::UNAVAILABLE, "database unavailable"};
  }
  if (dynamic_cast<const PoolExhausted*>(&e)) {
    spdlog::warn("{}: {}", rpc, e.what());
    return {grpc::StatusCode::UNAVAILABLE, "database busy, retry"};
  }
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e) ||
      (sql && (sql->sqlstate() == "40001" || sql->sqlstate() == "40P01"))) {
    spdlog::info("{}: {}", rpc, e.what());
    return {grpc::StatusCode::ABORTED, "conflict with a concurrent change, retry"};
  }
  spdlog::error("{}: {}", rpc, e.what());
  return {grpc::StatusCode::INTERNAL, "internal error"};
}

}  // namespace aftercare::kit
