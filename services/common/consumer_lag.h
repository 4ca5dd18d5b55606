// How far a consumer group is behind on a topic, read from the brokers the way
// kafka-consumer-groups.sh --describe reads it: per partition, the high watermark minus the
// group's committed offset (the low watermark when the group has committed nothing there).
// The group is only asked, never joined: the probe subscribes to nothing and commits nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace RdKafka {
class KafkaConsumer;
}

namespace aftercare::kit {

struct GroupLag {
  int64_t lag = 0;        // events the group has not committed yet, all partitions
  int64_t committed = 0;  // the sum of its committed offsets (consumed so far, for a rate)
};

class ConsumerLagProbe {
 public:
  // `bootstrap` is asked again on every read, so a broker restarted on new ports is found.
  ConsumerLagProbe(std::function<std::string()> bootstrap, std::string group, std::string topic);
  ~ConsumerLagProbe();
  // nullopt when the brokers did not answer in `timeout` (or the topic does not exist yet).
  std::optional<GroupLag> read(std::chrono::milliseconds timeout);

 private:
  std::function<std::string()> bootstrap_;
  std::string group_, topic_, connected_to_;
  std::unique_ptr<RdKafka::KafkaConsumer> client_;
};

}  // namespace aftercare::kit
