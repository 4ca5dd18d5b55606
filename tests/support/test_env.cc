#include "support/test_env.h"

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>

namespace aftercare::testing {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty())
    throw std::runtime_error("cannot read " + path);
  return line;
}

std::string random_suffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng() % 1000000000);
}

}  // namespace

std::string require_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    throw std::runtime_error(std::string(name) +
                             " is not set: integration tests run through tests/run, which starts "
                             "PostgreSQL, Redis and devbroker");
  return v;
}

std::string fresh_database(const std::string& name) {
  std::string admin = require_env("AFTERCARE_TEST_PG_URL");
  {
    pqxx::connection c(admin);
    pqxx::nontransaction q(c);
    q.exec("DROP DATABASE IF EXISTS " + q.quote_name(name) + " WITH (FORCE)");
    q.exec("CREATE DATABASE " + q.quote_name(name));
  }
  auto slash = admin.rfind('/');
  return admin.substr(0, slash + 1) + name;
}

std::string kafka_bootstrap() {
  return first_line(require_env("AFTERCARE_TEST_KAFKA_BOOTSTRAP_FILE"));
}

std::string redis_addr() {
  return require_env("AFTERCARE_TEST_REDIS");
}

int devbroker_post(const std::string& path, const std::string& json_body) {
  std::string control = first_line(require_env("AFTERCARE_TEST_DEVBROKER_CONTROL_FILE"));
  auto colon = control.rfind(':');
  httplib::Client client(control.substr(0, colon), std::stoi(control.substr(colon + 1)));
  auto res = client.Post(path.c_str(), json_body, "application/json");
  if (!res) throw std::runtime_error("devbroker control " + control + " unreachable");
  return res->status;
}

std::string create_topic(const std::string& prefix, int partitions) {
  std::string name = prefix + "." + random_suffix();
  int status = devbroker_post(
      "/topics", R"({"name":")" + name + R"(","partitions":)" + std::to_string(partitions) + "}");
  if (status != 200) throw std::runtime_error("devbroker refused topic " + name);
  return name;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

std::vector<Record> read_topic(const std::string& topic, size_t min_count,
                               std::chrono::milliseconds timeout, std::chrono::milliseconds quiet) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", kafka_bootstrap(), err);
  conf->set("group.id", "test-reader-" + random_suffix(), err);
  conf->set("auto.offset.reset", "earliest", err);
  conf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) throw std::runtime_error(err);
  consumer->subscribe({topic});
  std::vector<Record> records;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto last_new = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    if (records.size() >= min_count && std::chrono::steady_clock::now() - last_new > quiet) break;
    std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    Record r{m->key() ? *m->key() : "",
             std::string(static_cast<const char*>(m->payload()), m->len()),
             {},
             m->partition(),
             m->offset()};
    if (const RdKafka::Headers* h = m->headers())
      for (const auto& header : h->get_all())
        r.headers[header.key()] =
            std::string(static_cast<const char*>(header.value()), header.value_size());
    records.push_back(std::move(r));
    last_new = std::chrono::steady_clock::now();
  }
  consumer->close();
  return records;
}

}  // namespace aftercare::testing
