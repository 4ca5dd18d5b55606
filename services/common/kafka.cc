#include "common/kafka.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string_view>

namespace aftercare::kit {
namespace {
// Must match devbroker's kEpochTopicPrefix (deploy/local/devbroker/devbroker.cc).
constexpr std::string_view kDevbrokerEpochPrefix = "__devbroker.epoch.";
}  // namespace

std::string cluster_identity(RdKafka::Handle& client, std::chrono::milliseconds timeout) {
  RdKafka::Metadata* raw = nullptr;
  if (client.metadata(/*all_topics=*/true, nullptr, &raw, static_cast<int>(timeout.count())) !=
      RdKafka::ERR_NO_ERROR)
    return {};
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::string epoch;
  for (const RdKafka::TopicMetadata* topic : *metadata->topics())
    if (topic->topic().starts_with(kDevbrokerEpochPrefix)) epoch = topic->topic();
  // The Metadata response just received carried the cluster id: no further wait.
  std::string id = client.clusterid(0);
  if (id.empty()) id = "unknown";
  return epoch.empty() ? id : id + "/" + epoch.substr(kDevbrokerEpochPrefix.size());
}

void ConnectionEvents::event_cb(RdKafka::Event& event) {
  if (event.type() != RdKafka::Event::EVENT_ERROR) return;
  switch (event.err()) {
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__RESOLVE:
      lost_ = true;
      break;
    default:
      break;
  }
  spdlog::warn("kafka {}: {} ({})", client_, event.str(), RdKafka::err2str(event.err()));
}

std::unique_ptr<RdKafka::Conf> make_kafka_conf(const KafkaSettings& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : settings)
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK)
      throw std::runtime_error("kafka setting " + k + ": " + err);
  return conf;
}

// Records each message's delivery report under the sequence number carried as its opaque.
// Keyed by number, not by pointer, so a report that arrives after publish() gave up on it
// cannot write into freed memory. Reports are served by poll() on the publishing thread.
class BatchProducer::DeliveryCollector : public RdKafka::DeliveryReportCb, public ConnectionEvents {
 public:
  DeliveryCollector() : ConnectionEvents("producer") {}
  void dr_cb(RdKafka::Message& message) override {
    auto seq = reinterpret_cast<uintptr_t>(message.msg_opaque());
    auto it = pending.find(seq);
    if (it == pending.end()) return;  // a straggler from an earlier batch
    results[it->second] = {message.err(), message.partition(), message.offset()};
    pending.erase(it);
  }
  std::map<uintptr_t, size_t> pending;  // sequence number -> index in results
  std::vector<DeliveryResult> results;
  uintptr_t next_seq = 1;
};

BatchProducer::BatchProducer(const std::string& bootstrap, const KafkaSettings& extra)
    : collector_(std::make_unique<DeliveryCollector>()) {
  KafkaSettings settings = {
      {"bootstrap.servers", bootstrap},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "2"},
      {"message.timeout.ms", "20000"},
  };
  for (const auto& [k, v] : extra) settings[k] = v;
  auto conf = make_kafka_conf(settings);
  std::string err;
  conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(collector_.get()), err);
  conf->set("event_cb", static_cast<RdKafka::EventCb*>(collector_.get()), err);
  producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!producer_) throw std::runtime_error("kafka producer: " + err);
}

BatchProducer::~BatchProducer() {
  if (producer_) producer_->flush(5000);
}

std::vector<DeliveryResult> BatchProducer::publish(const std::vector<OutgoingMessage>& batch,
                                                   std::chrono::milliseconds timeout) {
  DeliveryCollector& c = *collector_;
  c.pending.clear();
  c.results.assign(batch.size(), DeliveryResult{RdKafka::ERR__TIMED_OUT, -1, -1});
  for (size_t i = 0; i < batch.size(); ++i) {
    const OutgoingMessage& m = batch[i];
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [k, v] : m.headers) headers->add(k, v);
    uintptr_t seq = c.next_seq++;
    RdKafka::ErrorCode err;
    do {
      err =
          producer_->produce(m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                             const_cast<char*>(m.value.data()), m.value.size(), m.key.data(),
                             m.key.size(), 0, headers, reinterpret_cast<void*>(seq));
      if (err == RdKafka::ERR__QUEUE_FULL) producer_->poll(50);
    } while (err == RdKafka::ERR__QUEUE_FULL);
    if (err == RdKafka::ERR_NO_ERROR) {
      c.pending[seq] = i;
    } else {
      delete headers;  // librdkafka takes ownership only on success
      c.results[i].error = err;
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!c.pending.empty() && std::chrono::steady_clock::now() < deadline) producer_->poll(20);
  c.pending.clear();  // anything still unreported counts as not delivered (and is retried)
  return std::move(c.results);
}

std::string BatchProducer::cluster_identity(std::chrono::milliseconds timeout) {
  return kit::cluster_identity(*producer_, timeout);
}

bool BatchProducer::take_connection_lost() {
  producer_->poll(0);  // serves the event callback
  return collector_->take_connection_lost();
}

std::string BatchProducer::fatal_error() {
  std::string err;
  return producer_->fatal_error(err) != RdKafka::ERR_NO_ERROR ? err : std::string();
}

}  // namespace aftercare::kit
