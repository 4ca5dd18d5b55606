#include "billing/domain/decoration.h"

#include <algorithm>

namespace aftercare::billing::domain {

DepositSettlement settle_deposit(int64_t deposit_fen, int64_t paid_fen, int64_t deductions_fen) {
  DepositSettlement s;
  s.deducted_fen = std::min(paid_fen, deductions_fen);
  s.refund_fen = paid_fen - s.deducted_fen;
  s.billed_fen = deductions_fen - s.deducted_fen;
  s.waived_fen = std::max<int64_t>(deposit_fen - paid_fen, 0);
  return s;
}

Posting deposit_settlement_posting(const std::string& permit_id, const std::string& project_id,
                                   const std::string& unit_id, const DepositSettlement& s) {
  Posting p{
      "decoration_deposit_settlement", permit_id, project_id, "decoration deposit " + unit_id, {}};
  const int64_t released = s.refund_fen + s.deducted_fen + s.waived_fen;
  if (released == 0) return p;
  p.entries.push_back({accounts::decoration_deposit(unit_id), released});
  if (s.refund_fen > 0) p.entries.push_back({accounts::kCash, -s.refund_fen});
  if (s.deducted_fen > 0)
    p.entries.push_back(
        {accounts::revenue(aftercare::v1::INVOICE_KIND_DECORATION_DEDUCTION), -s.deducted_fen});
  if (s.waived_fen > 0) p.entries.push_back({accounts::unit_receivable(unit_id), -s.waived_fen});
  return p;
}

}  // namespace aftercare::billing::domain
