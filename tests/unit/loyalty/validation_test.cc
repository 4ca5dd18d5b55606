// Input checks: bad amounts and ids are refused before anything is looked up.
#include <gtest/gtest.h>

#include "loyalty/domain/validation.h"

namespace aftercare::loyalty::domain {
namespace {

namespace v1 = aftercare::v1;

TEST(Validation, Points) {
  EXPECT_NE(check_points(0), "");
  EXPECT_NE(check_points(-1), "");
  EXPECT_NE(check_points(kMaxPointsPerOperation + 1), "");
  EXPECT_EQ(check_points(1), "");
}

TEST(Validation, Earning) {
  const LoyaltyPolicy p;
  EXPECT_EQ(check_earning(v1::EARN_REASON_UNSPECIFIED, 10, p).field, "reason");
  EXPECT_EQ(check_earning(static_cast<v1::EarnReason>(99), 10, p).field, "reason");
  EXPECT_EQ(check_earning(v1::EARN_REASON_ACTIVITY, 0, p).field, "points");
  EXPECT_EQ(check_earning(v1::EARN_REASON_ACTIVITY, 1001, p).field, "points");
  EXPECT_TRUE(check_earning(v1::EARN_REASON_ACTIVITY, 1000, p).ok());
  LoyaltyPolicy off;
  off.earning_rules[v1::EARN_REASON_REFERRAL] = {0, 0};
  EXPECT_EQ(check_earning(v1::EARN_REASON_REFERRAL, 1, off).field, "reason");
}

TEST(Validation, IdsAndText) {
  EXPECT_EQ(check_id("owner-1"), "");
  EXPECT_NE(check_id(""), "");
  EXPECT_NE(check_id("has space"), "");
  EXPECT_NE(check_id(std::string(129, 'x')), "");
  EXPECT_EQ(check_text("超市购物券 100元", 100, true), "");
  EXPECT_NE(check_text("", 100, true), "");
  EXPECT_EQ(check_text("", 100, false), "");
  EXPECT_NE(check_text("a\x01", 100, true), "");
  EXPECT_NE(check_text("\xe8\xb6", 100, true), "");      // truncated UTF-8
  EXPECT_NE(check_text("\xc0\xaf", 100, true), "");      // overlong
  EXPECT_NE(check_text("\xed\xa0\x80", 100, true), "");  // surrogate
  EXPECT_TRUE(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
}

// Issue 24: lengths are characters, never bytes. A Chinese item of exactly 400 characters (1,200
// bytes) is ordinary input; one more is refused in characters.
TEST(Validation, ChineseTextAtTheLimitIsAccepted) {
  std::string at_limit;
  for (int i = 0; i < 400; ++i) at_limit += "券";
  ASSERT_EQ(at_limit.size(), 1200u);
  EXPECT_EQ(check_text(at_limit, 400, true), "");
  EXPECT_EQ(check_text(at_limit + "券", 400, true), "must be at most 400 characters");
  EXPECT_EQ(check_text("物业费", 3, true), "");
  EXPECT_FALSE(is_uuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
}

}  // namespace
}  // namespace aftercare::loyalty::domain
