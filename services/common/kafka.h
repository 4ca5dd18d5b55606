// librdkafka plumbing shared by the outbox relay and the consumer: client configuration and a
// producer that waits for delivery reports of a batch.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace aftercare::kit {

using KafkaSettings = std::map<std::string, std::string>;

// Builds an RdKafka::Conf from settings; throws std::runtime_error naming the bad setting.
std::unique_ptr<RdKafka::Conf> make_kafka_conf(const KafkaSettings& settings);

// Which cluster a client talks to: Kafka's cluster id, plus devbroker's epoch topic when there is
// one (a restarted devbroker is a new, empty cluster, and its mock cluster id may repeat). Asks the
// brokers with a Metadata request; empty when none answered within `timeout`.
std::string cluster_identity(RdKafka::Handle& client, std::chrono::milliseconds timeout);

// A client's event callback: logs errors and remembers that a broker connection failed (a broker
// restarted or went away), which is when its owner should check cluster_identity again.
class ConnectionEvents : public RdKafka::EventCb {
 public:
  explicit ConnectionEvents(std::string client) : client_(std::move(client)) {}
  void event_cb(RdKafka::Event& event) override;
  // True once after a connection failure.
  bool take_connection_lost() { return lost_.exchange(false); }

 private:
  std::string client_;
  std::atomic<bool> lost_{false};
};

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
  // See cluster_identity() above.
  std::string cluster_identity(std::chrono::milliseconds timeout);
  // True once after a broker connection failed since the last call.
  bool take_connection_lost();

 private:
  class DeliveryCollector;
  std::unique_ptr<DeliveryCollector> collector_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

}  // namespace aftercare::kit
