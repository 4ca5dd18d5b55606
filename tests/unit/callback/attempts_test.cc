// Unanswered calls: retry schedule and giving up after max_attempts.
#include <gtest/gtest.h>

#include "callback/domain/attempts.h"

namespace aftercare::callback::domain {
namespace {

const CallbackPolicy kDefaults = CallbackPolicy::defaults();
const absl::Time kAt = absl::FromUnixSeconds(1718000000);

TEST(Attempts, RetryTwoHoursLaterThenNextDayThenGiveUp) {
  AttemptDecision first = after_unanswered_call(0, kAt, std::nullopt, kDefaults);
  EXPECT_EQ(first.attempt_no, 1);
  EXPECT_FALSE(first.gave_up);
  ASSERT_TRUE(first.next_attempt_at);
  EXPECT_EQ(*first.next_attempt_at, kAt + absl::Hours(2));

  AttemptDecision second = after_unanswered_call(1, kAt, std::nullopt, kDefaults);
  EXPECT_EQ(second.attempt_no, 2);
  ASSERT_TRUE(second.next_attempt_at);
  EXPECT_EQ(*second.next_attempt_at, kAt + absl::Hours(24));

  AttemptDecision third = after_unanswered_call(2, kAt, std::nullopt, kDefaults);
  EXPECT_EQ(third.attempt_no, 3);
  EXPECT_TRUE(third.gave_up);
  EXPECT_FALSE(third.next_attempt_at);
}

TEST(Attempts, LastDelayRepeatsAndMaxComesFromThePolicy) {
  CallbackPolicy p = kDefaults;
  p.max_attempts = 5;
  p.retry_after_minutes = {30, 60};
  EXPECT_EQ(*after_unanswered_call(0, kAt, std::nullopt, p).next_attempt_at,
            kAt + absl::Minutes(30));
  EXPECT_EQ(*after_unanswered_call(1, kAt, std::nullopt, p).next_attempt_at,
            kAt + absl::Minutes(60));
  EXPECT_EQ(*after_unanswered_call(3, kAt, std::nullopt, p).next_attempt_at,
            kAt + absl::Minutes(60));
  EXPECT_TRUE(after_unanswered_call(4, kAt, std::nullopt, p).gave_up);
  p.max_attempts = 1;
  EXPECT_TRUE(after_unanswered_call(0, kAt, std::nullopt, p).gave_up);
}

TEST(Attempts, RequestedRetryTimeReplacesTheDelayButNotTheLimit) {
  absl::Time tomorrow_ten = kAt + absl::Hours(20);
  EXPECT_EQ(*after_unanswered_call(0, kAt, tomorrow_ten, kDefaults).next_attempt_at, tomorrow_ten);
  EXPECT_TRUE(after_unanswered_call(2, kAt, tomorrow_ten, kDefaults).gave_up);
}

TEST(Attempts, RequestedRetryMustBeInTheNearFuture) {
  EXPECT_NE(check_retry_at(kAt, kAt, absl::Hours(24 * 30)), "");
  EXPECT_NE(check_retry_at(kAt - absl::Minutes(1), kAt, absl::Hours(24 * 30)), "");
  EXPECT_EQ(check_retry_at(kAt + absl::Hours(1), kAt, absl::Hours(24 * 30)), "");
  EXPECT_NE(check_retry_at(kAt + absl::Hours(24 * 31), kAt, absl::Hours(24 * 30)), "");
  EXPECT_EQ(check_retry_at(kAt, kAt, absl::Hours(1)).rfind("retry_at ", 0), 0u);
}

}  // namespace
}  // namespace aftercare::callback::domain
