// The process around a service: config and logs, database pool and migrations, the gRPC server
// (health service, reflection), /metrics and /healthz over HTTP, background workers (outbox
// relay, consumers, sweepers), and a graceful stop on SIGTERM/SIGINT: health turns NOT_SERVING,
// in-flight RPCs get the grace period, workers stop, then the process exits 0.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "common/consumer.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/periodic.h"
#include "common/pg.h"

namespace httplib {
class Server;
}

namespace aftercare::kit {

// What /healthz says: ok, or degraded with the problems by name (database, broker, outbox), or
// unavailable while starting and stopping.
struct HealthReport {
  std::string status;                           // "ok", "degraded", "unavailable"
  std::map<std::string, std::string> problems;  // e.g. "broker" -> "unreachable for 12 s"
  bool ready() const { return status == "ok"; }
};

class ServiceHost {
 public:
  // Blocks SIGTERM/SIGINT in the calling thread (and so in every thread started later) and
  // installs logging. Call first thing in main.
  explicit ServiceHost(Config config);
  ~ServiceHost();

  const Config& config() const { return config_; }
  Metrics& metrics() { return metrics_; }
  PgPool& db();  // opened and migrated by migrate()
  const Outbox& outbox() const { return outbox_; }
  // The one clock the service's handlers and workers read (common/clock.h).
  const Clock& clock() const { return clock_; }
  absl::Time now() const { return clock_(); }

  // Applies the kit's and the service's migrations (retrying while the database starts).
  void migrate(const std::vector<Migration>& service_migrations);
  void add_service(grpc::Service* service) { services_.push_back(service); }
  void add_worker(std::string name, std::function<void(std::stop_token)> work);
  // A task every `options.interval` (sweepers, generators, senders); its failures are counted,
  // and when it keeps failing /healthz is degraded naming it.
  void add_periodic(PeriodicWorker::Options options, PeriodicWorker::Task task);
  // The outbox relay for this service's database.
  void add_outbox_relay();
  // A consumer whose handler runs inside the inbox transaction (`batch`: the fetched events
  // together, see BatchHandler).
  void add_consumer(EventConsumer::Options options, EventHandler handler, BatchHandler batch = {});

  // Starts everything, waits for a stop signal (or request_stop), shuts down; returns the exit
  // code. grpc_port() is valid once started() is true.
  int run();
  void request_stop();
  bool started() const { return started_.load(); }
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  // Readiness: the database answers, the broker answers the outbox relay, and no committed event
  // has waited longer than outbox_max_age to be published.
  HealthReport health();

 private:
  void serve_http();
  void publish_health();
  Config config_;
  Clock clock_ = system_clock();
  Metrics metrics_;
  Outbox outbox_;
  BrokerStatus broker_status_;
  std::unique_ptr<PgPool> db_;
  std::vector<grpc::Service*> services_;
  std::vector<std::pair<std::string, std::function<void(std::stop_token)>>> workers_;
  std::vector<std::unique_ptr<PeriodicWorker>> periodic_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stop_requested_{false};
  int grpc_port_ = 0;
  int metrics_port_ = 0;
};

// The name under which a service's gRPC health reports readiness (HealthReport::ready), e.g.
// aftercare.v1.IntakeService for "intake". The empty name stays SERVING while the process runs:
// that is liveness, which a broker or database outage must not fail.
std::string readiness_service_name(const std::string& service);

// host:port -> (host, port); throws std::invalid_argument.
std::pair<std::string, int> split_host_port(const std::string& addr);

// The whole of a service's main(): loads the configuration of `service` (environment, then argv),
// applies the kit's and `migrations`, adds the outbox relay, and hands the host to `wire`, which
// registers the gRPC services, consumers and workers and returns host.run(). A failure to start
// is printed as "aftercare-<service>: <what>" and exits 1.
int serve(const std::string& service, int argc, char** argv,
          const std::vector<Migration>& migrations, const std::function<int(ServiceHost&)>& wire);

// A channel to another AfterCare service (`peer`: "intake", "billing", ...): the address in
// AFTERCARE_<PEER>_ADDR, else 127.0.0.1 at the peer's default gRPC port.
std::shared_ptr<grpc::Channel> peer_channel(const std::string& peer);

}  // namespace aftercare::kit
