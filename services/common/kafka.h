// librdkafka plumbing shared by the outbox relay and the consumer: client configuration and a
// producer that waits for delivery reports of a batch.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace aftercare::kit {

using KafkaSettings = std::map<std::string, std::string>;

// Builds an RdKafka::Conf from settings; throws std::runtime_error naming the bad setting.
std::unique_ptr<RdKafka::Conf> make_kafka_conf(const KafkaSettings& settings);

struct OutgoingMessage {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct DeliveryResult {
  RdKafka::ErrorCode error = RdKafka::ERR_NO_ERROR;
  int32_t partition = -1;
  int64_t offset = -1;
  bool delivered() const { return error == RdKafka::ERR_NO_ERROR; }
};

// An idempotent producer (enable.idempotence=true, acks=all) that publishes a batch and waits
// for every delivery report. librdkafka 2.0.2 can raise a fatal idempotence error after broker
// restarts; the producer then reports fatal() and its owner must recreate it.
class BatchProducer {
 public:
  explicit BatchProducer(const std::string& bootstrap, const KafkaSettings& extra = {});
  ~BatchProducer();

  // One result per message, in order. Waits at most `timeout` for the reports.
  std::vector<DeliveryResult> publish(const std::vector<OutgoingMessage>& batch,
                                      std::chrono::milliseconds timeout);
  // Non-empty when the producer hit a fatal error and must be replaced.
  std::string fatal_error();

 private:
  class DeliveryCollector;
  std::unique_ptr<DeliveryCollector> collector_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

}  // namespace aftercare::kit
