// Money arithmetic without floating point. Amounts are integer fen; areas integer hundredths of
// a square metre; rates are exact fractions. Every division rounds half up, computed on 128-bit
// intermediates so no product of valid inputs can overflow.
#pragma once

#include <cstdint>

#include "aftercare/v1/common.pb.h"

namespace aftercare::billing::domain {

// numerator / denominator rounded half up (x.5 -> x+1). numerator >= 0, denominator > 0.
int64_t divide_half_up(__int128 numerator, __int128 denominator);

// Property fee of a full month: round-half-up(area_m2 x fen_per_m2_month)
//   = (area_centi_m2 x fen_per_m2_month + 50) / 100.
int64_t monthly_fee_fen(int64_t area_centi_m2, int64_t fen_per_m2_month);

// Fee of `billed_days` of a month of `days_in_month` days, rounded half up once at the end:
//   round-half-up(area_centi_m2 x fen_per_m2_month x billed_days / (100 x days_in_month)).
// billed_days == days_in_month gives monthly_fee_fen exactly.
int64_t prorated_fee_fen(int64_t area_centi_m2, int64_t fen_per_m2_month, int billed_days,
                         int days_in_month);

// numerator / denominator as a Ratio with basis points rounded half up; 0 bp when denominator
// is 0 (nothing to measure). numerator >= 0, denominator >= 0.
aftercare::v1::Ratio make_ratio(int64_t numerator, int64_t denominator);

}  // namespace aftercare::billing::domain
