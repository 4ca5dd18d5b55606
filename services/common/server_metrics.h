// Per-RPC server metrics for every gRPC server the kit starts (ServiceHost, test servers): a
// server interceptor counts each call by service, method and status code and observes its
// latency in seconds.
//   aftercare_grpc_server_handled_total{grpc_service,grpc_method,grpc_code}   counter
//   aftercare_grpc_server_handling_seconds{grpc_service,grpc_method}          histogram
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"

namespace aftercare::kit {

// The interceptor factories to hand to ServerBuilder::experimental().SetInterceptorCreators.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
server_metrics_interceptors(Metrics& metrics);

// aftercare_build_info{program,version,revision} 1: which build a process runs (version and
// git revision as CMake configured them).
void register_build_info(Metrics& metrics, const std::string& program);

// gRPC's name of a status code: OK, INVALID_ARGUMENT, NOT_FOUND, ...
const char* status_code_name(grpc::StatusCode code);

}  // namespace aftercare::kit
