#include "common/redis.h"

#include <hiredis/hiredis.h>

namespace aftercare::kit {

struct RedisClient::Conn {
  redisContext* ctx = nullptr;
  ~Conn() {
    if (ctx) redisFree(ctx);
  }
};

namespace {

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

RedisClient::RedisClient(std::string addr, int pool_size, std::chrono::milliseconds timeout)
    : timeout_(timeout), pool_size_(pool_size) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("redis address must be host:port: " + addr);
  host_ = addr.substr(0, colon);
  port_ = std::stoi(addr.substr(colon + 1));
}

RedisClient::~RedisClient() = default;

std::unique_ptr<RedisClient::Conn> RedisClient::take() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<Conn>();
  c->ctx = redisConnectWithTimeout(host_.c_str(), port_, to_timeval(timeout_));
  if (!c->ctx || c->ctx->err)
    throw RedisUnavailable("redis " + host_ + ":" + std::to_string(port_) + ": " +
                           (c->ctx ? c->ctx->errstr : "cannot allocate context"));
  redisSetTimeout(c->ctx, to_timeval(timeout_));
  return c;
}

void RedisClient::give_back(std::unique_ptr<Conn> conn) {
  std::lock_guard lock(mu_);
  if (static_cast<int>(idle_.size()) < pool_size_) idle_.push_back(std::move(conn));
}

RedisReply RedisClient::command(const std::vector<std::string>& argv) {
  auto conn = take();
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(conn->ctx, static_cast<int>(args.size()), args.data(), lens.data()));
  if (!reply) {
    // The connection is unusable after an I/O error: drop it (the destructor frees it).
    throw RedisUnavailable(std::string("redis: ") + conn->ctx->errstr);
  }
  RedisReply out = convert(reply);
  freeReplyObject(reply);
  give_back(std::move(conn));
  return out;
}

bool RedisClient::ping() {
  try {
    return command({"PING"}).str == "PONG";
  } catch (const RedisUnavailable&) {
    return false;
  }
}

}  // namespace aftercare::kit
