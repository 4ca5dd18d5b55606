// W3C trace context: the trace id travels as `traceparent` in gRPC metadata and Kafka headers,
// so one owner's request can be followed through every service's logs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aftercare::kit {

struct TraceContext {
  std::string trace_id;  // 32 lower-case hex digits
  std::string span_id;   // 16 lower-case hex digits

  // "00-<trace_id>-<span_id>-01"
  std::string traceparent() const;
  // A child context: same trace, new span.
  TraceContext child() const;
  static TraceContext fresh();
  // nullopt when the header is malformed (then callers start a fresh trace).
  static std::optional<TraceContext> parse(std::string_view traceparent);
};

// The trace of the work this thread is doing now (empty trace_id when none).
const TraceContext& current_trace();

// Sets the thread's trace for its lifetime and restores the previous one after.
class TraceScope {
 public:
  explicit TraceScope(TraceContext context);
  // Continues the trace in the header, or starts a fresh one when it is absent or malformed.
  static TraceScope from_header(std::string_view traceparent);
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;
  TraceScope(TraceScope&&) = default;

 private:
  TraceContext previous_;
};

}  // namespace aftercare::kit
