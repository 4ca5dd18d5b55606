// Readiness of one service as the gateway's /healthz reports it, from the service's own gRPC
// health (kit::readiness_service_name): "up" (SERVING), "degraded" (answers, but its database,
// broker or outbox is not well: its /healthz names which), "down" (no answer).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

namespace aftercare::gateway {

std::string service_readiness(const std::shared_ptr<grpc::Channel>& channel,
                              const std::string& service, std::chrono::milliseconds timeout);

}  // namespace aftercare::gateway
