// Redis-backed protections of the gateway: per-subject rate limits (token bucket) and replay of
// create requests by Idempotency-Key. Redis is only a helper: when it is down, rate limits fail
// open and idempotency falls back to the services' own dedup (idempotency keys and unique
// source ids), so no request is refused because Redis is unavailable.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/redis.h"

namespace aftercare::gateway {

class RateLimiter {
 public:
  RateLimiter(kit::RedisClient& redis, int per_second, int burst)
      : redis_(redis), per_second_(per_second), burst_(burst) {}
  // true = allowed; false = limited (retry_after_s set). Allowed when Redis is down.
  bool allow(const std::string& subject, int* retry_after_s);

 private:
  kit::RedisClient& redis_;
  int per_second_, burst_;
};

// Where first answers are kept for replay (Redis in production; a map in the stage's tests).
class ReplayStore {
 public:
  struct Stored {
    std::string request_hash;
    int status = 0;  // 0 = the first request is still running
    std::string body;
  };
  virtual ~ReplayStore() = default;
  // Claims the key for this request; returns the earlier record when the key was already used.
  // nullopt and `claimed` = true: go ahead. Store down: nullopt and `claimed` = false.
  virtual std::optional<Stored> claim(const std::string& key, const std::string& request_hash,
                                      bool* claimed) = 0;
  virtual void complete(const std::string& key, const std::string& request_hash, int status,
                        const std::string& body) = 0;
  virtual void release(const std::string& key) = 0;
};

class IdempotencyStore : public ReplayStore {
 public:
  IdempotencyStore(kit::RedisClient& redis, std::chrono::seconds ttl) : redis_(redis), ttl_(ttl) {}
  std::optional<Stored> claim(const std::string& key, const std::string& request_hash,
                              bool* claimed) override;
  void complete(const std::string& key, const std::string& request_hash, int status,
                const std::string& body) override;
  void release(const std::string& key) override;

 private:
  kit::RedisClient& redis_;
  std::chrono::seconds ttl_;
};

}  // namespace aftercare::gateway
