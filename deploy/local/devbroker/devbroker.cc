// devbroker: the Kafka cluster of the local AfterCare stack.
//
// Debian 12 packages no Kafka broker, so devbroker hosts librdkafka's built-in mock cluster. The
// mock speaks the real Kafka protocol on loopback, so services and kcat connect to it like to any
// cluster. A small HTTP control API adds what a real broker cannot offer tests: brokers taken
// down, injected request errors, leader moves.
//
// Readiness: the control file is written before the bootstrap file, both atomically, so whoever
// sees the bootstrap file can use the cluster and the control API at once.
//
// Loopback only: the mock brokers of librdkafka 2.0.2 listen on 127.0.0.1 (checked with `ss -ltnp`
// while devbroker runs), and the control server binds 127.0.0.1 unless told otherwise.
//
// Topic auto-creation (checked against librdkafka 2.0.2 with kcat): the mock creates an unknown
// topic when a client asks for its metadata with auto-creation allowed, which every producer and
// `kcat -L -t NAME` does. So `kcat -P -t new.topic` succeeds and the topic appears in `kcat -L`
// with the mock's own default of 4 partitions, not --partitions. Such topics are not listed by
// GET /topics, which reports only what devbroker created; services that care about partition
// counts should use a platform topic, --topic, or POST /topics.
//
// Fixed ports: librdkafka 2.0.2's mock binds every broker to 127.0.0.1 port 0 (a random port) and
// has no setting for it. With --port, devbroker answers those bind() calls itself (see
// FixedPortBinder below) and gives broker N the port PORT+N-1, so a restarted devbroker keeps the
// bootstrap list and running clients reconnect to the same addresses on their own.
//
// Epoch: a restarted devbroker is a new, empty cluster, and the mock's cluster id is derived from
// heap addresses, so it may well repeat. devbroker therefore creates an empty topic named
// __devbroker.epoch.<random hex> at start: clients that see another epoch topic than before know
// the cluster lost its data (the outbox relay republishes, consumers rewind). GET /healthz of the
// control API reports it too.
//
// Consumer groups (also checked): after the last member of a group leaves, the mock makes the next
// member's JoinGroup wait session.timeout.ms minus one second (44 s with librdkafka's default)
// before assigning partitions. Consumers that restart often locally should lower
// session.timeout.ms (e.g. 3000, with heartbeat.interval.ms 500).

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using json = nlohmann::json;

const char* const kUsage = R"(usage: devbroker --bootstrap-file PATH [options]
  --brokers N             mock brokers to run (default 3)
  --partitions N          partitions of the topics devbroker creates (default 3)
  --replication N         replication factor of those topics (default min(3, brokers))
  --bootstrap-file PATH   where to write the bootstrap list (required)
  --port P                broker N listens on 127.0.0.1:P+N-1 (default 0: random ports)
  --control-addr H:P      control API address (default 127.0.0.1:0, a free port)
  --control-file PATH     where to write the control API's actual address
  --topic NAME            create one more topic (repeatable)
)";

// Every platform topic has a dead-letter twin with the ".dlq" suffix.
const std::vector<std::string> kPlatformTopics = {
    "aftercare.intake.v1",  "aftercare.dispatch.v1", "aftercare.callback.v1",
    "aftercare.loyalty.v1", "aftercare.billing.v1",
};

// A sanity bound so a typo cannot make the mock allocate millions of partitions.
constexpr int kMaxPartitions = 1000;
// Enough to outlast any client's retry budget; more is surely a typo.
constexpr int kMaxInjectedErrors = 10000;

// Kafka protocol API keys. librdkafka keeps its RD_KAFKAP_* names in a private header, so they are
// restated here; the numbers are fixed by the Kafka protocol.
const std::vector<std::pair<std::string, int16_t>> kApiKeys = {
    {"Produce", 0},          {"Fetch", 1},
    {"ListOffsets", 2},      {"Metadata", 3},
    {"OffsetCommit", 8},     {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},       {"LeaveGroup", 13},
    {"SyncGroup", 14},       {"ApiVersions", 18},
    {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
    {"EndTxn", 26},
};

// Writes whole lines with one call so that lines from HTTP worker threads never interleave.
void log_line(const std::string& message) {
  const std::string line = "devbroker: " + message + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// ---------------------------------------------------------------------------------------------
// Command line

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Address {
  std::string host;
  int port = 0;
};

struct Options {
  int brokers = 3;
  int port = 0;  // first broker's port; 0 = the mock's random ports
  int partitions = 3;
  std::optional<int> replication;
  std::string bootstrap_file;
  Address control{"127.0.0.1", 0};
  std::string control_file;
  std::vector<std::string> extra_topics;
};

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

int parse_positive(const std::string& flag, const std::string& text) {
  const std::optional<int> value = parse_int(text);
  if (!value || *value < 1) {
    throw UsageError("--" + flag + " needs a positive integer, got '" + text + "'");
  }
  return *value;
}

Address parse_address(const std::string& text) {
  // Split at the last colon so the port is found even if the host part contains colons.
  const std::size_t colon = text.rfind(':');
  const std::optional<int> port =
      colon == std::string::npos ? std::nullopt : parse_int(text.substr(colon + 1));
  if (colon == 0 || !port || *port < 0 || *port > 65535) {
    throw UsageError("--control-addr needs HOST:PORT, got '" + text + "'");
  }
  return Address{text.substr(0, colon), *port};
}

// Kafka's own rule for topic names.
bool is_valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

void apply_option(Options& options, const std::string& name, const std::string& value) {
  if (name == "brokers") {
    options.brokers = parse_positive(name, value);
  } else if (name == "partitions") {
    options.partitions = parse_positive(name, value);
  } else if (name == "replication") {
    options.replication = parse_positive(name, value);
  } else if (name == "port") {
    const std::optional<int> port = parse_int(value);
    if (!port || *port < 0 || *port > 65535) {
      throw UsageError("--port needs a port number, got '" + value + "'");
    }
    options.port = *port;
  } else if (name == "bootstrap-file") {
    options.bootstrap_file = value;
  } else if (name == "control-addr") {
    options.control = parse_address(value);
  } else if (name == "control-file") {
    options.control_file = value;
  } else if (name == "topic") {
    options.extra_topics.push_back(value);
  } else {
    throw UsageError("unknown option --" + name);
  }
}

void check_options(Options& options) {
  if (options.bootstrap_file.empty()) throw UsageError("--bootstrap-file is required");
  if (options.port != 0 && options.port + options.brokers - 1 > 65535) {
    throw UsageError("--port + --brokers goes past port 65535");
  }
  if (options.partitions > kMaxPartitions) {
    throw UsageError("--partitions is at most " + std::to_string(kMaxPartitions));
  }
  // A replica needs a broker of its own, and three copies is what production runs.
  if (!options.replication) options.replication = std::min(3, options.brokers);
  if (*options.replication > options.brokers) {
    throw UsageError("--replication cannot exceed --brokers");
  }
  for (const std::string& topic : options.extra_topics) {
    if (!is_valid_topic_name(topic)) throw UsageError("invalid topic name '" + topic + "'");
  }
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (!arg.starts_with("--")) throw UsageError("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::string value;
    if (const std::size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw UsageError("--" + name + " needs a value");
    }
    apply_option(options, name, value);
  }
  check_options(options);
  return options;
}

// ---------------------------------------------------------------------------------------------
// Fixed broker ports

// The ports the next loopback bind() calls to port 0 get, in order (the mock creates its brokers
// one after another, broker 1 first, inside rd_kafka_mock_cluster_new).
class FixedPortBinder {
 public:
  static void arm(std::vector<int> ports) {
    std::lock_guard lock(mutex());
    pending() = std::move(ports);
  }
  static std::size_t unused() {
    std::lock_guard lock(mutex());
    return pending().size();
  }
  // The address a bind() should really use: `wanted`, or a copy with the next fixed port.
  static const sockaddr* substitute(int fd, const sockaddr* wanted, socklen_t length,
                                    sockaddr_in& storage) {
    std::lock_guard lock(mutex());
    if (pending().empty() || wanted == nullptr || wanted->sa_family != AF_INET ||
        length < sizeof(sockaddr_in)) {
      return wanted;
    }
    std::memcpy(&storage, wanted, sizeof storage);
    if (storage.sin_port != 0) return wanted;
    storage.sin_port = htons(static_cast<uint16_t>(pending().front()));
    pending().erase(pending().begin());
    // A devbroker killed a moment ago leaves its connections in TIME_WAIT on these ports.
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    return reinterpret_cast<const sockaddr*>(&storage);
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<int>& pending() {
    static std::vector<int> ports;
    return ports;
  }
};

}  // namespace

// librdkafka calls bind() through the dynamic linker, which finds this definition in the
// executable (exported: ENABLE_EXPORTS in CMakeLists.txt) before libc's. The real call is the
// system call itself, so nothing depends on symbol lookup order beyond that.
extern "C" int bind(int fd, const struct sockaddr* address, socklen_t length) noexcept {
  sockaddr_in storage{};
  const sockaddr* use = FixedPortBinder::substitute(fd, address, length, storage);
  return static_cast<int>(syscall(SYS_bind, fd, use, length));
}

namespace {

// ---------------------------------------------------------------------------------------------
// Mock cluster

struct TopicInfo {
  std::string name;
  int partitions = 0;
  int replication = 0;
};

json to_json(const TopicInfo& topic) {
  return {
      {"name", topic.name}, {"partitions", topic.partitions}, {"replication", topic.replication}};
}

// Clients recognise devbroker's epoch topic by this prefix (services/common/kafka.cc).
constexpr const char* kEpochTopicPrefix = "__devbroker.epoch.";

std::string random_hex(int digits) {
  std::random_device device;
  std::string out;
  for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[device() % 16];
  return out;
}

// The host handle's warning about its missing bootstrap.servers is expected (see below) and would
// only mislead whoever reads the log.
void forward_rdkafka_log(const rd_kafka_t*, int, const char* facility, const char* message) {
  const std::string_view text = message;
  if (facility == std::string_view("CONFWARN") && text.find("bootstrap.servers") != text.npos) {
    return;
  }
  log_line(std::string("rdkafka ") + facility + ": " + message);
}

// The mock cluster runs inside a client handle's threads; a producer is the lightest host. It gets
// no bootstrap.servers and no test.mock.num.brokers: it never talks to Kafka itself, and the
// cluster is created through the explicit API so that devbroker owns its lifetime.
rd_kafka_t* new_host_handle() {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "client.id", "devbroker", error, sizeof error);
  rd_kafka_conf_set_log_cb(conf, forward_rdkafka_log);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new takes ownership only on success
    throw std::runtime_error(std::string("cannot create rdkafka handle: ") + error);
  }
  return handle;
}

// Owns the mock cluster and remembers the topics devbroker created. The mock API is thread-safe,
// but the mutex keeps the topic list and the mock in step when control requests run concurrently.
class MockCluster {
 public:
  // first_port 0: the mock's random ports; else broker N listens on first_port + N - 1.
  MockCluster(int brokers, int first_port) : brokers_(brokers), host_(new_host_handle()) {
    std::vector<int> ports;
    for (int i = 0; first_port != 0 && i < brokers; ++i) ports.push_back(first_port + i);
    FixedPortBinder::arm(ports);
    cluster_ = rd_kafka_mock_cluster_new(host_, brokers);
    const std::size_t unused = FixedPortBinder::unused();
    FixedPortBinder::arm({});
    if (cluster_ == nullptr) {
      rd_kafka_destroy(host_);
      throw std::runtime_error(first_port == 0 ? "cannot create the mock cluster"
                                               : "cannot create the mock cluster on ports " +
                                                     std::to_string(first_port) + "-" +
                                                     std::to_string(first_port + brokers - 1) +
                                                     " (in use by another program?)");
    }
    if (unused != 0) {
      rd_kafka_mock_cluster_destroy(cluster_);
      rd_kafka_destroy(host_);
      throw std::runtime_error(
          "the mock cluster did not bind its brokers as expected; --port "
          "does not work with this librdkafka");
    }
    epoch_topic_ = std::string(kEpochTopicPrefix) + random_hex(16);
    if (rd_kafka_mock_topic_create(cluster_, epoch_topic_.c_str(), 1, 1)) {
      throw std::runtime_error("cannot create the epoch topic");
    }
  }

  ~MockCluster() {
    // The cluster runs on the handle's threads, so it goes first.
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }

  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  int brokers() const { return brokers_; }
  const std::string& epoch_topic() const { return epoch_topic_; }
  bool has_broker(int id) const { return id >= 1 && id <= brokers_; }  // the mock numbers from 1
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  rd_kafka_resp_err_t create_topic(const TopicInfo& topic) {
    std::lock_guard lock(mutex_);
    if (find_locked(topic.name)) return RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
    const rd_kafka_resp_err_t error = rd_kafka_mock_topic_create(
        cluster_, topic.name.c_str(), topic.partitions, topic.replication);
    if (!error) topics_.push_back(topic);
    return error;
  }

  std::vector<TopicInfo> topics() const {
    std::lock_guard lock(mutex_);
    return topics_;
  }

  std::optional<TopicInfo> find_topic(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return find_locked(name);
  }

  rd_kafka_resp_err_t set_broker_up(int32_t id, bool up) {
    std::lock_guard lock(mutex_);
    return up ? rd_kafka_mock_broker_set_up(cluster_, id)
              : rd_kafka_mock_broker_set_down(cluster_, id);
  }

  // Errors go on a cluster-wide stack per API: the next `count` such requests, to any broker,
  // fail with `error`.
  void push_request_errors(int16_t api_key, rd_kafka_resp_err_t error, std::size_t count) {
    std::lock_guard lock(mutex_);
    const std::vector<rd_kafka_resp_err_t> errors(count, error);
    rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
  }

  void clear_request_errors(int16_t api_key) {
    std::lock_guard lock(mutex_);
    rd_kafka_mock_clear_request_errors(cluster_, api_key);
  }

  rd_kafka_resp_err_t set_leader(const std::string& topic, int32_t partition, int32_t broker) {
    std::lock_guard lock(mutex_);
    return rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, broker);
  }

 private:
  std::optional<TopicInfo> find_locked(const std::string& name) const {
    const auto found = std::find_if(topics_.begin(), topics_.end(),
                                    [&](const TopicInfo& topic) { return topic.name == name; });
    if (found == topics_.end()) return std::nullopt;
    return *found;
  }

  const int brokers_;
  rd_kafka_t* const host_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string epoch_topic_;
  mutable std::mutex mutex_;
  std::vector<TopicInfo> topics_;
};

std::vector<TopicInfo> startup_topics(const Options& options) {
  std::vector<std::string> names;
  for (const std::string& topic : kPlatformTopics) {
    names.push_back(topic);
    names.push_back(topic + ".dlq");
  }
  for (const std::string& topic : options.extra_topics) {
    if (std::find(names.begin(), names.end(), topic) == names.end()) names.push_back(topic);
  }
  std::vector<TopicInfo> topics;
  for (const std::string& name : names) {
    topics.push_back({name, options.partitions, *options.replication});
  }
  return topics;
}

void create_startup_topics(MockCluster& cluster, const Options& options) {
  for (const TopicInfo& topic : startup_topics(options)) {
    const rd_kafka_resp_err_t error = cluster.create_topic(topic);
    if (error == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      // A client reached a broker in the instant before it was taken down.
      log_line("topic " + topic.name + " was already created by a client");
    } else if (error) {
      throw std::runtime_error("cannot create topic " + topic.name + ": " +
                               rd_kafka_err2name(error));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Control API

// Thrown by request parsing; becomes a 400 with the message as the error.
struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Reply {
  int status = 200;
  json body;
  std::string summary;  // what the log line says happened
};

Reply ok(json body, std::string summary) {
  return {200, std::move(body), std::move(summary)};
}

Reply fail(int status, const std::string& message) {
  return {status, {{"error", message}}, message};
}

// Unknown fields are refused rather than ignored, so a typo ("partition") is not silently lost.
json parse_body(const std::string& text, std::initializer_list<std::string_view> allowed) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) throw BadRequest("body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      throw BadRequest("unknown field '" + key + "'");
    }
  }
  return body;
}

std::string string_field(const json& body, const std::string& key) {
  const auto found = body.find(key);
  if (found == body.end() || !found->is_string()) {
    throw BadRequest("field '" + key + "' must be a string");
  }
  return found->get<std::string>();
}

int int_field(const json& body, const std::string& key, std::optional<int> fallback = {}) {
  const auto found = body.find(key);
  if (found == body.end() && fallback) return *fallback;
  if (found == body.end() || !found->is_number_integer()) {
    throw BadRequest("field '" + key + "' must be an integer");
  }
  const int64_t value = found->get<int64_t>();
  if (value < INT32_MIN || value > INT32_MAX) throw BadRequest("field '" + key + "' is too large");
  return static_cast<int>(value);
}

void require_range(const std::string& key, int value, int low, int high) {
  if (value < low || value > high) {
    throw BadRequest(key + " must be between " + std::to_string(low) + " and " +
                     std::to_string(high));
  }
}

std::optional<int16_t> api_key_by_name(std::string_view name) {
  for (const auto& [api, key] : kApiKeys) {
    if (api == name) return key;
  }
  return std::nullopt;
}

// Any error a broker can send is accepted, by its rd_kafka_resp_err_t name with or without the
// RD_KAFKA_RESP_ERR_ prefix. librdkafka's internal errors (negative codes) never cross the wire.
std::optional<rd_kafka_resp_err_t> broker_error_by_name(std::string_view name) {
  constexpr std::string_view kPrefix = "RD_KAFKA_RESP_ERR_";
  if (name.starts_with(kPrefix)) name.remove_prefix(kPrefix.size());
  const rd_kafka_err_desc* descriptions = nullptr;
  std::size_t count = 0;
  rd_kafka_get_err_descs(&descriptions, &count);
  for (std::size_t i = 0; i < count; ++i) {
    const rd_kafka_err_desc& description = descriptions[i];
    if (description.code > 0 && description.name != nullptr && name == description.name) {
      return description.code;
    }
  }
  return std::nullopt;
}

std::string api_names() {
  std::string names;
  for (const auto& [api, key] : kApiKeys) names += (names.empty() ? "" : ", ") + api;
  return names;
}

struct BrokerChange {
  std::string id;
  bool up = false;
};

// Parses "/brokers/{id}/down" and "/brokers/{id}/up". Done by hand rather than with std::regex:
// the pre-routing handler needs it too, and GCC 12 warns inside <regex> under the sanitizers.
std::optional<BrokerChange> parse_broker_path(std::string_view path) {
  constexpr std::string_view kPrefix = "/brokers/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  const std::size_t slash = path.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  const std::string_view state = path.substr(slash + 1);
  if (state != "down" && state != "up") return std::nullopt;
  return BrokerChange{std::string(path.substr(0, slash)), state == "up"};
}

class ControlApi {
 public:
  ControlApi(MockCluster& cluster, const Options& options) : cluster_(cluster), options_(options) {}

  void install(httplib::Server& server) {
    server.Get("/healthz", wrap(&ControlApi::health));
    server.Get("/topics", wrap(&ControlApi::list_topics));
    server.Post("/topics", wrap(&ControlApi::create_topic));
    server.Post(R"(/brokers/[^/]+/(down|up))", wrap(&ControlApi::set_broker_state));
    server.Post("/errors", wrap(&ControlApi::push_errors));
    server.Delete(R"(/errors/([^/]+))", wrap(&ControlApi::clear_errors));
    server.Post("/leader", wrap(&ControlApi::move_leader));
    server.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          return serve_bodyless_broker_request(request, response);
        });
    // Runs for every status >= 400; fills in a JSON body only where no handler wrote one, which
    // means httplib itself answered.
    server.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
      if (!response.body.empty()) return;
      std::string message = "request failed";
      if (response.status == 404) message = "no route " + request.method + " " + request.path;
      if (response.status == 400) message = "bad request (a POST needs a body or Content-Length)";
      response.set_content(json{{"error", message}}.dump() + "\n", "application/json");
    });
  }

 private:
  using Action = Reply (ControlApi::*)(const httplib::Request&);
  using Result = httplib::Server::HandlerResponse;

  // Turns an action's Reply, or its exception, into the HTTP response and logs what changed.
  // Reads are not logged: health checks would drown the actions.
  static void respond(const httplib::Request& request, httplib::Response& response,
                      const std::function<Reply()>& action) {
    Reply reply;
    try {
      reply = action();
    } catch (const BadRequest& error) {
      reply = fail(400, error.what());
    } catch (const std::exception& error) {
      reply = fail(500, error.what());
    }
    response.status = reply.status;
    response.set_content(reply.body.dump() + "\n", "application/json");
    if (request.method != "GET") {
      log_line(request.method + " " + request.path + " -> " + std::to_string(reply.status) + " " +
               reply.summary);
    }
  }

  httplib::Server::Handler wrap(Action action) {
    return [this, action](const httplib::Request& request, httplib::Response& response) {
      respond(request, response, [&] { return (this->*action)(request); });
    };
  }

  // `curl -X POST .../brokers/1/down` sends no Content-Length, and httplib 0.11 answers any such
  // POST with 400 before routing. Broker routes take no body, so they are served here, ahead of
  // that check; every other request goes on to the normal routes.
  Result serve_bodyless_broker_request(const httplib::Request& request,
                                       httplib::Response& response) {
    const bool has_body_framing =
        request.has_header("Content-Length") || request.has_header("Transfer-Encoding");
    if (request.method != "POST" || has_body_framing || !parse_broker_path(request.path)) {
      return Result::Unhandled;
    }
    respond(request, response, [&] { return set_broker_state(request); });
    return Result::Handled;
  }

  Reply health(const httplib::Request&) {
    return ok({{"status", "ok"},
               {"bootstrap", cluster_.bootstraps()},
               {"epoch_topic", cluster_.epoch_topic()}},
              "healthy");
  }

  Reply list_topics(const httplib::Request&) {
    json topics = json::array();
    for (const TopicInfo& topic : cluster_.topics()) topics.push_back(to_json(topic));
    return ok({{"topics", topics}}, "listed topics");
  }

  Reply create_topic(const httplib::Request& request) {
    const json body = parse_body(request.body, {"name", "partitions", "replication"});
    const TopicInfo topic{string_field(body, "name"),
                          int_field(body, "partitions", options_.partitions),
                          int_field(body, "replication", options_.replication)};
    if (!is_valid_topic_name(topic.name)) {
      throw BadRequest("invalid topic name '" + topic.name + "'");
    }
    require_range("partitions", topic.partitions, 1, kMaxPartitions);
    require_range("replication", topic.replication, 1, cluster_.brokers());
    const rd_kafka_resp_err_t error = cluster_.create_topic(topic);
    if (error == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return fail(409, "topic " + topic.name + " already exists");
    }
    if (error) return fail(500, std::string("mock refused the topic: ") + rd_kafka_err2name(error));
    return ok(to_json(topic), "created topic " + topic.name + " (" +
                                  std::to_string(topic.partitions) + " partitions, replication " +
                                  std::to_string(topic.replication) + ")");
  }

  Reply set_broker_state(const httplib::Request& request) {
    const std::optional<BrokerChange> change = parse_broker_path(request.path);
    if (!change) return fail(404, "no route " + request.path);
    const std::optional<int> id = parse_int(change->id);
    const bool up = change->up;
    if (!id || !cluster_.has_broker(*id)) {
      return fail(404, "no broker " + change->id + " (brokers are 1.." +
                           std::to_string(cluster_.brokers()) + ")");
    }
    const rd_kafka_resp_err_t error = cluster_.set_broker_up(*id, up);
    if (error) return fail(500, std::string("mock refused: ") + rd_kafka_err2name(error));
    const std::string state = up ? "up" : "down";
    return ok({{"broker", *id}, {"state", state}}, "broker " + std::to_string(*id) + " " + state);
  }

  Reply push_errors(const httplib::Request& request) {
    const json body = parse_body(request.body, {"api", "error", "count"});
    const std::string api = string_field(body, "api");
    const std::string error_name = string_field(body, "error");
    const int count = int_field(body, "count", 1);
    const std::optional<int16_t> api_key = api_key_by_name(api);
    if (!api_key) throw BadRequest("unknown api '" + api + "' (known: " + api_names() + ")");
    const std::optional<rd_kafka_resp_err_t> error = broker_error_by_name(error_name);
    if (!error) throw BadRequest("unknown broker error '" + error_name + "'");
    require_range("count", count, 1, kMaxInjectedErrors);
    cluster_.push_request_errors(*api_key, *error, static_cast<std::size_t>(count));
    return ok({{"api", api},
               {"api_key", *api_key},
               {"error", rd_kafka_err2name(*error)},
               {"count", count}},
              "next " + std::to_string(count) + " " + api + " requests fail with " +
                  rd_kafka_err2name(*error));
  }

  // Injected errors outlive the test that pushed them; this lets the next one start clean.
  Reply clear_errors(const httplib::Request& request) {
    const std::string api = request.matches[1].str();
    const std::optional<int16_t> api_key = api_key_by_name(api);
    if (!api_key) return fail(404, "unknown api '" + api + "' (known: " + api_names() + ")");
    cluster_.clear_request_errors(*api_key);
    return ok({{"api", api}, {"api_key", *api_key}, {"cleared", true}},
              "cleared injected " + api + " errors");
  }

  // Only topics devbroker created are accepted: for an unknown topic the mock would silently
  // create one, which is never what a leader move means.
  Reply move_leader(const httplib::Request& request) {
    const json body = parse_body(request.body, {"topic", "partition", "broker"});
    const std::string topic = string_field(body, "topic");
    const int partition = int_field(body, "partition");
    const int broker = int_field(body, "broker");
    const std::optional<TopicInfo> known = cluster_.find_topic(topic);
    if (!known) return fail(404, "no topic " + topic + " created by devbroker");
    require_range("partition", partition, 0, known->partitions - 1);
    require_range("broker", broker, 1, cluster_.brokers());
    const rd_kafka_resp_err_t error = cluster_.set_leader(topic, partition, broker);
    if (error) return fail(500, std::string("mock refused: ") + rd_kafka_err2name(error));
    return ok({{"topic", topic}, {"partition", partition}, {"broker", broker}},
              "leader of " + topic + "[" + std::to_string(partition) + "] is now broker " +
                  std::to_string(broker));
  }

  MockCluster& cluster_;
  const Options& options_;
};

// ---------------------------------------------------------------------------------------------
// Process plumbing

// Readers poll for these files: a renamed, finished temp file is never seen half-written.
void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << content;  // no newline: the content is used verbatim as a config value
    out.close();
    if (!out) throw std::runtime_error("cannot write " + temp);
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) {
    std::filesystem::remove(temp, error);
    throw std::runtime_error("cannot rename " + temp + " to " + path);
  }
}

// Blocked before any thread starts, so every librdkafka and HTTP thread inherits the mask and the
// main thread alone receives the stop signals, through sigwait, where shutdown is safe.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client hanging up mid-response must not kill the broker
  return signals;
}

// Serves the control API on its own thread; stopping and joining happen in the destructor so that
// every exit path, including exceptions, leaves no thread running.
class ControlServer {
 public:
  ControlServer(MockCluster& cluster, const Options& options) : api_(cluster, options) {
    api_.install(server_);
    // httplib's default SO_REUSEPORT would let a second devbroker bind the same port and split
    // control requests between two clusters; SO_REUSEADDR alone still allows a quick restart.
    server_.set_socket_options([](socket_t socket) {
      const int yes = 1;
      setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
  }

  ~ControlServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Returns the address actually bound, with the real port when port 0 asked for any free one.
  Address bind(const Address& wanted) {
    int port = wanted.port;
    if (port == 0) {
      port = server_.bind_to_any_port(wanted.host);
    } else if (!server_.bind_to_port(wanted.host, port)) {
      port = -1;
    }
    if (port <= 0) {
      throw std::runtime_error("cannot bind control API to " + wanted.host + ":" +
                               std::to_string(wanted.port));
    }
    return {wanted.host, port};
  }

  // A server that dies on its own wakes the main thread with SIGTERM, like an operator would.
  // Waits until the server runs: httplib's stop() does nothing before that, and a stop that is
  // lost would leave the destructor joining forever.
  void start() {
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      finished_ = true;
      if (!stopping_) kill(getpid(), SIGTERM);
    });
    while (!server_.is_running() && !finished_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (finished_) throw std::runtime_error("control API failed to start");
  }

  void stop() {
    stopping_ = true;
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  bool failed() const { return finished_ && !stopping_; }

 private:
  ControlApi api_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> stopping_{false};
};

std::string signal_name(int signal_number) {
  return signal_number == SIGINT ? "SIGINT" : "SIGTERM";
}

int run(const Options& options) {
  const sigset_t stop_signals = block_stop_signals();
  MockCluster cluster(options.brokers, options.port);
  // Clients of a restarted devbroker are already knocking on the fixed ports, and the mock
  // creates any topic a producer asks about, with its own partition count: keep the brokers down
  // until the platform topics exist.
  for (int id = 1; id <= cluster.brokers(); ++id) cluster.set_broker_up(id, false);
  create_startup_topics(cluster, options);
  for (int id = 1; id <= cluster.brokers(); ++id) cluster.set_broker_up(id, true);
  ControlServer control(cluster, options);
  const Address control_address = control.bind(options.control);
  control.start();
  const std::string control_text =
      control_address.host + ":" + std::to_string(control_address.port);
  if (!options.control_file.empty()) write_file_atomically(options.control_file, control_text);
  write_file_atomically(options.bootstrap_file, cluster.bootstraps());
  log_line("ready: " + std::to_string(options.brokers) +
           (options.brokers == 1 ? " broker at " : " brokers at ") + cluster.bootstraps() + ", " +
           std::to_string(cluster.topics().size()) + " topics, epoch " + cluster.epoch_topic() +
           ", control API http://" + control_text);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  const bool server_failed = control.failed();
  log_line(server_failed ? "control API stopped unexpectedly, shutting down"
                         : signal_name(signal_number) + " received, shutting down");
  control.stop();
  return server_failed ? 1 : 0;  // the cluster is destroyed on the way out of this scope
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_options(argc, argv);
  } catch (const UsageError& error) {
    std::fprintf(stderr, "devbroker: %s\n%s", error.what(), kUsage);
    return 2;
  }
  try {
    const int status = run(options);
    log_line("stopped");
    return status;
  } catch (const std::exception& error) {
    log_line(std::string("fatal: ") + error.what());
    return 1;
  }
}
