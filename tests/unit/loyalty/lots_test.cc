// Lot arithmetic: holds take from the oldest lots, expiry empties due lots oldest first and is
// idempotent, give-backs restore exactly what was taken, month arithmetic clamps short months.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "loyalty/domain/lots.h"
#include "loyalty/domain/statement.h"

namespace aftercare::loyalty::domain {
namespace {

const absl::TimeZone kShanghai = load_zone("Asia/Shanghai");

absl::Time local(int y, int m, int d, int hh = 12, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), kShanghai);
}

Lot lot(const std::string& id, int64_t seq, absl::Time earned, int64_t remaining, int months = 24) {
  return {id, seq, earned, add_months(earned, months, kShanghai), remaining};
}

TEST(AddMonths, KeepsLocalWallTimeAndClampsShortMonths) {
  EXPECT_EQ(add_months(local(2024, 1, 15, 9, 30), 24, kShanghai), local(2026, 1, 15, 9, 30));
  EXPECT_EQ(add_months(local(2024, 1, 31), 1, kShanghai), local(2024, 2, 29));  // leap year
  EXPECT_EQ(add_months(local(2023, 1, 31), 1, kShanghai), local(2023, 2, 28));
  EXPECT_EQ(add_months(local(2024, 2, 29), 24, kShanghai), local(2026, 2, 28));
  EXPECT_EQ(add_months(local(2024, 12, 31), 2, kShanghai), local(2025, 2, 28));
  EXPECT_EQ(add_months(local(2024, 3, 31), -1, kShanghai), local(2024, 2, 29));
  // Sub-second precision survives.
  const absl::Time t = local(2024, 5, 1) + absl::Microseconds(123456);
  EXPECT_EQ(add_months(t, 24, kShanghai), local(2026, 5, 1) + absl::Microseconds(123456));
}

TEST(AddMonths, LocalMidnightDiffersFromUtc) {
  // 1 Mar 00:30 in Shanghai is still 28/29 Feb in UTC: the month is counted locally.
  const absl::Time t = local(2024, 3, 31, 0, 30);
  EXPECT_EQ(add_months(t, 1, kShanghai), local(2024, 4, 30, 0, 30));
}

TEST(TakeOldestFirst, TakesFromTheOldestLotsAndSplitsTheLastOne) {
  std::vector<Lot> lots = {lot("c", 3, local(2024, 3, 1), 300), lot("a", 1, local(2024, 1, 1), 100),
                           lot("b", 2, local(2024, 2, 1), 200)};
  auto takes = take_oldest_first(lots, 250, local(2024, 4, 1));
  ASSERT_TRUE(takes);
  ASSERT_EQ(takes->size(), 2u);
  EXPECT_EQ((*takes)[0].lot_id, "a");
  EXPECT_EQ((*takes)[0].points, 100);
  EXPECT_EQ((*takes)[1].lot_id, "b");
  EXPECT_EQ((*takes)[1].points, 150);
  apply(lots, *takes, -1);
  EXPECT_EQ(spendable(lots, local(2024, 4, 1)), 350);
}

TEST(TakeOldestFirst, EqualEarnedAtFallsBackToLedgerOrder) {
  const absl::Time t = local(2024, 1, 1);
  std::vector<Lot> lots = {lot("second", 2, t, 10), lot("first", 1, t, 10)};
  auto takes = take_oldest_first(lots, 5, t + absl::Hours(1));
  ASSERT_TRUE(takes);
  EXPECT_EQ((*takes)[0].lot_id, "first");
}

TEST(TakeOldestFirst, ShortBalanceTakesNothing) {
  std::vector<Lot> lots = {lot("a", 1, local(2024, 1, 1), 100)};
  EXPECT_FALSE(take_oldest_first(lots, 101, local(2024, 2, 1)));
  EXPECT_FALSE(take_oldest_first(lots, 0, local(2024, 2, 1)));
  EXPECT_FALSE(take_oldest_first(lots, -5, local(2024, 2, 1)));
  EXPECT_TRUE(take_oldest_first(lots, 100, local(2024, 2, 1)));
}

TEST(TakeOldestFirst, ExpiredLotsAreNotSpendableEvenBeforeTheJobRan) {
  std::vector<Lot> lots = {lot("old", 1, local(2022, 1, 1), 100),
                           lot("new", 2, local(2024, 1, 1), 50)};
  const absl::Time now = local(2024, 6, 1);  // "old" expired on 1 Jan 2024
  EXPECT_EQ(spendable(lots, now), 50);
  EXPECT_FALSE(take_oldest_first(lots, 60, now));
  auto takes = take_oldest_first(lots, 50, now);
  ASSERT_TRUE(takes);
  ASSERT_EQ(takes->size(), 1u);
  EXPECT_EQ((*takes)[0].lot_id, "new");
}

TEST(ExpireDue, ExpiresExactlyAtExpiresAtOldestFirstAndOnlyOnce) {
  std::vector<Lot> lots = {lot("b", 2, local(2022, 2, 1), 40), lot("a", 1, local(2022, 1, 1), 60),
                           lot("c", 3, local(2023, 1, 1), 70)};
  // One microsecond before "a" expires: nothing.
  EXPECT_TRUE(expire_due(lots, local(2024, 1, 1) - absl::Microseconds(1)).empty());
  // At its expiry instant: "a" only.
  auto first = expire_due(lots, local(2024, 1, 1));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].lot_id, "a");
  EXPECT_EQ(first[0].points, 60);
  // Later: "a" and "b", oldest first.
  auto due = expire_due(lots, local(2024, 3, 1));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].lot_id, "a");
  EXPECT_EQ(due[1].lot_id, "b");
  EXPECT_EQ(total(due), 100);
  apply(lots, due, -1);
  // Run twice: nothing more.
  EXPECT_TRUE(expire_due(lots, local(2024, 3, 1)).empty());
  EXPECT_EQ(spendable(lots, local(2024, 3, 1)), 70);
}

TEST(ExpireDue, PartlySpentLotExpiresOnlyItsRemainder) {
  std::vector<Lot> lots = {lot("a", 1, local(2022, 1, 1), 100)};
  apply(lots, {{"a", 30}}, -1);
  auto due = expire_due(lots, local(2024, 1, 2));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].points, 70);
}

TEST(Apply, GiveBackRestoresWhatWasTakenAndNeverGoesNegative) {
  std::vector<Lot> lots = {lot("a", 1, local(2024, 1, 1), 100),
                           lot("b", 2, local(2024, 2, 1), 100)};
  auto takes = *take_oldest_first(lots, 150, local(2024, 3, 1));
  apply(lots, takes, -1);
  EXPECT_EQ(lots[0].remaining, 0);
  EXPECT_EQ(lots[1].remaining, 50);
  apply(lots, takes, +1);
  EXPECT_EQ(lots[0].remaining, 100);
  EXPECT_EQ(lots[1].remaining, 100);
  EXPECT_THROW(apply(lots, {{"a", 101}}, -1), std::logic_error);
  EXPECT_THROW(apply(lots, {{"zzz", 1}}, -1), std::logic_error);
  EXPECT_EQ(lots[0].remaining, 100);
}

}  // namespace
}  // namespace aftercare::loyalty::domain
