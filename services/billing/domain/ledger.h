// The double-entry ledger of billing. Every money movement is one posting: a balanced set of
// entries (amount > 0 debit, < 0 credit, summing to 0), keyed by (kind, source_id) so it is
// made once. The database refuses an unbalanced posting at commit (migration 001), so the sum
// over all entries is always 0.
//
// Accounts (":" separates the parts; ids are [A-Za-z0-9_-]):
//   receivable:unit:<unit_id>             an owner's debt for a unit (asset)
//   receivable:developer:<project_id>     the developer's debt: fees of units it holds, and
//                                         warranty costs once on a settlement (asset)
//   receivable:<agent|crew|builder>:<id>  fines owed by the party at fault (asset)
//   cash                                  money received (asset)
//   revenue:property_fee | revenue:paid_repair | revenue:paid_service | revenue:fine
//   revenue:decoration_fee | revenue:decoration_deduction
//   deposit:decoration:<unit_id>          decoration deposits invoiced to the unit and not yet
//                                         settled: owed back to the owner (liability, issue 19)
//   advanced:warranty:<project_id>        warranty repair costs advanced, not yet settled (asset)
//   payable:repair:<party_id>             owed to the crew/contractor that did the warranty work
//   retention:held:<project_id>:<builder> a builder's retention deposit held (memorandum asset)
//   retention:owed:<project_id>:<builder> the deposit owed back to the builder (memorandum
//   liability)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aftercare/v1/billing.pb.h"

namespace aftercare::billing::domain {

struct LedgerEntry {
  std::string account;
  int64_t amount_fen;  // > 0 debit, < 0 credit
};

struct Posting {
  std::string kind;       // invoice, invoice_void, payment, refund, warranty_cost, settlement,
                          // settlement_payment, fine, retention_deposit, chargeback,
                          // decoration_deposit_settlement
  std::string source_id;  // the business key of the movement (invoice_id, payment_id, ...)
  std::string project_id;
  std::string memo;
  std::vector<LedgerEntry> entries;

  // At least two entries, none zero, summing to 0.
  bool balanced() const;
};

namespace accounts {
inline constexpr const char* kCash = "cash";
inline constexpr const char* kFineRevenue = "revenue:fine";
std::string unit_receivable(const std::string& unit_id);
std::string developer_receivable(const std::string& project_id);
std::string party_receivable(aftercare::v1::FaultParty party, const std::string& party_id);
std::string revenue(aftercare::v1::InvoiceKind kind);
std::string decoration_deposit(const std::string& unit_id);
// What an invoice of `kind` credits: its revenue, or for a decoration deposit the unit's deposit
// liability (a deposit is the owner's money held, not income).
std::string invoice_credit(aftercare::v1::InvoiceKind kind, const std::string& unit_id);
std::string warranty_advanced(const std::string& project_id);
std::string repair_payable(const std::string& party_id);
std::string retention_held(const std::string& project_id, const std::string& builder_party_id);
std::string retention_owed(const std::string& project_id, const std::string& builder_party_id);
}  // namespace accounts

// Debit `debit_account`, credit `credit_account`, both by amount_fen (> 0).
Posting transfer(std::string kind, std::string source_id, std::string project_id,
                 std::string debit_account, std::string credit_account, int64_t amount_fen,
                 std::string memo = "");

// The postings of billing, one per business movement.
// An invoice: the payer owes, revenue is earned (a decoration deposit: the deposit is held).
Posting invoice_posting(const std::string& invoice_id, const std::string& project_id,
                        const std::string& unit_id, aftercare::v1::InvoiceKind kind,
                        aftercare::v1::InvoicePayer payer, int64_t amount_fen);
// Voiding reverses the invoice posting (never an edit of it).
Posting void_posting(const std::string& invoice_id, const std::string& project_id,
                     const std::string& unit_id, aftercare::v1::InvoiceKind kind,
                     aftercare::v1::InvoicePayer payer, int64_t amount_fen);
// A payment: cash in, the unit's receivable down.
Posting payment_posting(const std::string& payment_id, const std::string& project_id,
                        const std::string& unit_id, int64_t amount_fen);
// A refund reverses (part of) a payment.
Posting refund_posting(const std::string& refund_id, const std::string& project_id,
                       const std::string& unit_id, int64_t amount_fen);
// Warranty work paid for in the builder's place.
Posting warranty_cost_posting(const std::string& work_order_id, const std::string& project_id,
                              const std::string& performed_by_party_id, int64_t cost_fen);
// A settlement moves the advanced warranty costs it lists into the developer's debt.
Posting settlement_posting(const std::string& settlement_id, const std::string& project_id,
                           int64_t warranty_repair_fen);
// The developer pays (part of) a settlement.
Posting settlement_payment_posting(const std::string& payment_id, const std::string& project_id,
                                   int64_t amount_fen);
// An escalation fine against the party at fault.
Posting fine_posting(const std::string& fine_id, const std::string& project_id,
                     aftercare::v1::FaultParty party, const std::string& party_id,
                     int64_t amount_fen);
// A builder's retention deposit received (memorandum pair).
Posting retention_deposit_posting(const std::string& source_id, const std::string& project_id,
                                  const std::string& builder_party_id, int64_t amount_fen);
// A chargeback deducted from the deposit: less is held and less is owed back.
Posting chargeback_posting(const std::string& work_order_id, const std::string& project_id,
                           const std::string& builder_party_id, int64_t amount_fen);

}  // namespace aftercare::billing::domain
