// The public HTTP/JSON API: authenticates the bearer token, checks the route's roles, maps the
// request onto the owning service's gRPC method (table-driven, through the descriptor pool, no
// per-route code), forwards the caller as metadata, and maps the answer or the gRPC status back
// to JSON. Plus: idempotent creates, per-subject rate limits, partner event streams (one shared
// poller per party), the KPI report assembled from every service, /healthz and /metrics.
//
// Threads: the Beast front (http_server.h) runs every socket on a few I/O threads; the short
// blocking stages (JWT, Redis rate limit and idempotency, JSON binding, static files) run on a
// small worker pool; calls to the services use gRPC's callback API, so a request waiting for
// its answer, a partner stream and an idle keep-alive connection hold no thread at all.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/call.h"
#include "common/metrics.h"
#include "common/periodic.h"
#include "common/redis.h"
#include "common/trace.h"
#include "gateway/admin.h"
#include "gateway/backpressure.h"
#include "gateway/forward.h"
#include "gateway/guard.h"
#include "gateway/http_message.h"
#include "gateway/http_server.h"
#include "gateway/idempotency.h"
#include "gateway/respond.h"
#include "gateway/route.h"
#include "gateway/route_table.h"
#include "gateway/static_files.h"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace aftercare::gateway {

class FeedHub;
class StreamSlots;

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
  // Connections and streams (settings.h names their variables and bounds).
  int streams_per_subject = 4;
  int streams_max = 10000;
  ServerLimits limits;
  std::chrono::seconds heartbeat{15};
  std::chrono::seconds shutdown_grace{10};
  int io_threads = 2;
  int workers = 8;
  int feed_poll_wait_s = 15;  // how long one shared poll waits in dispatch for an event
  // The admin listener (admin.h) on http_addr: 0 = any free port (tests); main reads
  // AFTERCARE_GATEWAY_ADMIN_PORT (9100). Readiness needs these services' gRPC health.
  int admin_port = 0;
  std::vector<std::string> ready_services = {"intake"};
  // Backpressure on the ticket path (backpressure.h): new reports are answered 503 while the
  // group `lag_group` is more than `ticket_lag_limit` events behind on `lag_topic` (0 = off).
  // `kafka_bootstrap` gives the brokers, asked again on every probe; empty = no probe, no limit.
  int64_t ticket_lag_limit = 0;
  std::chrono::milliseconds lag_probe_interval{1000};
  std::function<std::string()> kafka_bootstrap;
  std::string lag_group = "dispatch.inbound";
  std::string lag_topic = "aftercare.intake.v1";
};

class Gateway {
 public:
  explicit Gateway(GatewayConfig config);
  ~Gateway();
  // Binds the public and the admin port; returns the public port (useful with port 0) or -1.
  int bind();
  int admin_port() const { return admin_port_; }
  // Serves until stop() has finished the graceful shutdown.
  void serve();
  // Graceful shutdown (any thread, returns at once): stop accepting, close idle connections,
  // end every stream with a final `shutdown` event, let in-flight calls answer (up to
  // shutdown_grace), then make serve() return.
  void stop();

  // Open partner streams and long-polls (tests, /metrics).
  int open_streams() const;
  // What the admin listener serves: the metrics text, the platform's health, this pod's
  // readiness (not draining, and each of config.ready_services answers its gRPC health).
  std::string metrics_text();
  HttpResponse healthz();
  HttpResponse readyz();

 private:
  struct Request;
  class Stream;
  class SseStream;
  class LongPoll;
  enum class Kind { kApi, kPartnerEvents, kReport, kHealthz, kOpenApi, kDevLogin };
  struct Target {
    Kind kind;
    const Route* route = nullptr;
    const google::protobuf::MethodDescriptor* method = nullptr;
  };

  void on_request(HttpRequest req, std::shared_ptr<HttpExchange> exchange);
  size_t body_limit(const HttpRequest& head) const;
  void dispatch(const std::shared_ptr<Request>& r);
  void api(const Target& target, const std::vector<std::string>& names,
           const std::vector<std::string>& params, const std::shared_ptr<Request>& r);
  void partner_events(const std::string& party, const std::shared_ptr<Request>& r);
  void catch_up(const std::shared_ptr<Stream>& s, const std::string& after);
  void report(const std::string& project, const std::string& period,
              const std::shared_ptr<Request>& r);
  HttpResponse dev_login(const HttpRequest& req, kit::Caller* caller);
  HttpResponse web(const HttpRequest& req);
  // Authenticates and takes the rate limit: nullopt = go on (r->caller set).
  std::optional<HttpResponse> admit_caller(Request& r);
  // Calls the service; `done` runs on a worker under the request's trace.
  void call(const std::string& rpc, const Request& r,
            std::shared_ptr<const google::protobuf::Message> request,
            std::shared_ptr<google::protobuf::Message> response, const std::string& idempotency_key,
            std::chrono::milliseconds deadline, std::function<void(grpc::Status)> done);
  // Access log line (and route metrics for API routes), then the answer.
  void finish(Request& r, HttpResponse res, const Route* route = nullptr);
  void send_plain(Request& r, HttpResponse res);
  void shutdown_step(std::chrono::steady_clock::time_point deadline);
  void heartbeat();
  // Reads the ticket path's consumer lag every lag_probe_interval into ticket_gate_.
  void start_lag_probe();
  void register_stream(const std::shared_ptr<Stream>& s);
  void unregister_stream(const Stream* s);

  GatewayConfig config_;
  kit::Metrics metrics_;
  kit::RedisClient redis_;
  RateLimiter limiter_;
  IdempotencyStore idempotency_;
  IdempotencyStage idempotency_stage_;
  std::unique_ptr<Forwarder> forward_;
  StaticFiles web_;
  RouteTable table_;
  std::vector<Target> targets_;  // by RouteTable id
  std::string openapi_;
  std::shared_ptr<StreamSlots> slots_;
  TicketPathGate ticket_gate_;
  kit::Counter* shed_ = nullptr;
  kit::Gauge* lag_gauge_ = nullptr;
  std::unique_ptr<kit::PeriodicWorker> lag_probe_;
  std::jthread lag_thread_;  // runs lag_probe_ from serve() until stop()

  // Declared in this order on purpose: the server outlives the io_context (its sessions report
  // to it while the context destroys them).
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<boost::asio::thread_pool> workers_;
  std::shared_ptr<FeedHub> hub_;
  struct Timers;
  std::unique_ptr<Timers> timers_;
  std::unique_ptr<AdminServer> admin_;
  int admin_port_ = -1;

  std::atomic<bool> stopping_{false};
  std::mutex serve_mu_;
  std::condition_variable serve_done_;
  bool serving_ = false;
  std::atomic<uint64_t> heartbeat_tick_{0};
  std::atomic<int> rpcs_{0};  // service calls whose completion has not run yet
  std::mutex rpcs_mu_;
  std::condition_variable rpcs_idle_;
  mutable std::mutex streams_mu_;
  std::map<const Stream*, std::weak_ptr<Stream>> streams_;
};

}  // namespace aftercare::gateway
