#include "gateway/guard.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace aftercare::gateway {
namespace {

// Token bucket in one atomic script: tokens refill at `rate` per second up to `burst`.
constexpr const char* kTokenBucket = R"(
local rate, burst, now_ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(state[1]) or burst, tonumber(state[2]) or now_ms
tokens = math.min(burst, tokens + (now_ms - ts) * rate / 1000)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now_ms)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
if allowed == 1 then return 0 end
return math.ceil((1 - tokens) * 1000 / rate)
)";

}  // namespace

bool RateLimiter::allow(const std::string& subject, int* retry_after_s) {
  try {
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    auto reply = redis_.command({"EVAL", kTokenBucket, "1", "ratelimit:" + subject,
                                 std::to_string(per_second_), std::to_string(burst_),
                                 std::to_string(now_ms)});
    if (reply.type != kit::RedisReply::Type::kInteger) return true;
    if (reply.integer == 0) return true;
    *retry_after_s = static_cast<int>((reply.integer + 999) / 1000);
    return false;
  } catch (const kit::RedisUnavailable& e) {
    spdlog::warn("rate limit skipped, redis unavailable: {}", e.what());
    return true;
  }
}

std::optional<IdempotencyStore::Stored> IdempotencyStore::claim(const std::string& key,
                                                                const std::string& hash,
                                                                bool* claimed) {
  *claimed = false;
  try {
    nlohmann::json pending = {{"hash", hash}, {"status", 0}};
    // A short lease while the first request runs; complete() replaces it with the result.
    auto set = redis_.command({"SET", "idem:" + key, pending.dump(), "NX", "EX", "60"});
    if (set.type == kit::RedisReply::Type::kStatus) {
      *claimed = true;
      return std::nullopt;
    }
    auto got = redis_.command({"GET", "idem:" + key});
    if (got.is_nil()) return std::nullopt;  // expired in between: proceed unguarded
    auto j = nlohmann::json::parse(got.str, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    return Stored{j.value("hash", ""), j.value("status", 0), j.value("body", "")};
  } catch (const kit::RedisUnavailable& e) {
    spdlog::warn("idempotency replay unavailable, redis down: {}", e.what());
    return std::nullopt;
  }
}

void IdempotencyStore::complete(const std::string& key, const std::string& hash, int status,
                                const std::string& body) {
  try {
    nlohmann::json done = {{"hash", hash}, {"status", status}, {"body", body}};
    redis_.command({"SET", "idem:" + key, done.dump(), "EX", std::to_string(ttl_.count())});
  } catch (const kit::RedisUnavailable&) {
  }
}

void IdempotencyStore::release(const std::string& key) {
  try {
    redis_.command({"DEL", "idem:" + key});
  } catch (const kit::RedisUnavailable&) {
  }
}

}  // namespace aftercare::gateway
