#include "billing/domain/money.h"

#include <stdexcept>

namespace aftercare::billing::domain {
namespace {

constexpr __int128 kCentiPerM2 = 100;
constexpr __int128 kBasisPoints = 10000;

int64_t narrow(__int128 value) {
  if (value > INT64_MAX || value < INT64_MIN) throw std::overflow_error("amount out of range");
  return static_cast<int64_t>(value);
}

}  // namespace

int64_t divide_half_up(__int128 numerator, __int128 denominator) {
  if (numerator < 0 || denominator <= 0) {
    throw std::invalid_argument("divide_half_up needs numerator >= 0 and denominator > 0");
  }
  // floor((2n + d) / 2d) = floor(n/d + 1/2): exactly half rounds up.
  return narrow((2 * numerator + denominator) / (2 * denominator));
}

int64_t monthly_fee_fen(int64_t area_centi_m2, int64_t fen_per_m2_month) {
  return divide_half_up(static_cast<__int128>(area_centi_m2) * fen_per_m2_month, kCentiPerM2);
}

int64_t prorated_fee_fen(int64_t area_centi_m2, int64_t fen_per_m2_month, int billed_days,
                         int days_in_month) {
  if (days_in_month <= 0 || billed_days < 0 || billed_days > days_in_month) {
    throw std::invalid_argument("billed_days must be within the month");
  }
  return divide_half_up(static_cast<__int128>(area_centi_m2) * fen_per_m2_month * billed_days,
                        kCentiPerM2 * days_in_month);
}

aftercare::v1::Ratio make_ratio(int64_t numerator, int64_t denominator) {
  aftercare::v1::Ratio ratio;
  ratio.set_numerator(numerator);
  ratio.set_denominator(denominator);
  if (denominator > 0 && numerator >= 0) {
    int64_t bp = divide_half_up(static_cast<__int128>(numerator) * kBasisPoints, denominator);
    ratio.set_basis_points(static_cast<int32_t>(bp > INT32_MAX ? INT32_MAX : bp));
  }
  return ratio;
}

}  // namespace aftercare::billing::domain
