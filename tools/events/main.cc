// aftercare-events: prints AfterCare's domain events from Kafka as JSON lines, for analytics and
// operators (no repository checkout, no protoc needed):
//
//   aftercare-events [--bootstrap HOST:PORT,...] [--from beginning|end|OFFSET|TIME] [--follow]
//                    [--max N] [--scan] TOPIC...
//
// Each line is {"topic","partition","offset","timestamp_ms","event":{...}}, the event in the
// public JSON mapping (kit::to_json: enum names in lower case without their prefix, int64 as
// numbers, timestamps in RFC 3339; the same as the HTTP API). --from: `beginning` (default), `end`,
// an offset (every partition from that offset), or a time (RFC 3339 such as
// 2026-12-01T00:00:00Z, or epoch milliseconds with a trailing `ms`): the first event at or after
// it; --scan reads from the beginning and filters by time instead of asking the broker for the
// offsets (for brokers without timestamp lookup, such as librdkafka's mock cluster that
// deploy/local's devbroker runs). Without --follow it stops when every partition is read to its
// end. The bootstrap list defaults to AFTERCARE_KAFKA_BOOTSTRAP (or the first line of
// AFTERCARE_KAFKA_BOOTSTRAP_FILE). Reads without a consumer group: it never commits offsets or
// disturbs the services' groups. A value that is not an Event (a dead letter's raw bytes, say) is
// printed with "error" and its bytes in base64 instead of "event".
#include <absl/strings/escaping.h>
#include <absl/time/time.h>
#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "aftercare/v1/events.pb.h"
#include "common/json_codec.h"

namespace {

struct Options {
  std::string bootstrap;
  std::string from = "beginning";
  bool follow = false;
  bool scan = false;
  long long max = -1;
  std::vector<std::string> topics;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "aftercare-events: %s\nusage: aftercare-events [--bootstrap HOST:PORT,...] "
               "[--from beginning|end|OFFSET|TIME] [--follow] [--max N] [--scan] TOPIC...\n",
               why.c_str());
  std::exit(2);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--bootstrap")
      o.bootstrap = value();
    else if (a == "--from")
      o.from = value();
    else if (a == "--follow")
      o.follow = true;
    else if (a == "--scan")
      o.scan = true;
    else if (a == "--max")
      o.max = std::stoll(value());
    else if (a == "--help" || a == "-h")
      usage("help");
    else if (a.starts_with("--"))
      usage("unknown flag " + a);
    else
      o.topics.push_back(a);
  }
  if (o.topics.empty()) usage("name at least one topic");
  if (o.bootstrap.empty()) o.bootstrap = env("AFTERCARE_KAFKA_BOOTSTRAP");
  if (o.bootstrap.empty() && !env("AFTERCARE_KAFKA_BOOTSTRAP_FILE").empty()) {
    std::ifstream in(env("AFTERCARE_KAFKA_BOOTSTRAP_FILE"));
    std::getline(in, o.bootstrap);
  }
  if (o.bootstrap.empty()) usage("no bootstrap list (--bootstrap or AFTERCARE_KAFKA_BOOTSTRAP)");
  return o;
}

// --from as a start: an offset for every partition, or a time in epoch ms (is_time).
struct Start {
  int64_t offset = RdKafka::Topic::OFFSET_BEGINNING;
  bool is_time = false;
};

Start start_of(const std::string& from) {
  if (from == "beginning") return {};
  if (from == "end") return {RdKafka::Topic::OFFSET_END, false};
  if (from.size() > 2 && from.ends_with("ms") &&
      from.find_first_not_of("0123456789") == from.size() - 2)
    return {std::stoll(from.substr(0, from.size() - 2)), true};
  if (!from.empty() && from.find_first_not_of("0123456789") == std::string::npos)
    return {std::stoll(from), false};
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, from, &t, &err))
    usage("--from " + from + ": not beginning, end, an offset or an RFC 3339 time (" + err + ")");
  return {absl::ToUnixMillis(t), true};
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  Start start = start_of(o.from);
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  // A group id is required by the consumer API; it is never joined (assign, not subscribe) and
  // nothing is committed.
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", o.bootstrap},
           {"group.id", "aftercare-events-" + std::to_string(getpid())},
           {"client.id", "aftercare-events"},
           {"enable.auto.commit", "false"},
           {"enable.auto.offset.store", "false"},
           {"enable.partition.eof", "true"},
           {"fetch.wait.max.ms", "100"}})
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) usage(k + ": " + err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) usage("kafka: " + err);

  std::vector<RdKafka::TopicPartition*> parts;
  for (const auto& topic : o.topics) {
    std::unique_ptr<RdKafka::Topic> handle(
        RdKafka::Topic::create(consumer.get(), topic, nullptr, err));
    RdKafka::Metadata* md = nullptr;
    if (consumer->metadata(false, handle.get(), &md, 10000) != RdKafka::ERR_NO_ERROR || !md)
      usage("no metadata for topic " + topic);
    std::unique_ptr<RdKafka::Metadata> owned(md);
    for (const auto* t : *md->topics()) {
      if (t->err() != RdKafka::ERR_NO_ERROR)
        usage("topic " + topic + ": " + RdKafka::err2str(t->err()));
      for (const auto* p : *t->partitions())
        parts.push_back(RdKafka::TopicPartition::create(topic, p->id(), start.offset));
    }
  }
  // A time: the broker finds each partition's first offset at or after it (OFFSET_END when there
  // is none). A broker that cannot (librdkafka's mock cluster) is read from the beginning; the
  // time filter below is exact either way.
  if (start.is_time) {
    bool looked_up = !o.scan && consumer->offsetsForTimes(parts, 10000) == RdKafka::ERR_NO_ERROR;
    for (auto* p : parts) looked_up = looked_up && p->err() == RdKafka::ERR_NO_ERROR;
    if (!looked_up) {
      if (!o.scan) std::fprintf(stderr, "aftercare-events: no offset lookup by time, scanning\n");
      for (auto* p : parts) p->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
    }
  }
  if (consumer->assign(parts) != RdKafka::ERR_NO_ERROR) usage("cannot assign the partitions");
  std::set<std::pair<std::string, int32_t>> open;
  for (auto* p : parts) open.insert({p->topic(), p->partition()});
  RdKafka::TopicPartition::destroy(parts);

  long long printed = 0;
  while ((o.follow || !open.empty()) && (o.max < 0 || printed < o.max)) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      open.erase({m->topic_name(), m->partition()});
      continue;
    }
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      std::fprintf(stderr, "aftercare-events: %s\n", m->errstr().c_str());
      if (m->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) return 1;
      continue;
    }
    nlohmann::json line = {{"topic", m->topic_name()},
                           {"partition", m->partition()},
                           {"offset", m->offset()},
                           {"timestamp_ms", m->timestamp().timestamp}};
    if (start.is_time && m->timestamp().timestamp < start.offset) continue;
    aftercare::v1::Event event;
    if (event.ParseFromArray(m->payload(), static_cast<int>(m->len()))) {
      line["event"] = aftercare::kit::to_json(event);
    } else {
      line["error"] = "not an aftercare.v1.Event";
      line["value_base64"] =
          absl::Base64Escape(std::string(static_cast<const char*>(m->payload()), m->len()));
    }
    std::cout << line.dump() << '\n' << std::flush;
    ++printed;
  }
  consumer->close();
  return 0;
}
