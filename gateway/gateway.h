// The public HTTP/JSON API: authenticates the bearer token, checks the route's roles, maps the
// request onto the owning service's gRPC method (table-driven, through the descriptor pool, no
// per-route code), forwards the caller as metadata, and maps the answer or the gRPC status back
// to JSON. Plus: idempotent creates, per-subject rate limits, partner event streams, the KPI
// report assembled from every service, /healthz and /metrics.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/call.h"
#include "common/metrics.h"
#include "common/redis.h"
#include "gateway/guard.h"
#include "gateway/static_files.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace aftercare::gateway {

struct GatewayConfig {
  std::string http_addr = "127.0.0.1";
  int http_port = 8080;
  std::string jwt_secret = "aftercare-dev-secret";
  std::string redis_addr = "127.0.0.1:16379";
  std::map<std::string, std::string> service_addrs;  // "intake" -> host:port
  int rate_per_second = 50;
  int rate_burst = 100;
  std::chrono::milliseconds rpc_deadline{5000};
  size_t max_body_bytes = 1 << 20;
  std::string web_root;    // the web console's files (AFTERCARE_WEB_ROOT); empty = none served
  bool dev_login = false;  // POST /v1/dev/login mints tokens (AFTERCARE_DEV_LOGIN=1): local only
  std::chrono::seconds dev_token_ttl{12 * 3600};
};

// One fixed or added route.
struct Route {
  std::string method;                // GET PUT POST
  std::string pattern;               // /v1/tickets/{ticket_id}
  std::string rpc;                   // aftercare.v1.IntakeService.GetTicket
  std::set<std::string> roles = {};  // empty = any signed-in caller (the service scopes)
  int created_status = 200;          // 201 for creates
  bool idempotent_create = false;
  std::string owner_param = {};  // owners may only use their own id in this path parameter
  std::map<std::string, std::string> renames = {};  // path/query name -> request field name
  size_t max_body_bytes = 0;                        // 0 = GatewayConfig::max_body_bytes
};

const std::vector<Route>& routes();

// The KPI report's sections (DOMAIN §6): section name -> the gRPC method of the service that
// reports those figures.
const std::vector<std::pair<std::string, std::string>>& report_sections();

class Gateway {
 public:
  explicit Gateway(GatewayConfig config);
  ~Gateway();
  // Binds; returns the port (useful with port 0) or -1.
  int bind();
  void serve();  // blocks until stop()
  void stop();

 private:
  struct Call;
  void handle(const Route& route, const httplib::Request& req, httplib::Response& res);
  void partner_events(const httplib::Request& req, httplib::Response& res);
  void report(const httplib::Request& req, httplib::Response& res);
  void healthz(httplib::Response& res);
  void dev_login(const httplib::Request& req, httplib::Response& res);
  void web(const httplib::Request& req, httplib::Response& res);
  std::shared_ptr<grpc::Channel> channel_for(const std::string& rpc);
  grpc::Status unary(const std::string& rpc, const kit::Caller& caller,
                     const google::protobuf::Message& request, google::protobuf::Message* response,
                     const std::string& idempotency_key = "",
                     std::chrono::milliseconds deadline = std::chrono::milliseconds(0));
  bool authenticate(const httplib::Request& req, httplib::Response& res, kit::Caller* caller);

  GatewayConfig config_;
  kit::Metrics metrics_;
  kit::RedisClient redis_;
  RateLimiter limiter_;
  IdempotencyStore idempotency_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  StaticFiles web_;
  std::unique_ptr<httplib::Server> http_;
};

// gRPC status -> (HTTP status, error code string).
std::pair<int, std::string> http_status_of(grpc::StatusCode code);

}  // namespace aftercare::gateway
