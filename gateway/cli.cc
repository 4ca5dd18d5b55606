// The gateway binary's work besides serving: --mint-token, and the configuration read from the
// AFTERCARE_* variables (kept out of main.cc, which only wires and runs).
#include "gateway/cli.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdio>

#include "common/call.h"
#include "common/config.h"
#include "gateway/jwt.h"
#include "gateway/settings.h"
#include "gateway/static_files.h"

namespace aftercare::gateway {

using kit::env_or;

int mint_token_command(int argc, char** argv) {
  Claims claims{"admin", "admin", {"*"}, {}, "", 0};
  int64_t ttl = 86400;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--role")
      claims.role = value;
    else if (flag == "--sub")
      claims.sub = value;
    else if (flag == "--projects")
      claims.projects = kit::split_list(value);
    else if (flag == "--units")
      claims.units = kit::split_list(value);
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
  std::printf("%s\n",
              mint_token(env_or("AFTERCARE_JWT_SECRET", "aftercare-dev-secret"), claims).c_str());
  return 0;
}

// The config from AFTERCARE_* variables: integer settings through settings.h (declared once
// with their bounds), the service addresses, the rest as strings.
GatewayConfig config_from_env() {
  GatewayConfig config;
  config.http_addr = env_or("AFTERCARE_HTTP_ADDR", config.http_addr);
  config.http_port = read_setting(kHttpPort);
  config.admin_port = read_setting(kAdminPort);
  config.ready_services = kit::split_list(env_or("AFTERCARE_GATEWAY_READY_SERVICES", "intake"));
  config.jwt_secret = env_or("AFTERCARE_JWT_SECRET", config.jwt_secret);
  config.redis_addr = env_or("AFTERCARE_REDIS_ADDR", config.redis_addr);
  config.rate_per_second = read_setting(kRatePerSecond);
  config.rate_burst = read_setting(kRateBurst);
  config.web_root = env_or("AFTERCARE_WEB_ROOT", default_web_root());
  if (config.web_root == "none") config.web_root.clear();
  config.dev_login = env_or("AFTERCARE_DEV_LOGIN", "0") == "1";
  for (const char* svc : {"intake", "dispatch", "callback", "loyalty", "billing"}) {
    std::string env = "AFTERCARE_" + std::string(svc) + "_ADDR";
    for (auto& ch : env) ch = static_cast<char>(std::toupper(ch));
    config.service_addrs[svc] =
        env_or(env.c_str(), "127.0.0.1:" + std::to_string(kit::defaults_for(svc).grpc_port));
  }
  config.streams_per_subject = read_setting(kStreamsPerSubject);
  config.streams_max = read_setting(kStreamsTotal);
  config.limits.header_timeout = std::chrono::seconds(read_setting(kHeaderTimeoutS));
  config.limits.idle_timeout = std::chrono::seconds(read_setting(kIdleTimeoutS));
  config.limits.body_timeout = std::chrono::seconds(read_setting(kBodyTimeoutS));
  config.limits.write_timeout = std::chrono::seconds(read_setting(kWriteTimeoutS));
  config.limits.max_header_bytes = static_cast<size_t>(read_setting(kMaxHeaderBytes));
  config.limits.stream_backlog_bytes = static_cast<size_t>(read_setting(kStreamBacklogBytes));
  config.max_body_bytes = static_cast<size_t>(read_setting(kMaxBodyBytes));
  config.heartbeat = std::chrono::seconds(read_setting(kHeartbeatS));
  config.shutdown_grace = std::chrono::seconds(read_setting(kShutdownGraceS));
  config.io_threads = read_setting(kIoThreads);
  config.workers = read_setting(kWorkers);
  config.ticket_lag_limit = read_setting(kTicketLagLimit);
  config.lag_probe_interval = std::chrono::milliseconds(read_setting(kLagProbeMs));
  config.lag_group = env_or("AFTERCARE_GATEWAY_LAG_GROUP", config.lag_group);
  config.lag_topic = env_or("AFTERCARE_GATEWAY_LAG_TOPIC", config.lag_topic);
  // The brokers as the services find them (the devbroker's file is re-read on every probe).
  kit::Config kafka;
  kafka.kafka_bootstrap = env_or("AFTERCARE_KAFKA_BOOTSTRAP", "");
  kafka.kafka_bootstrap_file = env_or("AFTERCARE_KAFKA_BOOTSTRAP_FILE", "");
  if (!kafka.kafka_bootstrap.empty() || !kafka.kafka_bootstrap_file.empty())
    config.kafka_bootstrap = [kafka] { return kit::resolve_kafka_bootstrap(kafka); };
  else if (config.ticket_lag_limit > 0)
    spdlog::warn("no AFTERCARE_KAFKA_BOOTSTRAP(_FILE): new reports are never shed (issue 21)");
  return config;
}

}  // namespace aftercare::gateway
