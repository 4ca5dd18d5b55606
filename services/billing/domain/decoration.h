// Decoration permits in billing (二次装修, issue 19): the deposit an approved permit asks is held
// for the owner (a liability, never revenue) and settled once when the permit is finished: what
// was paid of it goes back minus the permit's deductions (revenue), an unpaid remainder is not
// collected any more, and deductions beyond what was paid are billed. Pure: amounts in, effects
// out.
#pragma once

#include <cstdint>
#include <string>

#include "billing/domain/ledger.h"

namespace aftercare::billing::domain {

// What settling a deposit does. refund_fen + deducted_fen = paid; deducted_fen + billed_fen =
// deductions; waived_fen = deposit - paid.
struct DepositSettlement {
  int64_t refund_fen = 0;    // paid back to the payer: max(paid - deductions, 0)
  int64_t deducted_fen = 0;  // kept from the paid deposit: min(paid, deductions)
  int64_t waived_fen = 0;    // the unpaid part of the deposit, no longer collected
  int64_t billed_fen = 0;    // deductions beyond what was paid: a decoration_deduction invoice
};

// deposit_fen: what is still collectable of the deposit invoice (0 when it was voided);
// 0 <= paid_fen <= deposit_fen; deductions_fen >= 0 (the permit's, all violations together).
DepositSettlement settle_deposit(int64_t deposit_fen, int64_t paid_fen, int64_t deductions_fen);

// The settlement's posting (kind decoration_deposit_settlement, source permit_id: once per
// permit): the deposit liability of the unit is released by paid + waived, into cash paid back,
// deduction revenue and the unit's receivable for the waived part. Entries of 0 are left out; no
// entries at all when nothing moves (nothing to post then).
Posting deposit_settlement_posting(const std::string& permit_id, const std::string& project_id,
                                   const std::string& unit_id, const DepositSettlement& s);

}  // namespace aftercare::billing::domain
