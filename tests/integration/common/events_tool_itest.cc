// aftercare-events against devbroker (a real Kafka protocol peer): events produced as the outbox
// relay does come out as one JSON line each, in the public JSON mapping, from the beginning, from
// an offset and from a time, across several topics; bytes that are no Event are reported, not
// fatal.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aftercare/v1/events.pb.h"
#include "common/kafka.h"
#include "support/test_env.h"

namespace aftercare {
namespace {

using nlohmann::json;

std::string event_bytes(const std::string& ticket, int64_t version) {
  v1::Event e;
  e.set_event_id("ev-" + ticket + "-" + std::to_string(version));
  e.set_type("intake.TicketOpened");
  e.set_project_id("P01");
  e.set_aggregate_id(ticket);
  e.set_producer("intake");
  e.set_aggregate_version(version);
  e.mutable_occurred_at()->set_seconds(1764547200);  // 2025-12-01T00:00:00Z
  auto* t = e.mutable_ticket_opened();
  t->set_ticket_id(ticket);
  t->set_kind(v1::TICKET_KIND_REPAIR);
  t->set_description("厨房漏水");
  return e.SerializeAsString();
}

void produce(const std::vector<kit::OutgoingMessage>& batch) {
  kit::BatchProducer producer(testing::kafka_bootstrap());
  for (const auto& r : producer.publish(batch, std::chrono::seconds(10)))
    ASSERT_EQ(r.error, RdKafka::ERR_NO_ERROR);
}

std::vector<json> run_tool(const std::string& args) {
  const std::string cmd = std::string(AFTERCARE_EVENTS_BIN) + " --bootstrap " +
                          testing::kafka_bootstrap() + " " + args + " 2>/dev/null";
  FILE* out = popen(cmd.c_str(), "r");
  EXPECT_NE(out, nullptr);
  std::vector<json> lines;
  std::string line;
  char buf[4096];
  while (fgets(buf, sizeof buf, out)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      lines.push_back(json::parse(line));
      line.clear();
    }
  }
  EXPECT_EQ(pclose(out), 0) << cmd;
  return lines;
}

TEST(EventsTool, PrintsEveryEventOfSeveralTopicsAsJsonLines) {
  const std::string a = testing::create_topic("events-tool-a", 3);
  const std::string b = testing::create_topic("events-tool-b", 1);
  std::vector<kit::OutgoingMessage> batch;
  for (int i = 0; i < 6; ++i)
    batch.push_back({a, "T" + std::to_string(i), event_bytes("T" + std::to_string(i), i + 1), {}});
  batch.push_back({b, "TB", event_bytes("TB", 7), {}});
  batch.push_back({b, "junk", "\xff\x01not protobuf", {}});
  produce(batch);

  auto lines = run_tool(a + " " + b);
  ASSERT_EQ(lines.size(), 8u);
  int events = 0, errors = 0;
  for (const auto& l : lines) {
    ASSERT_TRUE(l.contains("topic") && l.contains("partition") && l.contains("offset")) << l;
    if (l.contains("error")) {
      ++errors;
      EXPECT_EQ(l["topic"], b);
      EXPECT_TRUE(l.contains("value_base64"));
      continue;
    }
    ++events;
    const json& e = l["event"];
    EXPECT_EQ(e["type"], "intake.TicketOpened");
    EXPECT_TRUE(e["aggregate_version"].is_number()) << e;  // int64 as a number, not a string
    EXPECT_EQ(e["occurred_at"], "2025-12-01T00:00:00Z");
    EXPECT_EQ(e["ticket_opened"]["kind"], "repair");  // the public enum name
    EXPECT_EQ(e["ticket_opened"]["description"], "厨房漏水");
  }
  EXPECT_EQ(events, 7);
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(run_tool("--max 2 " + a).size(), 2u);
}

TEST(EventsTool, StartsFromAnOffsetOrATime) {
  const std::string topic = testing::create_topic("events-tool-from", 1);
  std::vector<kit::OutgoingMessage> first;
  for (int i = 0; i < 4; ++i) first.push_back({topic, "K", event_bytes("T1", i + 1), {}});
  produce(first);
  // From offset 2 of the partition: the third and fourth events.
  auto from_offset = run_tool("--from 2 " + topic);
  ASSERT_EQ(from_offset.size(), 2u);
  EXPECT_EQ(from_offset[0]["offset"], 2);
  EXPECT_EQ(from_offset[1]["event"]["aggregate_version"], 4);

  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto boundary = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  produce({{topic, "K", event_bytes("T2", 5), {}}, {topic, "K", event_bytes("T2", 6), {}}});
  // devbroker (librdkafka's mock cluster) cannot look offsets up by time: --scan filters instead.
  auto from_time = run_tool("--scan --from " + std::to_string(boundary) + "ms " + topic);
  ASSERT_EQ(from_time.size(), 2u);
  EXPECT_EQ(from_time[0]["event"]["aggregate_id"], "T2");
  EXPECT_EQ(from_time[0]["offset"], 4);
  EXPECT_EQ(run_tool("--from end " + topic).size(), 0u);
  EXPECT_EQ(run_tool("--scan --from 2020-01-01T00:00:00Z " + topic).size(), 6u);
}

}  // namespace
}  // namespace aftercare
