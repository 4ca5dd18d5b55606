// Card numbers: serial + Luhn check digit, so one mistyped digit is caught.
#include <gtest/gtest.h>

#include "loyalty/domain/card.h"

namespace aftercare::loyalty::domain {
namespace {

TEST(Card, KnownLuhnDigits) {
  EXPECT_EQ(luhn_check_digit("7992739871"), 3);  // the textbook example
  EXPECT_EQ(card_number(1), "AC0000000018");
  EXPECT_TRUE(valid_card_number(card_number(1)));
  EXPECT_TRUE(valid_card_number(card_number(999'999'999)));
}

TEST(Card, EverySingleDigitTypoIsCaught) {
  const std::string card = card_number(123456789);
  ASSERT_TRUE(valid_card_number(card));
  for (size_t i = 2; i < card.size(); ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == card[i]) continue;
      std::string typo = card;
      typo[i] = d;
      EXPECT_FALSE(valid_card_number(typo)) << typo;
    }
  }
}

TEST(Card, RejectsMalformed) {
  EXPECT_FALSE(valid_card_number(""));
  EXPECT_FALSE(valid_card_number("XX0000000018"));
  EXPECT_FALSE(valid_card_number("AC000000001"));
  EXPECT_FALSE(valid_card_number("AC00000000a8"));
  EXPECT_THROW(card_number(0), std::out_of_range);
  EXPECT_THROW(card_number(1'000'000'000), std::out_of_range);
}

}  // namespace
}  // namespace aftercare::loyalty::domain
