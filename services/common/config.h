// Service configuration: one struct, read from AFTERCARE_* environment variables and then
// overridden by --name=value flags, with defaults that work against deploy/local.
#pragma once

#include <chrono>
#include <limits>
#include <map>
#include <string>

namespace aftercare::kit {

struct Config {
  std::string service;               // "intake", "dispatch", ... (names the DB, topic, logs)
  std::string db_url;                // AFTERCARE_DB_URL, libpq URI of the service's own database
  int db_pool_size = 8;              // AFTERCARE_DB_POOL_SIZE
  std::string kafka_bootstrap;       // AFTERCARE_KAFKA_BOOTSTRAP, comma-separated host:port list
  std::string kafka_bootstrap_file;  // AFTERCARE_KAFKA_BOOTSTRAP_FILE, read when the list is empty
  std::string redis_addr;            // AFTERCARE_REDIS_ADDR, host:port
  std::string grpc_addr;             // AFTERCARE_GRPC_ADDR, host:port the gRPC server binds
  std::string metrics_addr;          // AFTERCARE_METRICS_ADDR, host:port of /metrics and /healthz
  std::string log_level = "info";    // AFTERCARE_LOG_LEVEL: trace debug info warn error
  int consumer_max_attempts =
      5;  // AFTERCARE_CONSUMER_MAX_ATTEMPTS before a message is dead-lettered
  std::chrono::milliseconds relay_idle_poll{50};  // AFTERCARE_RELAY_IDLE_POLL_MS
  std::chrono::seconds shutdown_grace{10};        // AFTERCARE_SHUTDOWN_GRACE_S for in-flight RPCs
  // AFTERCARE_OUTBOX_MAX_AGE_S: /healthz is degraded once the oldest unpublished event is older.
  std::chrono::seconds outbox_max_age{60};
  // AFTERCARE_GRPC_MAX_CONNECTION_AGE_S: the gRPC server closes (GOAWAY, in-flight calls finish)
  // every client connection older than this, so clients re-resolve DNS and reach pods added by a
  // scale-out. 0 = never.
  std::chrono::seconds grpc_max_connection_age{120};

  // Every setting by its environment name, for documentation and the startup log line.
  std::map<std::string, std::string> describe() const;

  // The topic this service publishes to: aftercare.<service>.v1.
  std::string topic() const { return "aftercare." + service + ".v1"; }
};

// Per-service defaults: gRPC port 5005x and metrics port 910x in the order of DESIGN.md.
struct ServiceDefaults {
  int grpc_port;
  int metrics_port;
};
ServiceDefaults defaults_for(const std::string& service);

// Reads the environment, then argv flags (--db-url=..., --grpc-addr=..., the env name without
// the AFTERCARE_ prefix, lower-case with dashes). Throws std::invalid_argument on a bad value.
Config load_config(const std::string& service, int argc, char** argv);

// The bootstrap list: the explicit one, else the first line of the bootstrap file (re-read on
// every call so a restarted devbroker on new ports is found). Throws when neither is usable.
std::string resolve_kafka_bootstrap(const Config& config);

// Reads an environment variable or returns the fallback.
std::string env_or(const char* name, const std::string& fallback);

// An integer setting of a service's own (sweeper periods, sender counts): the variable, else
// `fallback`; anything but a whole number in [min, max] stops the start with a message naming it.
int env_int(const char* name, int fallback, int min = 0, int max = std::numeric_limits<int>::max());

// An integer setting declared once: its variable, default, bounds and meaning (for the docs and
// the start-up log line), read by read_setting.
struct IntSetting {
  const char* env;
  int fallback;
  int min;
  int max;
  const char* what;
};
inline int read_setting(const IntSetting& s) {
  return env_int(s.env, s.fallback, s.min, s.max);
}
// A setting in seconds (its name ends in _S).
inline std::chrono::seconds read_seconds(const IntSetting& s) {
  return std::chrono::seconds(read_setting(s));
}

}  // namespace aftercare::kit
