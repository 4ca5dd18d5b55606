#include "common/config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string_view>

namespace aftercare::kit {
namespace {

int parse_int(const std::string& name, const std::string& value) {
  try {
    size_t used = 0;
    int parsed = std::stoi(value, &used);
    if (used != value.size() || parsed < 0) throw std::invalid_argument(value);
    return parsed;
  } catch (const std::exception&) {
    throw std::invalid_argument(name + " must be a non-negative integer, got '" + value + "'");
  }
}

// Applies one setting by its environment name; returns false for a name we don't know.
bool apply(Config& c, const std::string& name, const std::string& value) {
  if (name == "AFTERCARE_DB_URL")
    c.db_url = value;
  else if (name == "AFTERCARE_DB_POOL_SIZE")
    c.db_pool_size = parse_int(name, value);
  else if (name == "AFTERCARE_KAFKA_BOOTSTRAP")
    c.kafka_bootstrap = value;
  else if (name == "AFTERCARE_KAFKA_BOOTSTRAP_FILE")
    c.kafka_bootstrap_file = value;
  else if (name == "AFTERCARE_REDIS_ADDR")
    c.redis_addr = value;
  else if (name == "AFTERCARE_GRPC_ADDR")
    c.grpc_addr = value;
  else if (name == "AFTERCARE_METRICS_ADDR")
    c.metrics_addr = value;
  else if (name == "AFTERCARE_LOG_LEVEL")
    c.log_level = value;
  else if (name == "AFTERCARE_CONSUMER_MAX_ATTEMPTS")
    c.consumer_max_attempts = parse_int(name, value);
  else if (name == "AFTERCARE_RELAY_IDLE_POLL_MS")
    c.relay_idle_poll = std::chrono::milliseconds(parse_int(name, value));
  else if (name == "AFTERCARE_SHUTDOWN_GRACE_S")
    c.shutdown_grace = std::chrono::seconds(parse_int(name, value));
  else if (name == "AFTERCARE_OUTBOX_MAX_AGE_S")
    c.outbox_max_age = std::chrono::seconds(std::max(1, parse_int(name, value)));
  else if (name == "AFTERCARE_GRPC_MAX_CONNECTION_AGE_S")
    c.grpc_max_connection_age = std::chrono::seconds(parse_int(name, value));
  else
    return false;
  return true;
}

const char* const kSettingNames[] = {
    "AFTERCARE_DB_URL",
    "AFTERCARE_DB_POOL_SIZE",
    "AFTERCARE_KAFKA_BOOTSTRAP",
    "AFTERCARE_KAFKA_BOOTSTRAP_FILE",
    "AFTERCARE_REDIS_ADDR",
    "AFTERCARE_GRPC_ADDR",
    "AFTERCARE_METRICS_ADDR",
    "AFTERCARE_LOG_LEVEL",
    "AFTERCARE_CONSUMER_MAX_ATTEMPTS",
    "AFTERCARE_RELAY_IDLE_POLL_MS",
    "AFTERCARE_SHUTDOWN_GRACE_S",
    "AFTERCARE_OUTBOX_MAX_AGE_S",
    "AFTERCARE_GRPC_MAX_CONNECTION_AGE_S",
};

// "--grpc-addr" -> "AFTERCARE_GRPC_ADDR"
std::string flag_to_env(std::string_view flag) {
  std::string name = "AFTERCARE_";
  for (char ch : flag) name += ch == '-' ? '_' : static_cast<char>(std::toupper(ch));
  return name;
}

}  // namespace

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

int env_int(const char* name, int fallback, int min, int max) {
  std::string text = env_or(name, std::to_string(fallback));
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < min)
    throw std::invalid_argument(std::string(name) + " must be an integer >= " +
                                std::to_string(min) + ", got '" + text + "'");
  if (value > max)
    throw std::invalid_argument(std::string(name) + " must be at most " + std::to_string(max) +
                                ", got " + std::to_string(value));
  return value;
}

ServiceDefaults defaults_for(const std::string& service) {
  static const char* const kOrder[] = {"intake", "dispatch", "callback", "loyalty", "billing"};
  for (int i = 0; i < 5; ++i)
    if (service == kOrder[i]) return {50051 + i, 9101 + i};
  return {50050, 9100};
}

Config load_config(const std::string& service, int argc, char** argv) {
  Config c;
  c.service = service;
  ServiceDefaults d = defaults_for(service);
  c.db_url = "postgresql://aftercare@127.0.0.1:15432/aftercare_" + service;
  c.redis_addr = "127.0.0.1:16379";
  c.grpc_addr = "127.0.0.1:" + std::to_string(d.grpc_port);
  c.metrics_addr = "127.0.0.1:" + std::to_string(d.metrics_port);
  for (const char* name : kSettingNames)
    if (const char* value = std::getenv(name)) apply(c, name, value);
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--"))
      throw std::invalid_argument("unexpected argument " + std::string(arg));
    arg.remove_prefix(2);
    auto eq = arg.find('=');
    std::string name = flag_to_env(arg.substr(0, eq));
    std::string value;
    if (eq != std::string_view::npos)
      value = std::string(arg.substr(eq + 1));
    else if (i + 1 < argc)
      value = argv[++i];
    else
      throw std::invalid_argument("flag --" + std::string(arg) + " needs a value");
    if (!apply(c, name, value))
      throw std::invalid_argument("unknown flag --" + std::string(arg.substr(0, eq)));
  }
  if (c.db_pool_size < 1) throw std::invalid_argument("AFTERCARE_DB_POOL_SIZE must be at least 1");
  if (c.consumer_max_attempts < 1)
    throw std::invalid_argument("AFTERCARE_CONSUMER_MAX_ATTEMPTS must be at least 1");
  return c;
}

std::map<std::string, std::string> Config::describe() const {
  return {
      {"AFTERCARE_DB_URL", db_url},
      {"AFTERCARE_DB_POOL_SIZE", std::to_string(db_pool_size)},
      {"AFTERCARE_KAFKA_BOOTSTRAP", kafka_bootstrap},
      {"AFTERCARE_KAFKA_BOOTSTRAP_FILE", kafka_bootstrap_file},
      {"AFTERCARE_REDIS_ADDR", redis_addr},
      {"AFTERCARE_GRPC_ADDR", grpc_addr},
      {"AFTERCARE_METRICS_ADDR", metrics_addr},
      {"AFTERCARE_LOG_LEVEL", log_level},
      {"AFTERCARE_CONSUMER_MAX_ATTEMPTS", std::to_string(consumer_max_attempts)},
      {"AFTERCARE_RELAY_IDLE_POLL_MS", std::to_string(relay_idle_poll.count())},
      {"AFTERCARE_SHUTDOWN_GRACE_S", std::to_string(shutdown_grace.count())},
      {"AFTERCARE_OUTBOX_MAX_AGE_S", std::to_string(outbox_max_age.count())},
      {"AFTERCARE_GRPC_MAX_CONNECTION_AGE_S", std::to_string(grpc_max_connection_age.count())},
  };
}

std::string resolve_kafka_bootstrap(const Config& config) {
  if (!config.kafka_bootstrap.empty()) return config.kafka_bootstrap;
  if (config.kafka_bootstrap_file.empty())
    throw std::runtime_error("set AFTERCARE_KAFKA_BOOTSTRAP or AFTERCARE_KAFKA_BOOTSTRAP_FILE");
  std::ifstream in(config.kafka_bootstrap_file);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty())
    throw std::runtime_error("no bootstrap list in " + config.kafka_bootstrap_file);
  return line;
}

}  // namespace aftercare::kit
