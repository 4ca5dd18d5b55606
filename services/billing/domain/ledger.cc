#include "billing/domain/ledger.h"

#include <stdexcept>

#include "billing/domain/names.h"

namespace aftercare::billing::domain {

namespace v1 = aftercare::v1;

bool Posting::balanced() const {
  if (entries.size() < 2) return false;
  __int128 sum = 0;
  for (const auto& e : entries) {
    if (e.amount_fen == 0) return false;
    sum += e.amount_fen;
  }
  return sum == 0;
}

namespace accounts {
std::string unit_receivable(const std::string& unit_id) {
  return "receivable:unit:" + unit_id;
}
std::string developer_receivable(const std::string& project_id) {
  return "receivable:developer:" + project_id;
}
std::string party_receivable(v1::FaultParty party, const std::string& party_id) {
  return "receivable:" + public_name(party) + ":" + party_id;
}
std::string revenue(v1::InvoiceKind kind) {
  return "revenue:" + public_name(kind);
}
std::string decoration_deposit(const std::string& unit_id) {
  return "deposit:decoration:" + unit_id;
}
std::string invoice_credit(v1::InvoiceKind kind, const std::string& unit_id) {
  return kind == v1::INVOICE_KIND_DECORATION_DEPOSIT ? decoration_deposit(unit_id) : revenue(kind);
}
std::string warranty_advanced(const std::string& project_id) {
  return "advanced:warranty:" + project_id;
}
std::string repair_payable(const std::string& party_id) {
  return "payable:repair:" + party_id;
}
std::string retention_held(const std::string& project_id, const std::string& builder_party_id) {
  return "retention:held:" + project_id + ":" + builder_party_id;
}
std::string retention_owed(const std::string& project_id, const std::string& builder_party_id) {
  return "retention:owed:" + project_id + ":" + builder_party_id;
}
}  // namespace accounts

Posting transfer(std::string kind, std::string source_id, std::string project_id,
                 std::string debit_account, std::string credit_account, int64_t amount_fen,
                 std::string memo) {
  if (amount_fen <= 0) throw std::invalid_argument("a posting moves a positive amount");
  Posting p{std::move(kind), std::move(source_id), std::move(project_id), std::move(memo), {}};
  p.entries.push_back({std::move(debit_account), amount_fen});
  p.entries.push_back({std::move(credit_account), -amount_fen});
  return p;
}

namespace {
std::string payer_account(v1::InvoicePayer payer, const std::string& project_id,
                          const std::string& unit_id) {
  return payer == v1::INVOICE_PAYER_DEVELOPER ? accounts::developer_receivable(project_id)
                                              : accounts::unit_receivable(unit_id);
}
}  // namespace

Posting invoice_posting(const std::string& invoice_id, const std::string& project_id,
                        const std::string& unit_id, v1::InvoiceKind kind, v1::InvoicePayer payer,
                        int64_t amount_fen) {
  return transfer("invoice", invoice_id, project_id, payer_account(payer, project_id, unit_id),
                  accounts::invoice_credit(kind, unit_id), amount_fen,
                  public_name(kind) + " " + unit_id);
}

Posting void_posting(const std::string& invoice_id, const std::string& project_id,
                     const std::string& unit_id, v1::InvoiceKind kind, v1::InvoicePayer payer,
                     int64_t amount_fen) {
  return transfer("invoice_void", invoice_id, project_id, accounts::invoice_credit(kind, unit_id),
                  payer_account(payer, project_id, unit_id), amount_fen, "void " + invoice_id);
}

Posting payment_posting(const std::string& payment_id, const std::string& project_id,
                        const std::string& unit_id, int64_t amount_fen) {
  return transfer("payment", payment_id, project_id, accounts::kCash,
                  accounts::unit_receivable(unit_id), amount_fen);
}

Posting refund_posting(const std::string& refund_id, const std::string& project_id,
                       const std::string& unit_id, int64_t amount_fen) {
  return transfer("refund", refund_id, project_id, accounts::unit_receivable(unit_id),
                  accounts::kCash, amount_fen);
}

Posting warranty_cost_posting(const std::string& work_order_id, const std::string& project_id,
                              const std::string& performed_by_party_id, int64_t cost_fen) {
  return transfer(
      "warranty_cost", work_order_id, project_id, accounts::warranty_advanced(project_id),
      accounts::repair_payable(performed_by_party_id.empty() ? "unknown" : performed_by_party_id),
      cost_fen);
}

Posting settlement_posting(const std::string& settlement_id, const std::string& project_id,
                           int64_t warranty_repair_fen) {
  return transfer("settlement", settlement_id, project_id,
                  accounts::developer_receivable(project_id),
                  accounts::warranty_advanced(project_id), warranty_repair_fen);
}

Posting settlement_payment_posting(const std::string& payment_id, const std::string& project_id,
                                   int64_t amount_fen) {
  return transfer("settlement_payment", payment_id, project_id, accounts::kCash,
                  accounts::developer_receivable(project_id), amount_fen);
}

Posting fine_posting(const std::string& fine_id, const std::string& project_id,
                     v1::FaultParty party, const std::string& party_id, int64_t amount_fen) {
  return transfer("fine", fine_id, project_id, accounts::party_receivable(party, party_id),
                  accounts::kFineRevenue, amount_fen);
}

Posting retention_deposit_posting(const std::string& source_id, const std::string& project_id,
                                  const std::string& builder_party_id, int64_t amount_fen) {
  return transfer("retention_deposit", source_id, project_id,
                  accounts::retention_held(project_id, builder_party_id),
                  accounts::retention_owed(project_id, builder_party_id), amount_fen);
}

Posting chargeback_posting(const std::string& work_order_id, const std::string& project_id,
                           const std::string& builder_party_id, int64_t amount_fen) {
  return transfer("chargeback", work_order_id, project_id,
                  accounts::retention_owed(project_id, builder_party_id),
                  accounts::retention_held(project_id, builder_party_id), amount_fen);
}

}  // namespace aftercare::billing::domain
