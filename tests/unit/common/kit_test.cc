// Pure tests of the service kit: configuration, trace context, metrics text, log escaping.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cctype>
#include <thread>

#include "aftercare/v1/common.pb.h"
#include "common/call.h"
#include "common/config.h"
#include "common/input.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/periodic.h"
#include "common/trace.h"

namespace aftercare::kit {
namespace {

TEST(Config, DefaultsPointAtTheLocalStack) {
  char name[] = "aftercare-intake";
  char* argv[] = {name};
  Config c = load_config("intake", 1, argv);
  EXPECT_EQ(c.grpc_addr, "127.0.0.1:50051");
  EXPECT_EQ(c.metrics_addr, "127.0.0.1:9101");
  EXPECT_EQ(c.topic(), "aftercare.intake.v1");
  EXPECT_NE(c.db_url.find("aftercare_intake"), std::string::npos);
  EXPECT_EQ(load_config("billing", 1, argv).grpc_addr, "127.0.0.1:50055");
}

TEST(Config, FlagsOverrideEnvironment) {
  setenv("AFTERCARE_DB_POOL_SIZE", "3", 1);
  setenv("AFTERCARE_GRPC_ADDR", "127.0.0.1:7000", 1);
  char a0[] = "x", a1[] = "--grpc-addr=127.0.0.1:7001", a2[] = "--log-level", a3[] = "debug";
  char* argv[] = {a0, a1, a2, a3};
  Config c = load_config("dispatch", 4, argv);
  unsetenv("AFTERCARE_DB_POOL_SIZE");
  unsetenv("AFTERCARE_GRPC_ADDR");
  EXPECT_EQ(c.db_pool_size, 3);
  EXPECT_EQ(c.grpc_addr, "127.0.0.1:7001");
  EXPECT_EQ(c.log_level, "debug");
}

TEST(Config, RejectsUnknownFlagsAndBadNumbers) {
  char a0[] = "x", a1[] = "--no-such-setting=1";
  char* argv[] = {a0, a1};
  EXPECT_THROW(load_config("intake", 2, argv), std::invalid_argument);
  char b1[] = "--db-pool-size=many";
  char* argv2[] = {a0, b1};
  EXPECT_THROW(load_config("intake", 2, argv2), std::invalid_argument);
  char c1[] = "--db-pool-size=0";
  char* argv3[] = {a0, c1};
  EXPECT_THROW(load_config("intake", 2, argv3), std::invalid_argument);
}

// A setting declared once (kit::IntSetting) is read within both of its bounds.
TEST(Config, DeclaredSettingsAreReadWithinTheirBounds) {
  const IntSetting streams{"AFTERCARE_TEST_STREAMS", 4, 1, 1000, "streams per subject"};
  unsetenv("AFTERCARE_TEST_STREAMS");
  EXPECT_EQ(read_setting(streams), 4);
  setenv("AFTERCARE_TEST_STREAMS", "1000", 1);
  EXPECT_EQ(read_setting(streams), 1000);
  for (const char* bad : {"1001", "0", "4x"}) {
    setenv("AFTERCARE_TEST_STREAMS", bad, 1);
    EXPECT_THROW(read_setting(streams), std::invalid_argument) << bad;
  }
  unsetenv("AFTERCARE_TEST_STREAMS");
}

TEST(Config, ServiceIntegerSettingsAreWholeNumbersAtLeastTheMinimum) {
  unsetenv("AFTERCARE_TEST_INT");
  EXPECT_EQ(env_int("AFTERCARE_TEST_INT", 30, 1), 30);
  setenv("AFTERCARE_TEST_INT", "7", 1);
  EXPECT_EQ(env_int("AFTERCARE_TEST_INT", 30, 1), 7);
  for (const char* bad : {"4x", "0", "-3", "lots", "1.5"}) {
    setenv("AFTERCARE_TEST_INT", bad, 1);
    EXPECT_THROW(env_int("AFTERCARE_TEST_INT", 30, 1), std::invalid_argument) << bad;
  }
  unsetenv("AFTERCARE_TEST_INT");
}

TEST(Config, BootstrapFallsBackToTheFileAndExplainsWhenMissing) {
  Config c;
  EXPECT_THROW(resolve_kafka_bootstrap(c), std::runtime_error);
  c.kafka_bootstrap_file = "/nonexistent/bootstrap";
  EXPECT_THROW(resolve_kafka_bootstrap(c), std::runtime_error);
  c.kafka_bootstrap = "127.0.0.1:9092";
  EXPECT_EQ(resolve_kafka_bootstrap(c), "127.0.0.1:9092");
}

TEST(Trace, RoundTripsTraceparent) {
  TraceContext t = TraceContext::fresh();
  EXPECT_EQ(t.trace_id.size(), 32u);
  EXPECT_EQ(t.span_id.size(), 16u);
  auto parsed = TraceContext::parse(t.traceparent());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->trace_id, t.trace_id);
  EXPECT_EQ(parsed->span_id, t.span_id);
}

TEST(Trace, RejectsMalformedHeaders) {
  EXPECT_FALSE(TraceContext::parse(""));
  EXPECT_FALSE(TraceContext::parse("00-abc-def-01"));
  EXPECT_FALSE(TraceContext::parse("00-00000000000000000000000000000000-0000000000000001-01"));
  EXPECT_FALSE(TraceContext::parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_TRUE(TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(Trace, ScopeContinuesTheTraceAndRestoresThePreviousOne) {
  EXPECT_TRUE(current_trace().trace_id.empty());
  {
    auto scope = TraceScope::from_header("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    EXPECT_EQ(current_trace().trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_NE(current_trace().span_id, "00f067aa0ba902b7");  // a child span
    {
      auto inner = TraceScope::from_header("garbage");
      EXPECT_EQ(current_trace().trace_id.size(), 32u);
      EXPECT_NE(current_trace().trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    }
    EXPECT_EQ(current_trace().trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  }
  EXPECT_TRUE(current_trace().trace_id.empty());
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.counter("aftercare_things_total", "Things", {{"kind", "a\"b"}}).inc(3);
  m.counter("aftercare_things_total", "Things", {{"kind", "a\"b"}}).inc();
  m.gauge("aftercare_backlog", "Backlog").set(-2);
  m.histogram("aftercare_latency_seconds", "Latency").observe(0.003);
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE aftercare_things_total counter"), std::string::npos);
  EXPECT_NE(text.find("aftercare_things_total{kind=\"a\\\"b\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("aftercare_backlog -2\n"), std::string::npos);
  EXPECT_NE(text.find("aftercare_latency_seconds_bucket{le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("aftercare_latency_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("aftercare_latency_seconds_count 1\n"), std::string::npos);
  EXPECT_THROW(m.gauge("aftercare_things_total", "x"), std::logic_error);
}

// _sum keeps every digit (issue 22: 6 significant digits made rate(_sum) move in steps).
TEST(Metrics, HistogramSumKeepsFullPrecision) {
  Metrics m;
  auto& h = m.histogram("aftercare_work_seconds", "Work");
  h.observe(1234567.8);
  h.observe(0.1);
  const std::string text = m.render();
  EXPECT_NE(text.find("aftercare_work_seconds_sum 1234567.9000000001\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("e+06"), std::string::npos) << text;
  EXPECT_NE(text.find("aftercare_work_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos);
}

// A failing round is counted and retried, never fatal; three in a row make the worker a health
// problem naming the last error, and one good round clears it.
TEST(PeriodicWorker, CountsFailuresAndReportsAWorkerThatKeepsFailing) {
  Metrics metrics;
  int round = 0;
  PeriodicWorker worker(
      {"sla-sweeper", std::chrono::milliseconds(1), 3},
      [&](std::stop_token) {
        if (++round <= 3) throw std::runtime_error("database unavailable");
      },
      &metrics);
  std::stop_source stop;
  EXPECT_FALSE(worker.run_once(stop.get_token()));
  EXPECT_FALSE(worker.run_once(stop.get_token()));
  EXPECT_EQ(worker.problem(), "");  // two in a row: a blip, not yet a problem
  EXPECT_FALSE(worker.run_once(stop.get_token()));
  EXPECT_EQ(worker.problem(), "failed 3 rounds in a row: database unavailable");
  EXPECT_TRUE(worker.run_once(stop.get_token()));
  EXPECT_EQ(worker.problem(), "");
  const std::string text = metrics.render();
  EXPECT_NE(text.find(R"(aftercare_worker_failures_total{worker="sla-sweeper"} 3)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(aftercare_worker_rounds_total{worker="sla-sweeper"} 4)"),
            std::string::npos);
}

TEST(PeriodicWorker, RunsRoundAfterRoundUntilStopped) {
  std::atomic<int> rounds{0};
  PeriodicWorker worker({"sender", std::chrono::milliseconds(1)},
                        [&](std::stop_token) { ++rounds; });
  std::jthread thread([&](std::stop_token stop) { worker.run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rounds < 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();  // polling the condition, with a deadline
  thread.request_stop();
  thread.join();
  EXPECT_GE(rounds.load(), 5);
}

// A worker whose period comes from data (dispatch's per-project sweep intervals): after each
// round it waits what next_interval says, never more than `interval`.
TEST(PeriodicWorker, WaitsTheNextIntervalItIsGiven) {
  std::atomic<int> rounds{0}, asked{0};
  PeriodicWorker worker({.name = "reroute-sweeper",
                         .interval = std::chrono::hours(1),
                         .next_interval =
                             [&] {
                               ++asked;
                               return std::chrono::milliseconds(1);
                             }},
                        [&](std::stop_token) { ++rounds; });
  std::jthread thread([&](std::stop_token stop) { worker.run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rounds < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();  // polling the condition, with a deadline
  thread.request_stop();
  thread.join();
  EXPECT_GE(rounds.load(), 3);  // an hour's interval would have allowed one
  EXPECT_GE(asked.load(), 2);
}

TEST(Log, EscapesJsonButKeepsChineseText) {
  EXPECT_EQ(json_escape("卫生间漏水 \"急\"\n"), "卫生间漏水 \\\"急\\\"\\n");
  EXPECT_EQ(json_escape(std::string("a\x01", 2)), "a\\u0001");
}

// One validator set (issue 24): lengths in characters, never bytes; the field named first.
TEST(Input, ChecksCountCharactersAndNameTheField) {
  EXPECT_EQ(check_id("B-deco_1", "party_id"), "");
  EXPECT_EQ(check_id(std::string(64, 'a'), "party_id"), "");
  EXPECT_EQ(check_id(std::string(65, 'a'), "party_id"), "party_id must be at most 64 characters");
  EXPECT_EQ(check_id("漏水", "party_id"), "party_id may contain only letters, digits, '_' and '-'");
  EXPECT_EQ(check_text("万科物业维修部", "name", 7), "");  // 7 characters, 21 bytes
  EXPECT_EQ(check_text("万科物业维修部", "name", 6), "name must be at most 6 characters");
  EXPECT_EQ(check_text("", "note", 0, 10), "");
  EXPECT_EQ(check_text("", "reason", 10), "reason is required");
  EXPECT_EQ(check_text("ab", "reason", 3, 10), "reason must be at least 3 characters");
  EXPECT_EQ(check_text("\xff", "notes", 0, 500), "notes is not valid UTF-8");
  EXPECT_EQ(check_text(std::string_view("a\0b", 3), "notes", 10),
            "notes must not contain NUL characters");
  EXPECT_EQ(check_text("line 1\nline 2", "description", 100), "");
  EXPECT_EQ(check_line("line 1\nline 2", "reference", 100),
            "reference must not contain control characters");
  EXPECT_EQ(check_line("银行流水 20260301", "reference", 128), "");
}

TEST(Caller, ScopeByProjectAndUnit) {
  Caller admin{"a", kit::Role::admin, {"*"}, {}, ""};
  Caller agent{"b", kit::Role::agent, {"P01", "P02"}, {}, ""};
  Caller owner{"c", kit::Role::owner, {"P01"}, {"U1"}, ""};
  EXPECT_TRUE(admin.sees_project("P99"));
  EXPECT_TRUE(agent.sees_project("P02"));
  EXPECT_FALSE(agent.sees_project("P03"));
  EXPECT_TRUE(owner.owns_unit("U1"));
  EXPECT_FALSE(owner.owns_unit("U2"));
  EXPECT_EQ(split_list("a,,b,"), (std::vector<std::string>{"a", "b"}));
}

// Every aftercare.v1.Role has its kit::Role, named as the JWT names it (ROLE_AGENT <-> "agent");
// a name is read once into a role, and anything else is no role at all.
TEST(Role, MatchesTheContractsEnumAndItsNames) {
  for (int v = aftercare::v1::Role_MIN; v <= aftercare::v1::Role_MAX; ++v) {
    if (!aftercare::v1::Role_IsValid(v)) continue;
    std::string expected = aftercare::v1::Role_Name(static_cast<aftercare::v1::Role>(v)).substr(5);
    for (auto& c : expected) c = static_cast<char>(std::tolower(c));
    if (v == aftercare::v1::ROLE_UNSPECIFIED) expected.clear();
    Role role = role_from_wire(v);
    EXPECT_EQ(role_to_wire(role), v);
    EXPECT_EQ(role_name(role), expected);
    EXPECT_EQ(role_from_name(expected), role);
  }
  EXPECT_EQ(role_from_name("Agent"), Role::none);
  EXPECT_EQ(role_from_name("agnet"), Role::none);
  EXPECT_EQ(role_from_wire(99), Role::none);
  constexpr Roles deciders{Role::supervisor, Role::admin};
  static_assert(deciders.contains(Role::admin) && !deciders.contains(Role::agent));
  EXPECT_FALSE(deciders.contains(Role::none));
  EXPECT_FALSE(Roles{Role::none}.contains(Role::none));
  EXPECT_EQ(deciders.names(), (std::vector<std::string>{"admin", "supervisor"}));
  Caller c{"s", Role::supervisor, {"P01"}, {}, ""};
  EXPECT_TRUE(c.is(Role::supervisor) && c.is_any(deciders) && !c.is(Role::admin));
  EXPECT_EQ(c.role_name(), "supervisor");
}

}  // namespace
}  // namespace aftercare::kit

#include "common/privacy.h"

namespace aftercare::kit {
namespace {

TEST(Privacy, MasksPhonesAndLongDigitRunsOnly) {
  EXPECT_EQ(mask_phone("13812345678"), "138****5678");
  EXPECT_EQ(mask_phone("+86 138-1234-5678"), "861****5678");
  EXPECT_EQ(mask_phone("12345"), "***45");
  EXPECT_EQ(mask_digit_runs("请拨13812345678联系, 3楼 1201室"), "请拨*******5678联系, 3楼 1201室");
  EXPECT_EQ(mask_digit_runs("123456 and 1234567"), "123456 and ***4567");
}

}  // namespace
}  // namespace aftercare::kit
