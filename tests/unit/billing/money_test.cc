// Fee arithmetic without floating point: round half up at exactly .5, proration, ratios.
#include <gtest/gtest.h>

#include <cstdint>

#include "billing/domain/money.h"
#include "billing/domain/policy.h"

namespace aftercare::billing::domain {
namespace {

TEST(Rounding, HalfUpAtExactlyHalf) {
  EXPECT_EQ(divide_half_up(149, 100), 1);
  EXPECT_EQ(divide_half_up(150, 100), 2);  // exactly .5 rounds up
  EXPECT_EQ(divide_half_up(151, 100), 2);
  EXPECT_EQ(divide_half_up(249, 100), 2);
  EXPECT_EQ(divide_half_up(250, 100), 3);  // not banker's rounding (which would give 2)
  EXPECT_EQ(divide_half_up(0, 7), 0);
  EXPECT_EQ(divide_half_up(7, 2), 4);
  EXPECT_EQ(divide_half_up(5, 3), 2);  // 1.666...
  EXPECT_EQ(divide_half_up(4, 3), 1);  // 1.333...
  EXPECT_THROW(divide_half_up(-1, 2), std::invalid_argument);
  EXPECT_THROW(divide_half_up(1, 0), std::invalid_argument);
}

TEST(MonthlyFee, IsAreaTimesRateRoundedHalfUp) {
  // 88.50 m2 x 250 fen = 22125 fen exactly.
  EXPECT_EQ(monthly_fee_fen(8850, 250), 22125);
  // 88.55 m2 x 3 fen = 265.65 -> 266.
  EXPECT_EQ(monthly_fee_fen(8855, 3), 266);
  // 0.50 m2 x 1 fen = 0.5 -> 1 (half up); 0.49 m2 -> 0.
  EXPECT_EQ(monthly_fee_fen(50, 1), 1);
  EXPECT_EQ(monthly_fee_fen(49, 1), 0);
  // 100.01 m2 x 150 fen = 15001.5 -> 15002.
  EXPECT_EQ(monthly_fee_fen(10001, 150), 15002);
  // 100.03 m2 x 150 fen = 15004.5 -> 15005.
  EXPECT_EQ(monthly_fee_fen(10003, 150), 15005);
  // 1 fen per m2 and 1234.56 m2 -> 1234.56 -> 1235.
  EXPECT_EQ(monthly_fee_fen(123456, 1), 1235);
}

TEST(MonthlyFee, LargestInputsStayExact) {
  // 10^6 m2 at 10^5 yuan per m2: 10^16 fen, exact in int64.
  EXPECT_EQ(monthly_fee_fen(Limits::kMaxAreaCentiM2, Limits::kMaxFenPerM2Month),
            int64_t{1'000'000} * Limits::kMaxFenPerM2Month);
  // A value a double could not hold exactly: (2^53 + 1) fen worth.
  int64_t odd = (int64_t{1} << 53) + 1;
  EXPECT_EQ(monthly_fee_fen(odd * 100, 1), odd);
}

TEST(Proration, FullMonthEqualsMonthlyFee) {
  for (int days : {28, 29, 30, 31}) {
    EXPECT_EQ(prorated_fee_fen(8855, 333, days, days), monthly_fee_fen(8855, 333)) << days;
  }
}

TEST(Proration, RoundsOnceAtTheEnd) {
  // 100 m2 x 300 fen = 30000 fen a month; 10 of 30 days = 10000 exactly.
  EXPECT_EQ(prorated_fee_fen(10000, 300, 10, 30), 10000);
  // 10 of 31 days: 30000 x 10 / 31 = 9677.419... -> 9677.
  EXPECT_EQ(prorated_fee_fen(10000, 300, 10, 31), 9677);
  // 1 m2 x 31 fen for 15 of 30 days = 15.5 -> 16 (half up).
  EXPECT_EQ(prorated_fee_fen(100, 31, 15, 30), 16);
  // A tiny area rounds to nothing: 0.15 m2 x 1 fen = 0.15 -> 0.
  EXPECT_EQ(prorated_fee_fen(15, 1, 31, 31), 0);
  EXPECT_EQ(prorated_fee_fen(10000, 300, 0, 30), 0);
  EXPECT_THROW(prorated_fee_fen(10000, 300, 31, 30), std::invalid_argument);
}

TEST(Ratio, BasisPointsRoundHalfUpAndKeepTheFraction) {
  auto r = make_ratio(1, 3);
  EXPECT_EQ(r.numerator(), 1);
  EXPECT_EQ(r.denominator(), 3);
  EXPECT_EQ(r.basis_points(), 3333);
  EXPECT_EQ(make_ratio(2, 3).basis_points(), 6667);
  EXPECT_EQ(make_ratio(1, 20000).basis_points(), 1);  // 0.5 bp -> 1
  EXPECT_EQ(make_ratio(1, 20001).basis_points(), 0);
  EXPECT_EQ(make_ratio(5, 5).basis_points(), 10000);
  EXPECT_EQ(make_ratio(0, 0).basis_points(), 0);
  EXPECT_EQ(make_ratio(Limits::kMaxAmountFen, Limits::kMaxAmountFen).basis_points(), 10000);
}

}  // namespace
}  // namespace aftercare::billing::domain
