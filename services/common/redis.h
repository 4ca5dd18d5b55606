// Redis client over hiredis: a small pool of synchronous connections that reconnect on error.
// Redis is a cache and coordination tool here (rate limits, idempotency replay); callers decide
// how to behave when it is down (RedisUnavailable).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

struct redisContext;

namespace aftercare::kit {

class RedisUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<RedisReply> elements;
  bool is_nil() const { return type == Type::kNil; }
};

class RedisClient {
 public:
  // addr "host:port"; every command waits at most `timeout`.
  explicit RedisClient(std::string addr, int pool_size = 4,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(200));
  ~RedisClient();

  // Runs one command (binary-safe arguments). Throws RedisUnavailable on connection failures;
  // a Redis error reply comes back as Type::kError.
  RedisReply command(const std::vector<std::string>& argv);
  bool ping();

 private:
  struct Conn;
  std::unique_ptr<Conn> take();
  void give_back(std::unique_ptr<Conn> conn);
  std::string host_;
  int port_;
  std::chrono::milliseconds timeout_;
  int pool_size_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

}  // namespace aftercare::kit
