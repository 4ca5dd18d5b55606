// aftercare-gateway: the public HTTP/JSON front door. This first cut serves /healthz (the
// services' gRPC health) and /metrics, and mints development tokens for deploy/local.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <signal.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/call.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "gateway/jwt.h"

namespace {

using aftercare::kit::env_or;

struct Backend {
  std::string name;
  std::string addr;
  std::shared_ptr<grpc::Channel> channel;
};

int mint(int argc, char** argv) {
  aftercare::gateway::Claims claims{"admin", "admin", {"*"}, {}, "", 0};
  int64_t ttl = 86400;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--role")
      claims.role = value;
    else if (flag == "--sub")
      claims.sub = value;
    else if (flag == "--projects")
      claims.projects = aftercare::kit::split_list(value);
    else if (flag == "--units")
      claims.units = aftercare::kit::split_list(value);
    else if (flag == "--party-id")
      claims.party_id = value;
    else if (flag == "--ttl")
      ttl = std::stoll(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  claims.exp = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() +
               ttl;
  std::printf("%s\n", aftercare::gateway::mint_token(
                          env_or("AFTERCARE_JWT_SECRET", "aftercare-dev-secret"), claims)
                          .c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--mint-token") return mint(argc, argv);
  // SIGTERM/SIGINT go to one thread that stops the server, so shutdown is orderly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  aftercare::kit::init_logging("gateway", env_or("AFTERCARE_LOG_LEVEL", "info"));
  aftercare::kit::Metrics metrics;
  std::vector<Backend> backends;
  const char* const kServices[] = {"intake", "dispatch", "callback", "loyalty", "billing"};
  for (const char* svc : kServices) {
    std::string env = "AFTERCARE_" + std::string(svc) + "_ADDR";
    for (auto& ch : env) ch = static_cast<char>(std::toupper(ch));
    std::string addr = env_or(
        env.c_str(), "127.0.0.1:" + std::to_string(aftercare::kit::defaults_for(svc).grpc_port));
    backends.push_back({svc, addr, grpc::CreateChannel(addr, grpc::InsecureChannelCredentials())});
  }

  httplib::Server http;
  http.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    nlohmann::json services = nlohmann::json::object();
    bool all_up = true;
    for (auto& b : backends) {
      bool up = b.channel->WaitForConnected(std::chrono::system_clock::now() +
                                            std::chrono::milliseconds(300));
      services[b.name] = up ? "up" : "down";
      all_up = all_up && up;
    }
    res.status = all_up ? 200 : 503;
    res.set_content(
        nlohmann::json{{"status", all_up ? "ok" : "degraded"}, {"services", services}}.dump(),
        "application/json");
  });
  http.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(), "text/plain; version=0.0.4");
  });
  std::string host = env_or("AFTERCARE_HTTP_ADDR", "127.0.0.1");
  int port = std::stoi(env_or("AFTERCARE_HTTP_PORT", "8080"));
  if (!http.bind_to_port(host, port)) {
    spdlog::error("cannot listen on {}:{}", host, port);
    return 1;
  }
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("signal {} received, stopping", sig);
    http.stop();
  });
  signal_thread.detach();
  spdlog::info("gateway listening on {}:{}", host, port);
  http.listen_after_bind();
  spdlog::info("gateway stopped");
  return 0;
}
