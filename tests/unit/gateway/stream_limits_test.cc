// Stream slots: N per subject (429 + Retry-After), a total cap (503 + Retry-After), and a slot is
// free again as soon as its lease is dropped.
#include "gateway/stream_limits.h"

#include <gtest/gtest.h>

#include <vector>

namespace aftercare::gateway {
namespace {

TEST(StreamSlots, PerSubjectCapIs429AndFreesOnRelease) {
  auto slots = StreamSlots::create(2, 100);
  StreamSlots::Lease a, b, c;
  EXPECT_FALSE(slots->acquire("p1", &a));
  EXPECT_FALSE(slots->acquire("p1", &b));
  auto refused = slots->acquire("p1", &c);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_FALSE(refused->header("Retry-After").empty());
  EXPECT_NE(refused->body.find("\"error\""), std::string::npos);
  EXPECT_FALSE(slots->acquire("p2", &c));  // others are not affected
  EXPECT_EQ(slots->open(), 3);
  a.reset();
  EXPECT_EQ(slots->open_for("p1"), 1);
  EXPECT_FALSE(slots->acquire("p1", &a));
}

TEST(StreamSlots, TotalCapIs503) {
  auto slots = StreamSlots::create(10, 3);
  std::vector<StreamSlots::Lease> held(3);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(slots->acquire("p" + std::to_string(i), &held[i]));
  StreamSlots::Lease more;
  auto refused = slots->acquire("p9", &more);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_FALSE(refused->header("Retry-After").empty());
  held.clear();
  EXPECT_EQ(slots->open(), 0);
}

TEST(StreamSlots, ALeaseOutlivingTheSlotsIsHarmless) {
  StreamSlots::Lease lease;
  {
    auto slots = StreamSlots::create(1, 1);
    EXPECT_FALSE(slots->acquire("p", &lease));
  }
  lease.reset();
}

}  // namespace
}  // namespace aftercare::gateway
