#include "billing/domain/invoice.h"

#include "billing/domain/money.h"

namespace aftercare::billing::domain {

namespace v1 = aftercare::v1;

std::optional<PropertyFee> property_fee(const UnitInfo& unit, const FeeRateInfo& rate,
                                        const Period& period) {
  if (unit.area_centi_m2 <= 0 || rate.fen_per_m2_month <= 0) return std::nullopt;
  const int days = period.days();
  PropertyFee fee{v1::INVOICE_PAYER_OWNER, 0, days, days, due_date(period, rate.due_day)};
  bool developer_holds =
      unit.owner_id.empty() || (unit.handover_date && *unit.handover_date > period.last_day());
  if (developer_holds) {
    fee.payer = v1::INVOICE_PAYER_DEVELOPER;
  } else if (rate.prorate_handover_month && unit.handover_date &&
             *unit.handover_date > period.first_day()) {
    fee.billed_days = static_cast<int>(period.last_day() - *unit.handover_date) + 1;
  }
  fee.amount_fen =
      prorated_fee_fen(unit.area_centi_m2, rate.fen_per_m2_month, fee.billed_days, days);
  if (fee.amount_fen <= 0) return std::nullopt;
  return fee;
}

v1::InvoiceStatus status_of(int64_t amount_fen, int64_t paid_fen, bool voided,
                            bool overdue_noticed) {
  if (voided) return v1::INVOICE_STATUS_VOID;
  if (paid_fen >= amount_fen) return v1::INVOICE_STATUS_PAID;
  if (overdue_noticed) return v1::INVOICE_STATUS_OVERDUE;
  if (paid_fen > 0) return v1::INVOICE_STATUS_PARTIALLY_PAID;
  return v1::INVOICE_STATUS_OPEN;
}

PaymentRefusal check_payment(const InvoiceState& invoice, int64_t amount_fen) {
  if (invoice.voided) return PaymentRefusal::kVoid;
  if (invoice.payer == v1::INVOICE_PAYER_DEVELOPER) return PaymentRefusal::kDeveloperInvoice;
  if (invoice.outstanding_fen() <= 0) return PaymentRefusal::kAlreadyPaid;
  if (amount_fen > invoice.outstanding_fen()) return PaymentRefusal::kExceedsOutstanding;
  return PaymentRefusal::kNone;
}

std::string describe(PaymentRefusal refusal, const InvoiceState& invoice, int64_t amount_fen) {
  switch (refusal) {
    case PaymentRefusal::kNone:
      return "";
    case PaymentRefusal::kVoid:
      return "the invoice is void";
    case PaymentRefusal::kDeveloperInvoice:
      return "the developer pays this invoice through its month-end settlement";
    case PaymentRefusal::kAlreadyPaid:
      return "the invoice is already paid";
    case PaymentRefusal::kExceedsOutstanding:
      return "amount_fen " + std::to_string(amount_fen) + " exceeds the outstanding " +
             std::to_string(invoice.outstanding_fen()) + " fen";
  }
  return "";
}

bool refund_allowed(int64_t payment_fen, int64_t refunded_fen, int64_t amount_fen) {
  return amount_fen > 0 && amount_fen <= payment_fen - refunded_fen;
}

SweepAction sweep_action(const InvoiceState& invoice, absl::CivilDay today,
                         const BillingPolicy& policy) {
  if (invoice.voided || invoice.payer != v1::INVOICE_PAYER_OWNER) return SweepAction::kNone;
  if (invoice.outstanding_fen() <= 0) return SweepAction::kNone;
  if (today > invoice.due_date) {
    return invoice.overdue_noticed ? SweepAction::kNone : SweepAction::kOverdue;
  }
  if (!invoice.reminder_sent && invoice.due_date - today <= policy.reminder_days_before_due) {
    return SweepAction::kRemind;
  }
  return SweepAction::kNone;
}

v1::SettlementStatus settlement_status(int64_t total_fen, int64_t paid_fen) {
  if (paid_fen >= total_fen) return v1::SETTLEMENT_STATUS_PAID;
  if (paid_fen > 0) return v1::SETTLEMENT_STATUS_PARTIALLY_PAID;
  return v1::SETTLEMENT_STATUS_ISSUED;
}

}  // namespace aftercare::billing::domain
