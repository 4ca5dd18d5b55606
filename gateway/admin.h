// The gateway's admin listener: /metrics, /healthz, /readyz and /livez on a port of their own
// (AFTERCARE_GATEWAY_ADMIN_PORT, 9100). Kubelet probes and Prometheus use it; the Kubernetes
// Service and the Ingress route only the public port, so none of it is reachable from outside.
//   /metrics  Prometheus text format
//   /healthz  the whole platform: every service's readiness and Redis (503 when any is not up)
//   /readyz   this pod takes traffic: not draining, and each service it needs
//             (AFTERCARE_GATEWAY_READY_SERVICES) answers its gRPC health (up or degraded)
//   /livez    the process answers
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "gateway/http_message.h"

namespace httplib {
class Server;
}

namespace aftercare::gateway {

class AdminServer {
 public:
  struct Handlers {
    std::function<std::string()> metrics;
    std::function<HttpResponse()> healthz;
    std::function<HttpResponse()> readyz;
  };
  explicit AdminServer(Handlers handlers);
  ~AdminServer();
  // Binds host:port (0 = any free port); returns the port or -1.
  int bind(const std::string& host, int port);
  void start();  // serves on a thread of its own
  void stop();   // idempotent

 private:
  Handlers handlers_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

}  // namespace aftercare::gateway
