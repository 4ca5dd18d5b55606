#include "common/consumer_lag.h"

#include <librdkafka/rdkafkacpp.h>

#include <vector>

#include "common/kafka.h"

namespace aftercare::kit {

ConsumerLagProbe::ConsumerLagProbe(std::function<std::string()> bootstrap, std::string group,
                                   std::string topic)
    : bootstrap_(std::move(bootstrap)), group_(std::move(group)), topic_(std::move(topic)) {}

ConsumerLagProbe::~ConsumerLagProbe() {
  if (client_) client_->close();
}

std::optional<GroupLag> ConsumerLagProbe::read(std::chrono::milliseconds timeout) {
  const int ms = static_cast<int>(timeout.count());
  std::string bootstrap = bootstrap_();
  if (!client_ || bootstrap != connected_to_) {
    if (client_) client_->close();
    client_.reset();
    // The group's id lets the client ask the group's coordinator for its committed offsets.
    auto conf = make_kafka_conf({{"bootstrap.servers", bootstrap},
                                 {"group.id", group_},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"}});
    std::string err;
    client_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!client_) return std::nullopt;
    connected_to_ = bootstrap;
  }
  std::string err;
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(client_.get(), topic_, nullptr, err));
  if (!topic) return std::nullopt;
  RdKafka::Metadata* raw = nullptr;
  if (client_->metadata(false, topic.get(), &raw, ms) != RdKafka::ERR_NO_ERROR) return std::nullopt;
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<int32_t> partitions;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() != topic_ || t->err() != RdKafka::ERR_NO_ERROR) continue;
    for (const RdKafka::PartitionMetadata* p : *t->partitions()) partitions.push_back(p->id());
  }
  if (partitions.empty()) return std::nullopt;

  std::vector<RdKafka::TopicPartition*> offsets;
  for (int32_t p : partitions) offsets.push_back(RdKafka::TopicPartition::create(topic_, p));
  struct Free {
    std::vector<RdKafka::TopicPartition*>& v;
    ~Free() { RdKafka::TopicPartition::destroy(v); }
  } free_offsets{offsets};
  if (client_->committed(offsets, ms) != RdKafka::ERR_NO_ERROR) return std::nullopt;

  GroupLag out;
  for (RdKafka::TopicPartition* tp : offsets) {
    int64_t low = 0, high = 0;
    if (client_->query_watermark_offsets(topic_, tp->partition(), &low, &high, ms) !=
        RdKafka::ERR_NO_ERROR)
      return std::nullopt;
    // RdKafka::Topic::OFFSET_INVALID (-1001): nothing committed, so everything kept is unread.
    int64_t position = tp->offset() >= 0 ? tp->offset() : low;
    out.lag += std::max<int64_t>(0, high - position);
    out.committed += position;
  }
  return out;
}

}  // namespace aftercare::kit
