// FeedHeads: a waiting feed read wakes when its party's feed moves, not for other parties, and
// falls back to re-reading while nobody listens.
#include "dispatch/app/feed_heads.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace aftercare::dispatch {
namespace {

using namespace std::chrono_literals;
using Clock = FeedHeads::Clock;

TEST(FeedHeads, AWaiterWakesWhenItsPartysFeedMoves) {
  FeedHeads heads;
  heads.listening(true);
  auto seen = heads.seen("B-1");
  auto woke = std::async(std::launch::async,
                         [&] { return heads.wait_for_change("B-1", seen, Clock::now() + 60s); });
  heads.advanced("B-1", 3);
  ASSERT_EQ(woke.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(woke.get());
  EXPECT_EQ(seen.head, 3);
}

TEST(FeedHeads, AnAppendBetweenTheReadAndTheWaitIsNotMissed) {
  FeedHeads heads;
  heads.listening(true);
  auto seen = heads.seen("B-1");  // taken before the read
  heads.advanced("B-1", 1);       // committed while the waiter read
  EXPECT_TRUE(heads.wait_for_change("B-1", seen, Clock::now() + 60s));
}

TEST(FeedHeads, OtherPartiesAndOldHeadsDoNotWakeAWaiter) {
  FeedHeads heads;
  heads.listening(true);
  heads.advanced("B-1", 5);
  auto seen = heads.seen("B-1");
  heads.advanced("B-2", 9);
  heads.advanced("B-1", 4);  // a late, lower notification
  EXPECT_FALSE(heads.wait_for_change("B-1", seen, Clock::now() + 50ms));
  EXPECT_EQ(seen.head, 5);
}

TEST(FeedHeads, StartingToListenWakesEveryWaiterToReadOnce) {
  FeedHeads heads;
  heads.listening(true);
  auto seen = heads.seen("B-1");
  heads.listening(false);
  heads.listening(true);  // a reconnect: appends in between were never notified
  EXPECT_TRUE(heads.wait_for_change("B-1", seen, Clock::now() + 60s));
  EXPECT_FALSE(heads.wait_for_change("B-1", seen, Clock::now() + 50ms));
}

TEST(FeedHeads, WhileNobodyListensAWaiterReReadsAfterTheFallbackPoll) {
  FeedHeads heads(10ms);
  auto seen = heads.seen("B-1");
  // No notification will come: the waiter is told to read again rather than sleep to `until`.
  EXPECT_TRUE(heads.wait_for_change("B-1", seen, Clock::now() + 600s));
  EXPECT_FALSE(heads.is_listening());
}

}  // namespace
}  // namespace aftercare::dispatch
