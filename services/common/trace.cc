#include "common/trace.h"

#include <random>

namespace aftercare::kit {
namespace {

thread_local TraceContext tls_trace;

std::string random_hex(size_t digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  while (out.size() < digits) {
    uint64_t bits = rng();
    for (int i = 0; i < 16 && out.size() < digits; ++i, bits >>= 4) out += kHex[bits & 0xf];
  }
  return out;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  // All-zero ids are invalid by the W3C spec.
  return s.find_first_not_of('0') != std::string_view::npos;
}

}  // namespace

std::string TraceContext::traceparent() const {
  return "00-" + trace_id + "-" + span_id + "-01";
}

TraceContext TraceContext::child() const {
  if (trace_id.empty()) return fresh();
  return {trace_id, random_hex(16)};
}

TraceContext TraceContext::fresh() {
  return {random_hex(32), random_hex(16)};
}

std::optional<TraceContext> TraceContext::parse(std::string_view h) {
  // version(2) - trace(32) - span(16) - flags(2)
  if (h.size() != 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  if (h.substr(0, 2) == "ff") return std::nullopt;
  std::string_view trace = h.substr(3, 32), span = h.substr(36, 16);
  if (!is_lower_hex(trace) || !is_lower_hex(span)) return std::nullopt;
  return TraceContext{std::string(trace), std::string(span)};
}

const TraceContext& current_trace() {
  return tls_trace;
}

TraceScope::TraceScope(TraceContext context) : previous_(std::move(tls_trace)) {
  tls_trace = std::move(context);
}

TraceScope TraceScope::from_header(std::string_view traceparent) {
  auto parsed = TraceContext::parse(traceparent);
  return TraceScope(parsed ? parsed->child() : TraceContext::fresh());
}

TraceScope::~TraceScope() {
  tls_trace = std::move(previous_);
}

}  // namespace aftercare::kit
