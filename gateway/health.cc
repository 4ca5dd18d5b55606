#include "gateway/health.h"

#include "common/service_host.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace aftercare::gateway {

std::string service_readiness(const std::shared_ptr<grpc::Channel>& channel,
                              const std::string& service, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::system_clock::now() + timeout;
  if (!channel->WaitForConnected(deadline)) return "down";
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(kit::readiness_service_name(service));
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(deadline + std::chrono::milliseconds(200));
  auto stub = grpc::health::v1::Health::NewStub(channel);
  const grpc::Status status = stub->Check(&context, request, &response);
  if (status.ok())
    return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? "up" : "degraded";
  // NOT_FOUND: the service has not published its readiness yet (it is starting).
  return status.error_code() == grpc::StatusCode::NOT_FOUND ? "degraded" : "down";
}

}  // namespace aftercare::gateway
