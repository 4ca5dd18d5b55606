// Settling a decoration deposit (issue 19): the paid part goes back minus the deductions, the
// deductions are revenue (kept from what was paid, billed beyond it), an unpaid remainder is
// waived; the posting releases exactly the deposit held and balances.
#include <gtest/gtest.h>

#include "billing/domain/decoration.h"

namespace aftercare::billing::domain {
namespace {

int64_t sum(const Posting& p) {
  int64_t s = 0;
  for (const auto& e : p.entries) s += e.amount_fen;
  return s;
}

int64_t on(const Posting& p, const std::string& account) {
  int64_t s = 0;
  for (const auto& e : p.entries)
    if (e.account == account) s += e.amount_fen;
  return s;
}

TEST(DecorationDeposit, PaidInFullRefundsTheDepositMinusTheDeductions) {
  DepositSettlement s = settle_deposit(300000, 300000, 50000);
  EXPECT_EQ(s.refund_fen, 250000);
  EXPECT_EQ(s.deducted_fen, 50000);
  EXPECT_EQ(s.waived_fen, 0);
  EXPECT_EQ(s.billed_fen, 0);
  s = settle_deposit(300000, 300000, 0);
  EXPECT_EQ(s.refund_fen, 300000);
  EXPECT_EQ(s.deducted_fen, 0);
  s = settle_deposit(300000, 300000, 300000);  // the whole deposit withheld
  EXPECT_EQ(s.refund_fen, 0);
  EXPECT_EQ(s.deducted_fen, 300000);
}

TEST(DecorationDeposit, AnUnpaidDepositIsWaivedAndTheDeductionsBilled) {
  DepositSettlement s = settle_deposit(300000, 0, 50000);
  EXPECT_EQ(s.refund_fen, 0);
  EXPECT_EQ(s.deducted_fen, 0);
  EXPECT_EQ(s.waived_fen, 300000);
  EXPECT_EQ(s.billed_fen, 50000);
  s = settle_deposit(300000, 0, 0);
  EXPECT_EQ(s.waived_fen, 300000);
  EXPECT_EQ(s.billed_fen, 0);
}

TEST(DecorationDeposit, PartlyPaidCoversTheDeductionsFirst) {
  DepositSettlement s = settle_deposit(300000, 100000, 50000);
  EXPECT_EQ(s.refund_fen, 50000);
  EXPECT_EQ(s.deducted_fen, 50000);
  EXPECT_EQ(s.waived_fen, 200000);
  EXPECT_EQ(s.billed_fen, 0);
  s = settle_deposit(300000, 30000, 50000);
  EXPECT_EQ(s.refund_fen, 0);
  EXPECT_EQ(s.deducted_fen, 30000);
  EXPECT_EQ(s.waived_fen, 270000);
  EXPECT_EQ(s.billed_fen, 20000);
}

TEST(DecorationDeposit, AVoidedDepositInvoiceHasNothingToWaive) {
  DepositSettlement s = settle_deposit(0, 0, 50000);  // finance voided it before the end
  EXPECT_EQ(s.waived_fen, 0);
  EXPECT_EQ(s.billed_fen, 50000);
  EXPECT_TRUE(deposit_settlement_posting("PM", "P", "U", s).entries.empty());
}

TEST(DecorationDeposit, ThePostingReleasesTheDepositAndBalances) {
  for (auto [deposit, paid, deductions] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{{300000, 300000, 50000},
                                                          {300000, 300000, 0},
                                                          {300000, 0, 50000},
                                                          {300000, 100000, 50000},
                                                          {300000, 30000, 50000},
                                                          {300000, 300000, 300000}}) {
    DepositSettlement s = settle_deposit(deposit, paid, deductions);
    EXPECT_EQ(s.refund_fen + s.deducted_fen, paid);
    EXPECT_EQ(s.deducted_fen + s.billed_fen, deductions);
    Posting p = deposit_settlement_posting("PM", "P", "U", s);
    EXPECT_TRUE(p.balanced());
    EXPECT_EQ(sum(p), 0);
    EXPECT_EQ(p.kind, "decoration_deposit_settlement");
    EXPECT_EQ(p.source_id, "PM");
    EXPECT_EQ(on(p, accounts::decoration_deposit("U")), paid + s.waived_fen);  // all of it
    EXPECT_EQ(on(p, accounts::kCash), -s.refund_fen);
    EXPECT_EQ(on(p, "revenue:decoration_deduction"), -s.deducted_fen);
    EXPECT_EQ(on(p, accounts::unit_receivable("U")), -s.waived_fen);
  }
}

TEST(DecorationDeposit, ADepositInvoiceIsHeldNotEarned) {
  Posting p = invoice_posting("I", "P", "U", aftercare::v1::INVOICE_KIND_DECORATION_DEPOSIT,
                              aftercare::v1::INVOICE_PAYER_OWNER, 300000);
  EXPECT_EQ(on(p, "deposit:decoration:U"), -300000);
  EXPECT_EQ(on(p, "receivable:unit:U"), 300000);
  Posting fee = invoice_posting("I", "P", "U", aftercare::v1::INVOICE_KIND_DECORATION_FEE,
                                aftercare::v1::INVOICE_PAYER_OWNER, 50000);
  EXPECT_EQ(on(fee, "revenue:decoration_fee"), -50000);
  Posting undo = void_posting("I", "P", "U", aftercare::v1::INVOICE_KIND_DECORATION_DEPOSIT,
                              aftercare::v1::INVOICE_PAYER_OWNER, 300000);
  EXPECT_EQ(on(undo, "deposit:decoration:U"), 300000);
}

}  // namespace
}  // namespace aftercare::billing::domain
