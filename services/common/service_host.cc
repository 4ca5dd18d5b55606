#include "common/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "common/call.h"
#include "common/log.h"
#include "common/server_metrics.h"

namespace aftercare::kit {
namespace {

std::mutex stop_mu;
std::condition_variable stop_cv;

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

std::pair<std::string, int> split_host_port(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("expected host:port, got " + addr);
  return {addr.substr(0, colon), std::stoi(addr.substr(colon + 1))};
}

ServiceHost::ServiceHost(Config config)
    : config_(std::move(config)), outbox_(config_.topic(), config_.service) {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  init_logging(config_.service, config_.log_level);
  std::string settings;
  for (const auto& [k, v] : config_.describe()) settings += " " + k + "=" + v;
  spdlog::info("starting aftercare-{} with{}", config_.service, settings);
  register_build_info(metrics_, config_.service);
}

ServiceHost::~ServiceHost() = default;

PgPool& ServiceHost::db() {
  if (!db_) db_ = std::make_unique<PgPool>(config_.db_url, config_.db_pool_size);
  return *db_;
}

void ServiceHost::migrate(const std::vector<Migration>& service_migrations) {
  // The database may still be starting (deploy/local, Kubernetes): wait for it up to a minute.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      apply_migrations(db(), "kit", kit_migrations());
      apply_migrations(db(), config_.service, service_migrations);
      // Deployments run migrations as a Job before rolling out: exit once they are applied.
      if (env_or("AFTERCARE_MIGRATE_ONLY", "") == "1") {
        spdlog::info("AFTERCARE_MIGRATE_ONLY=1: migrations applied, exiting");
        std::exit(0);
      }
      return;
    } catch (const pqxx::broken_connection& e) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      spdlog::warn("database not reachable yet: {}", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

void ServiceHost::add_worker(std::string name, std::function<void(std::stop_token)> work) {
  workers_.emplace_back(std::move(name), std::move(work));
}

void ServiceHost::add_periodic(PeriodicWorker::Options options, PeriodicWorker::Task task) {
  auto& worker =
      periodic_.emplace_back(std::make_unique<PeriodicWorker>(options, std::move(task), &metrics_));
  add_worker(options.name, [w = worker.get()](std::stop_token stop) { w->run(stop); });
}

void ServiceHost::add_outbox_relay() {
  add_worker("outbox-relay", [this](std::stop_token stop) {
    OutboxRelay::Options options;
    options.idle_poll = config_.relay_idle_poll;
    // Broker-side logs, quotas and metrics name the process (client.id).
    options.producer_settings.try_emplace("client.id", "aftercare-" + config_.service + "-outbox");
    OutboxRelay relay(
        db(), [this] { return resolve_kafka_bootstrap(config_); }, metrics_, options,
        &broker_status_);
    relay.run(stop);
  });
}

void ServiceHost::add_consumer(EventConsumer::Options options, EventHandler handler,
                               BatchHandler batch) {
  options.max_attempts = config_.consumer_max_attempts;
  options.settings.try_emplace("client.id", "aftercare-" + config_.service + "-" + options.name);
  add_worker("consumer " + options.name, [this, options, handler, batch](std::stop_token stop) {
    // The broker may not be up yet: keep trying to join until stopped.
    while (!stop.stop_requested()) {
      try {
        EventConsumer consumer(db(), resolve_kafka_bootstrap(config_), metrics_, options, handler,
                               batch);
        consumer.run(stop);
        return;
      } catch (const std::exception& e) {
        spdlog::warn("consumer {}: {}", options.name, e.what());
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
  });
}

void ServiceHost::serve_http() {
  http_ = std::make_unique<httplib::Server>();
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.render(), "text/plain; version=0.0.4");
  });
  // Readiness for load balancers and operators; 503 names what is wrong.
  http_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    HealthReport report = health();
    nlohmann::json body = {{"status", report.status}};
    if (!report.problems.empty()) body["problems"] = report.problems;
    res.status = report.ready() ? 200 : 503;
    res.set_content(body.dump(), "application/json");
  });
  // Where load balancers send traffic: the API works while the database answers, even when the
  // broker does not (the outbox keeps the events).
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const bool ready = started_ && !stop_requested_ && (!db_ || db_->healthy());
    res.status = ready ? 200 : 503;
    res.set_content(ready ? R"({"status":"ok"})" : R"({"status":"unavailable"})",
                    "application/json");
  });
  // Liveness: the process serves. A broker or database outage must not get it restarted.
  http_->Get("/livez", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"alive"})", "application/json");
  });
  auto [host, port] = split_host_port(config_.metrics_addr);
  metrics_port_ =
      port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (metrics_port_ <= 0) throw std::runtime_error("cannot listen on " + config_.metrics_addr);
}

HealthReport ServiceHost::health() {
  if (!started_ || stop_requested_) return {"unavailable", {}};
  HealthReport report{"ok", {}};
  if (db_) {
    try {
      auto lease = db_->acquire(std::chrono::milliseconds(500));
      pqxx::nontransaction query(*lease);
      const double age = OutboxRelay::oldest_unsent_seconds(query);
      if (age > static_cast<double>(config_.outbox_max_age.count()))
        report.problems["outbox"] =
            fmt::format("the oldest unpublished event is {:.0f} s old (threshold {} s)", age,
                        config_.outbox_max_age.count());
    } catch (const std::exception& e) {
      report.problems["database"] = std::string("not answering: ") + e.what();
    }
  }
  if (auto down = broker_status_.unreachable_for(); down.count() > 0)
    report.problems["broker"] =
        fmt::format("unreachable for {} s", std::chrono::ceil<std::chrono::seconds>(down).count());
  for (const auto& worker : periodic_)
    if (std::string problem = worker->problem(); !problem.empty())
      report.problems["worker " + worker->name()] = std::move(problem);
  if (!report.problems.empty()) report.status = "degraded";
  return report;
}

std::string readiness_service_name(const std::string& service) {
  std::string name = service;
  if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return "aftercare.v1." + name + "Service";
}

// The gateway asks each service's gRPC health for readiness_service_name(): keep it current.
void ServiceHost::publish_health() {
  const bool ready = health().ready();
  server_->GetHealthCheckService()->SetServingStatus(readiness_service_name(config_.service),
                                                     ready);
}

int ServiceHost::run() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.grpc_addr, grpc::InsecureServerCredentials(), &grpc_port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  // Clients re-resolve only when a connection ends: closing old ones lets round_robin channels
  // (the gateway's, over a headless Service) find the pods a scale-out added. In-flight calls get
  // the shutdown grace (at least 30 s: the gateway's long-polls wait 15 s in dispatch).
  if (config_.grpc_max_connection_age.count() > 0) {
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_MS,
        static_cast<int>(std::chrono::milliseconds(config_.grpc_max_connection_age).count()));
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
        static_cast<int>(
            std::chrono::milliseconds(std::max(config_.shutdown_grace, std::chrono::seconds(30)))
                .count()));
  }
  builder.experimental().SetInterceptorCreators(server_metrics_interceptors(metrics_));
  for (auto* s : services_) builder.RegisterService(s);
  server_ = builder.BuildAndStart();
  if (!server_) {
    spdlog::error("cannot listen on {}", config_.grpc_addr);
    return 1;
  }
  serve_http();
  std::thread http_thread([this] { http_->listen_after_bind(); });

  std::vector<std::jthread> workers;
  for (auto& [name, work] : workers_) {
    workers.emplace_back([name = name, work = work](std::stop_token stop) {
      try {
        work(stop);
      } catch (const std::exception& e) {
        spdlog::critical("worker {} stopped: {}", name, e.what());
      }
    });
  }

  // SIGTERM/SIGINT are blocked everywhere; this thread alone receives them.
  std::thread signal_thread([this] {
    sigset_t set = stop_signals();
    int sig = 0;
    sigwait(&set, &sig);
    if (!stop_requested_) spdlog::info("signal {} received, stopping", sig);
    request_stop();
  });

  server_->GetHealthCheckService()->SetServingStatus(true);
  started_ = true;
  std::jthread health_thread([this](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      try {
        publish_health();
      } catch (const std::exception& e) {
        spdlog::warn("health: {}", e.what());
      }
      std::unique_lock lock(mu);
      cv.wait_for(lock, stop, std::chrono::seconds(2), [] { return false; });
    }
  });
  spdlog::info("aftercare-{} serving gRPC on port {}, metrics on port {}", config_.service,
               grpc_port_, metrics_port_);
  {
    std::unique_lock lock(stop_mu);
    stop_cv.wait(lock, [this] { return stop_requested_.load(); });
  }

  // Graceful stop: report NOT_SERVING, finish in-flight RPCs within the grace, stop workers.
  health_thread.request_stop();
  health_thread.join();
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + config_.shutdown_grace);
  for (auto& w : workers) w.request_stop();
  workers.clear();  // joins
  http_->stop();
  http_thread.join();
  pthread_kill(signal_thread.native_handle(), SIGTERM);  // wakes sigwait if no signal came
  signal_thread.join();
  spdlog::info("aftercare-{} stopped", config_.service);
  return 0;
}

void ServiceHost::request_stop() {
  std::lock_guard lock(stop_mu);
  stop_requested_ = true;
  stop_cv.notify_all();
}

int serve(const std::string& service, int argc, char** argv,
          const std::vector<Migration>& migrations, const std::function<int(ServiceHost&)>& wire) {
  try {
    ServiceHost host(load_config(service, argc, argv));
    host.migrate(migrations);
    host.add_outbox_relay();
    return wire(host);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-%s: %s\n", service.c_str(), e.what());
    return 1;
  }
}

std::shared_ptr<grpc::Channel> peer_channel(const std::string& peer) {
  std::string variable = "AFTERCARE_" + peer + "_ADDR";
  for (char& c : variable) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return service_channel(
      env_or(variable.c_str(), "127.0.0.1:" + std::to_string(defaults_for(peer).grpc_port)));
}

}  // namespace aftercare::kit
