// aftercare-gateway: config, wire, run. `--mint-token` prints a development token signed with
// AFTERCARE_JWT_SECRET (deploy/local/up.sh uses it); `--print-openapi` prints the OpenAPI document
// (kept in gateway/openapi.json). AFTERCARE_WEB_ROOT: the web console's files (default: web/dist
// beside this binary, when built; `none` = off); AFTERCARE_DEV_LOGIN=1 enables POST /v1/dev/login.
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <signal.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/call.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "gateway/cli.h"
#include "gateway/gateway.h"
#include "gateway/jwt.h"
#include "gateway/openapi.h"
#include "gateway/settings.h"
#include "gateway/static_files.h"

using aftercare::kit::env_or;

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--mint-token")
    return aftercare::gateway::mint_token_command(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "--print-openapi") {
    std::fputs(aftercare::gateway::openapi_text().c_str(), stdout);
    return 0;
  }
  // SIGTERM/SIGINT go to one thread that stops the server, so shutdown is orderly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  aftercare::kit::init_logging("gateway", env_or("AFTERCARE_LOG_LEVEL", "info"));
  try {
    aftercare::gateway::GatewayConfig config = aftercare::gateway::config_from_env();
    aftercare::gateway::Gateway gateway(config);
    int port = gateway.bind();
    if (port <= 0) {
      spdlog::error("cannot listen on {}:{}", config.http_addr, config.http_port);
      return 1;
    }
    // SIGTERM: stop accepting, end the streams with a final event, let in-flight calls answer
    // (AFTERCARE_GATEWAY_SHUTDOWN_GRACE_S), then serve() returns.
    std::thread signal_thread([&] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      spdlog::info("signal {} received, stopping", sig);
      gateway.stop();
    });
    signal_thread.detach();
    spdlog::info("gateway listening on {}:{}, admin (/metrics, /healthz) on port {}",
                 config.http_addr, port, gateway.admin_port());
    gateway.serve();
    spdlog::info("gateway stopped");
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("gateway: {}", e.what());
    return 1;
  }
}
