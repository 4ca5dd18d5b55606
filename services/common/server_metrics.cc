#include "common/server_metrics.h"

#include <chrono>
#include <string>

namespace aftercare::kit {
namespace {

using grpc::experimental::InterceptionHookPoints;

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(Metrics& metrics, const char* full_method)
      : metrics_(metrics), started_(std::chrono::steady_clock::now()) {
    // "/aftercare.v1.IntakeService/CreateTicket" -> service, method.
    std::string name = full_method ? full_method : "";
    if (!name.empty() && name[0] == '/') name.erase(0, 1);
    auto slash = name.find('/');
    service_ = slash == std::string::npos ? "unknown" : name.substr(0, slash);
    method_ = slash == std::string::npos ? name : name.substr(slash + 1);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      metrics_
          .counter("aftercare_grpc_server_handled_total",
                   "gRPC calls served, by service, method and status code",
                   {{"grpc_service", service_},
                    {"grpc_method", method_},
                    {"grpc_code", status_code_name(status.error_code())}})
          .inc();
      metrics_
          .histogram("aftercare_grpc_server_handling_seconds",
                     "gRPC call latency in seconds, from the call's start to its status",
                     {{"grpc_service", service_}, {"grpc_method", method_}})
          .observe(seconds);
    }
    methods->Proceed();
  }

 private:
  Metrics& metrics_;
  std::chrono::steady_clock::time_point started_;
  std::string service_, method_;
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(Metrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method());
  }

 private:
  Metrics& metrics_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
server_metrics_interceptors(Metrics& metrics) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<MetricsInterceptorFactory>(metrics));
  return out;
}

void register_build_info(Metrics& metrics, const std::string& program) {
  metrics
      .gauge(
          "aftercare_build_info", "the build this process runs (always 1)",
          {{"program", program}, {"version", AFTERCARE_VERSION}, {"revision", AFTERCARE_REVISION}})
      .set(1);
}

const char* status_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

}  // namespace aftercare::kit
