// One error path for every service's gRPC handlers (the model: Envoy's one status table).
// A Refusal is a business "no" with its gRPC status: thrown inside a transaction it rolls the
// transaction back, so nothing is written, and guarded() returns its status. Everything else
// that escapes a handler is mapped once, here:
//   database unreachable or its connection pool exhausted  -> UNAVAILABLE (HTTP 503: retry)
//   serialization failure (40001) or deadlock (40P01)       -> ABORTED (HTTP 409: retry)
//   anything else                                           -> INTERNAL, logged with the RPC
#pragma once

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "common/pg.h"

namespace aftercare::kit {

class Refusal : public std::runtime_error {
 public:
  explicit Refusal(grpc::Status status)
      : std::runtime_error(status.error_message()), status_(std::move(status)) {}
  Refusal(grpc::StatusCode code, const std::string& message)
      : Refusal(grpc::Status(code, message)) {}
  const grpc::Status& status() const { return status_; }
  grpc::StatusCode code() const { return status_.error_code(); }

 private:
  grpc::Status status_;
};

// The business refusals every service throws, one wording each.
inline Refusal not_found(const std::string& what) {
  return {grpc::StatusCode::NOT_FOUND, what + " not found"};
}
inline Refusal failed_precondition(const std::string& why) {
  return {grpc::StatusCode::FAILED_PRECONDITION, why};
}
inline Refusal already_exists(const std::string& why) {
  return {grpc::StatusCode::ALREADY_EXISTS, why};
}
// INVALID_ARGUMENT "field: why", the kit's convention (kit::invalid_field) as a refusal.
inline Refusal invalid(const std::string& field, const std::string& why) {
  return {grpc::StatusCode::INVALID_ARGUMENT, field + ": " + why};
}

// The mapping of anything but a Refusal that escaped `rpc`'s handler.
grpc::Status status_of_failure(const char* rpc, const std::exception& e);

// Runs a handler body (returning grpc::Status or nothing) and maps what escapes it.
template <typename F>
grpc::Status guarded(const char* rpc, F&& body) {
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
      body();
      return grpc::Status::OK;
    } else {
      return body();
    }
  } catch (const Refusal& r) {
    return r.status();
  } catch (const std::exception& e) {
    return status_of_failure(rpc, e);
  }
}

}  // namespace aftercare::kit
