// Business errors raised inside a transaction (which then rolls back, so nothing is written)
// and turned into a grpc::Status by the handlers.
#pragma once

#include <grpcpp/grpcpp.h>

#include <stdexcept>
#include <string>

#include "common/refusal.h"

namespace aftercare::billing {

// Billing's refusals are the kit's (one error path for every service).
using BillingError = kit::Refusal;

inline BillingError not_found(const std::string& what) {
  return {grpc::StatusCode::NOT_FOUND, what + " not found"};
}
inline BillingError failed_precondition(const std::string& why) {
  return {grpc::StatusCode::FAILED_PRECONDITION, why};
}
inline BillingError already_exists(const std::string& why) {
  return {grpc::StatusCode::ALREADY_EXISTS, why};
}
inline BillingError invalid(const std::string& field, const std::string& why) {
  return {grpc::StatusCode::INVALID_ARGUMENT, field + ": " + why};
}

}  // namespace aftercare::billing
