// Club card numbers (会员卡号): "AC" + a 9-digit serial + a Luhn check digit, so a mistyped
// digit at the merchant's counter is caught before any lookup.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aftercare::loyalty::domain {

// serial in [1, 999'999'999]; throws std::out_of_range otherwise.
std::string card_number(int64_t serial);
// True for a well-formed number with a correct check digit.
bool valid_card_number(std::string_view card_no);
// The Luhn check digit of a string of decimal digits.
int luhn_check_digit(std::string_view digits);

}  // namespace aftercare::loyalty::domain
