#include "loyalty/domain/card.h"

#include <cstdio>
#include <stdexcept>

namespace aftercare::loyalty::domain {

int luhn_check_digit(std::string_view digits) {
  int sum = 0;
  bool twice = true;  // the rightmost payload digit is doubled (the check digit follows it)
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return (10 - sum % 10) % 10;
}

std::string card_number(int64_t serial) {
  if (serial < 1 || serial > 999'999'999) throw std::out_of_range("card serial out of range");
  char digits[16];
  std::snprintf(digits, sizeof digits, "%09lld", static_cast<long long>(serial));
  return "AC" + std::string(digits) + static_cast<char>('0' + luhn_check_digit(digits));
}

bool valid_card_number(std::string_view card_no) {
  if (card_no.size() != 12 || card_no.substr(0, 2) != "AC") return false;
  std::string_view digits = card_no.substr(2);
  for (char c : digits)
    if (c < '0' || c > '9') return false;
  return luhn_check_digit(digits.substr(0, 9)) == digits[9] - '0';
}

}  // namespace aftercare::loyalty::domain
