// What integration tests need from the real servers that tests/run starts: addresses from the
// environment, fresh databases, topics on devbroker, and polling with a deadline.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace aftercare::testing {

// The value of a required variable; throws with a pointer to tests/run when it is missing.
std::string require_env(const char* name);

// Drops and recreates database `name` on the test server and returns its URL.
std::string fresh_database(const std::string& name);
std::string kafka_bootstrap();
std::string redis_addr();

// POST to devbroker's control interface; returns the HTTP status.
int devbroker_post(const std::string& path, const std::string& json_body = "{}");
// Creates a topic with a unique name (prefix + random suffix) and returns the name.
std::string create_topic(const std::string& prefix, int partitions = 3);

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

struct Record {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
  int32_t partition;
  int64_t offset;
};
// Reads `topic` from the beginning with a new consumer group until at least `min_count`
// records arrived (or `timeout`), then keeps reading until nothing new came for `quiet`, so
// extra copies are seen too.
std::vector<Record> read_topic(const std::string& topic, size_t min_count,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30),
                               std::chrono::milliseconds quiet = std::chrono::milliseconds(1500));

}  // namespace aftercare::testing
