// Invoice rules: who pays a unit's property fee, what it amounts to, how payments and refunds
// move an invoice through open -> partially_paid -> paid (overdue when the sweeper finds it past
// due with something outstanding), and what the sweeper does on a given day. Pure: the caller
// passes the invoice's state and "today".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "aftercare/v1/billing.pb.h"
#include "billing/domain/period.h"
#include "billing/domain/policy.h"

namespace aftercare::billing::domain {

// What billing knows of a unit (the projection of intake.UnitUpserted).
struct UnitInfo {
  std::string unit_id;
  std::string owner_id;  // "" = unsold: the developer holds the unit
  int64_t area_centi_m2 = 0;
  std::optional<absl::CivilDay> handover_date;
};

// A project's rate in force for a period.
struct FeeRateInfo {
  int64_t fen_per_m2_month = 0;
  int due_day = 1;
  bool prorate_handover_month = false;
};

// The property fee of one unit and period.
struct PropertyFee {
  aftercare::v1::InvoicePayer payer;
  int64_t amount_fen;
  int billed_days;  // of the month
  int days_in_month;
  absl::CivilDay due_date;
};

// The developer pays for units it still holds in the billed month: no owner yet, or handed over
// after the month's last day. Otherwise the owner pays the whole month, or, when the project
// prorates the handover month, the days from the handover day on (the developer's days of that
// month are not billed: the invoice key is one per unit and month). nullopt when there is
// nothing to bill (no area, or an amount that rounds to 0).
std::optional<PropertyFee> property_fee(const UnitInfo& unit, const FeeRateInfo& rate,
                                        const Period& period);

// The status an invoice's amounts imply. `overdue_noticed`: the sweeper found it past due with
// an outstanding amount (it stays overdue until fully paid).
aftercare::v1::InvoiceStatus status_of(int64_t amount_fen, int64_t paid_fen, bool voided,
                                       bool overdue_noticed);

// The state of an invoice as far as payments and the sweeper care.
struct InvoiceState {
  int64_t amount_fen = 0;
  int64_t paid_fen = 0;
  bool voided = false;
  aftercare::v1::InvoicePayer payer = aftercare::v1::INVOICE_PAYER_OWNER;
  absl::CivilDay due_date;
  bool reminder_sent = false;
  bool overdue_noticed = false;

  int64_t outstanding_fen() const { return voided ? 0 : amount_fen - paid_fen; }
};

// Why a payment cannot be applied. Overpayment is refused rather than held as credit: a credit
// balance would need an unapplied-cash account per unit and allocation rules nobody asked for,
// and a cashier who keyed the wrong amount is better told at once (409) than discovering a
// credit later; the invariant 0 <= paid_fen <= amount_fen then holds for every invoice.
enum class PaymentRefusal {
  kNone,
  kVoid,                // the invoice is void
  kDeveloperInvoice,    // paid through the developer's settlement
  kAlreadyPaid,         // nothing outstanding
  kExceedsOutstanding,  // more than is due
};
PaymentRefusal check_payment(const InvoiceState& invoice, int64_t amount_fen);
std::string describe(PaymentRefusal refusal, const InvoiceState& invoice, int64_t amount_fen);

// A refund may return at most what is left of the payment (amount - refunded so far).
bool refund_allowed(int64_t payment_fen, int64_t refunded_fen, int64_t amount_fen);

// What the sweeper does with an invoice on `today` (the project's local day): remind once
// within reminder_days_before_due days before the due date (up to and including the due
// date), notify once when today is after the due date and something is outstanding.
enum class SweepAction { kNone, kRemind, kOverdue };
SweepAction sweep_action(const InvoiceState& invoice, absl::CivilDay today,
                         const BillingPolicy& policy);

// Settlement of the developer: status from total and paid.
aftercare::v1::SettlementStatus settlement_status(int64_t total_fen, int64_t paid_fen);

}  // namespace aftercare::billing::domain
