// Every posting of billing is balanced and names the accounts of ledger.h.
#include <gtest/gtest.h>

#include "billing/domain/ledger.h"

namespace aftercare::billing::domain {
namespace {

namespace v1 = aftercare::v1;

int64_t sum(const Posting& p) {
  int64_t s = 0;
  for (const auto& e : p.entries) s += e.amount_fen;
  return s;
}

TEST(Ledger, EveryPostingIsBalanced) {
  std::vector<Posting> all = {
      invoice_posting("I", "P", "U", v1::INVOICE_KIND_PROPERTY_FEE, v1::INVOICE_PAYER_OWNER, 100),
      invoice_posting("I", "P", "U", v1::INVOICE_KIND_PROPERTY_FEE, v1::INVOICE_PAYER_DEVELOPER,
                      100),
      void_posting("I", "P", "U", v1::INVOICE_KIND_PAID_REPAIR, v1::INVOICE_PAYER_OWNER, 100),
      payment_posting("X", "P", "U", 5),
      refund_posting("R", "P", "U", 5),
      warranty_cost_posting("W", "P", "C1", 700),
      settlement_posting("S", "P", 700),
      settlement_payment_posting("SP", "P", 700),
      fine_posting("F", "P", v1::FAULT_PARTY_BUILDER, "B1", 20000),
      retention_deposit_posting("D", "P", "B1", 50000),
      chargeback_posting("W", "P", "B1", 700),
  };
  for (const auto& p : all) {
    EXPECT_TRUE(p.balanced()) << p.kind;
    EXPECT_EQ(sum(p), 0) << p.kind;
    EXPECT_EQ(p.entries.size(), 2u) << p.kind;
  }
}

TEST(Ledger, AccountsOfTheMovements) {
  auto inv =
      invoice_posting("I", "P", "U1", v1::INVOICE_KIND_PROPERTY_FEE, v1::INVOICE_PAYER_OWNER, 100);
  EXPECT_EQ(inv.entries[0].account, "receivable:unit:U1");
  EXPECT_EQ(inv.entries[0].amount_fen, 100);
  EXPECT_EQ(inv.entries[1].account, "revenue:property_fee");
  EXPECT_EQ(inv.entries[1].amount_fen, -100);
  auto dev = invoice_posting("I", "P1", "U1", v1::INVOICE_KIND_PROPERTY_FEE,
                             v1::INVOICE_PAYER_DEVELOPER, 100);
  EXPECT_EQ(dev.entries[0].account, "receivable:developer:P1");
  auto pay = payment_posting("X", "P", "U1", 5);
  EXPECT_EQ(pay.entries[0].account, "cash");
  EXPECT_EQ(pay.entries[1].account, "receivable:unit:U1");
  auto refund = refund_posting("R", "P", "U1", 5);
  EXPECT_EQ(refund.entries[0].account, "receivable:unit:U1");
  EXPECT_EQ(refund.entries[1].account, "cash");
  auto fine = fine_posting("F", "P", v1::FAULT_PARTY_AGENT, "staff-7", 20000);
  EXPECT_EQ(fine.entries[0].account, "receivable:agent:staff-7");
  EXPECT_EQ(fine.entries[1].account, "revenue:fine");
  // An invoice and its voiding cancel out account by account.
  auto v =
      void_posting("I", "P", "U1", v1::INVOICE_KIND_PROPERTY_FEE, v1::INVOICE_PAYER_OWNER, 100);
  std::map<std::string, int64_t> balance;
  for (const auto* p : {&inv, &v}) {
    for (const auto& e : p->entries) balance[e.account] += e.amount_fen;
  }
  for (const auto& [account, amount] : balance) EXPECT_EQ(amount, 0) << account;
}

TEST(Ledger, UnbalancedOrEmptyIsNotBalanced) {
  Posting p{"x", "s", "P", "", {{"a", 5}, {"b", -4}}};
  EXPECT_FALSE(p.balanced());
  p.entries = {{"a", 5}};
  EXPECT_FALSE(p.balanced());
  p.entries = {{"a", 0}, {"b", 0}};
  EXPECT_FALSE(p.balanced());
  EXPECT_THROW(transfer("x", "s", "P", "a", "b", 0), std::invalid_argument);
  EXPECT_THROW(transfer("x", "s", "P", "a", "b", -3), std::invalid_argument);
}

}  // namespace
}  // namespace aftercare::billing::domain
