// The Redis client against a real redis-server.
#include <gtest/gtest.h>

#include <thread>

#include "common/redis.h"
#include "support/test_env.h"

namespace aftercare::kit {
namespace {

TEST(Redis, CommandsAreBinarySafeAndErrorsComeBackAsReplies) {
  RedisClient redis(testing::redis_addr());
  EXPECT_TRUE(redis.ping());
  std::string key = "test:redis:" + std::to_string(::getpid());
  std::string value("维修\0bytes", 12);
  EXPECT_EQ(redis.command({"SET", key, value, "EX", "60"}).str, "OK");
  EXPECT_EQ(redis.command({"GET", key}).str, value);
  EXPECT_EQ(redis.command({"SET", key, "x", "NX"}).type, RedisReply::Type::kNil);  // exists already
  EXPECT_EQ(redis.command({"INCR", key}).type, RedisReply::Type::kError);
  EXPECT_EQ(redis.command({"DEL", key}).integer, 1);
  EXPECT_TRUE(redis.command({"GET", key}).is_nil());
  auto arr = redis.command({"EVAL", "return {1, 'two'}", "0"});
  ASSERT_EQ(arr.type, RedisReply::Type::kArray);
  EXPECT_EQ(arr.elements[0].integer, 1);
  EXPECT_EQ(arr.elements[1].str, "two");
}

TEST(Redis, ConcurrentCallersShareThePool) {
  RedisClient redis(testing::redis_addr(), 2);
  std::string key = "test:redis:counter:" + std::to_string(::getpid());
  redis.command({"DEL", key});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) redis.command({"INCR", key});
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::stoi(redis.command({"GET", key}).str), 800);
  redis.command({"DEL", key});
}

TEST(Redis, UnreachableServerIsReportedAsUnavailable) {
  RedisClient redis("127.0.0.1:1");  // nothing listens on port 1
  EXPECT_FALSE(redis.ping());
  EXPECT_THROW(redis.command({"GET", "x"}), RedisUnavailable);
}

}  // namespace
}  // namespace aftercare::kit
