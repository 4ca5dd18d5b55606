// Input checks: amounts, rates, due days, periods, ids, references, enum names.
#include <gtest/gtest.h>

#include "billing/domain/names.h"
#include "billing/domain/policy.h"
#include "billing/domain/validation.h"

namespace aftercare::billing::domain {
namespace {

namespace v1 = aftercare::v1;

TEST(Validation, AmountsArePositiveAndBounded) {
  EXPECT_EQ(check_amount(1), "");
  EXPECT_EQ(check_amount(Limits::kMaxAmountFen), "");
  EXPECT_NE(check_amount(0), "");
  EXPECT_NE(check_amount(-1), "");
  EXPECT_NE(check_amount(Limits::kMaxAmountFen + 1), "");
  EXPECT_NE(check_amount(INT64_MAX), "");
  EXPECT_EQ(check_amount(0, "amount_fen").rfind("amount_fen ", 0), 0u);
}

TEST(Validation, RatesAndDueDays) {
  EXPECT_EQ(check_rate(250), "");
  EXPECT_NE(check_rate(0), "");
  EXPECT_NE(check_rate(-250), "");
  EXPECT_NE(check_rate(Limits::kMaxFenPerM2Month + 1), "");
  EXPECT_EQ(check_due_day(1), "");
  EXPECT_EQ(check_due_day(31), "");
  EXPECT_NE(check_due_day(0), "");
  EXPECT_NE(check_due_day(32), "");
}

TEST(Validation, Periods) {
  v1::YearMonth ym;
  ym.set_year(2026);
  ym.set_month(12);
  EXPECT_EQ(check_period(ym), "");
  ym.set_month(13);
  EXPECT_EQ(check_period(ym).rfind("period ", 0), 0u);
  ym.set_month(0);
  EXPECT_NE(check_period(ym), "");
  EXPECT_NE(check_period(v1::YearMonth()), "");
}

TEST(Validation, IdsAndReferences) {
  EXPECT_EQ(check_id("U-101_a", "unit_id"), "");
  EXPECT_NE(check_id("", "unit_id"), "");
  EXPECT_NE(check_id("a b", "unit_id"), "");
  EXPECT_NE(check_id("a:b", "unit_id"), "");
  EXPECT_NE(check_id(std::string(65, 'a'), "unit_id"), "");
  EXPECT_TRUE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
  EXPECT_FALSE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
  EXPECT_FALSE(is_uuid("INV-1"));
  EXPECT_EQ(check_reference("WX-2026-0001"), "");
  EXPECT_EQ(check_reference("支付宝 2026031500001"), "");
  EXPECT_NE(check_reference(""), "");
  EXPECT_NE(check_reference("a\nb"), "");
  EXPECT_NE(check_reference(std::string(129, 'a')), "");
  EXPECT_NE(check_reference("\xff\xfe"), "");
}

TEST(Names, PublicSpellingOfEnums) {
  EXPECT_EQ(public_name(v1::INVOICE_STATUS_PARTIALLY_PAID), "partially_paid");
  EXPECT_EQ(public_name(v1::INVOICE_KIND_PROPERTY_FEE), "property_fee");
  EXPECT_EQ(public_name(v1::FAULT_PARTY_BUILDER), "builder");
  EXPECT_EQ(public_name(v1::INVOICE_PAYER_DEVELOPER), "developer");
  EXPECT_EQ(parse_public_name<v1::InvoiceStatus>("overdue"), v1::INVOICE_STATUS_OVERDUE);
  EXPECT_EQ(parse_public_name<v1::SettlementStatus>("partially_paid"),
            v1::SETTLEMENT_STATUS_PARTIALLY_PAID);
  EXPECT_FALSE(parse_public_name<v1::InvoiceStatus>("unspecified"));
  EXPECT_FALSE(parse_public_name<v1::InvoiceStatus>("OPEN"));
  EXPECT_FALSE(parse_public_name<v1::InvoiceStatus>("nonsense"));
}

}  // namespace
}  // namespace aftercare::billing::domain
