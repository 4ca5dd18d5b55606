// Who pays a property fee and how much, invoice status transitions, payment refusals and the
// sweeper's decisions.
#include <gtest/gtest.h>

#include "billing/domain/invoice.h"
#include "billing/domain/money.h"

namespace aftercare::billing::domain {
namespace {

namespace v1 = aftercare::v1;
using absl::CivilDay;
const BillingPolicy kDefaults = BillingPolicy::defaults();

UnitInfo owned_unit(std::optional<CivilDay> handover = CivilDay(2024, 6, 1)) {
  return UnitInfo{"U1", "O1", 8855, handover};
}

TEST(PropertyFee, OwnerPaysTheFullMonthAtTheDueDay) {
  auto fee = property_fee(owned_unit(), FeeRateInfo{250, 15, false}, Period{2026, 3});
  ASSERT_TRUE(fee);
  EXPECT_EQ(fee->payer, v1::INVOICE_PAYER_OWNER);
  EXPECT_EQ(fee->amount_fen, monthly_fee_fen(8855, 250));  // 22137.5 -> 22138
  EXPECT_EQ(fee->amount_fen, 22138);
  EXPECT_EQ(fee->billed_days, 31);
  EXPECT_EQ(fee->due_date, CivilDay(2026, 3, 15));
}

TEST(PropertyFee, DeveloperPaysForUnitsItStillHolds) {
  FeeRateInfo rate{250, 31, false};
  UnitInfo unsold{"U2", "", 10000, std::nullopt};
  EXPECT_EQ(property_fee(unsold, rate, Period{2026, 2})->payer, v1::INVOICE_PAYER_DEVELOPER);
  // Handed over after the month: still the developer's.
  auto later = property_fee(owned_unit(CivilDay(2026, 3, 1)), rate, Period{2026, 2});
  EXPECT_EQ(later->payer, v1::INVOICE_PAYER_DEVELOPER);
  EXPECT_EQ(later->due_date, CivilDay(2026, 2, 28));
  // Handed over on the month's last day: the owner's month.
  EXPECT_EQ(property_fee(owned_unit(CivilDay(2026, 2, 28)), rate, Period{2026, 2})->payer,
            v1::INVOICE_PAYER_OWNER);
  // No handover date known: the owner on record pays.
  EXPECT_EQ(property_fee(owned_unit(std::nullopt), rate, Period{2026, 2})->payer,
            v1::INVOICE_PAYER_OWNER);
}

TEST(PropertyFee, HandoverMonthIsProratedOnlyWhenTheProjectSaysSo) {
  UnitInfo unit{"U1", "O1", 10000, CivilDay(2026, 4, 21)};  // 10 of 30 days of April
  auto full = property_fee(unit, FeeRateInfo{300, 15, false}, Period{2026, 4});
  EXPECT_EQ(full->amount_fen, 30000);
  auto prorated = property_fee(unit, FeeRateInfo{300, 15, true}, Period{2026, 4});
  EXPECT_EQ(prorated->amount_fen, 10000);
  EXPECT_EQ(prorated->billed_days, 10);
  EXPECT_EQ(prorated->days_in_month, 30);
  // Handover on the 1st: the whole month.
  unit.handover_date = CivilDay(2026, 4, 1);
  EXPECT_EQ(property_fee(unit, FeeRateInfo{300, 15, true}, Period{2026, 4})->amount_fen, 30000);
  // Months after the handover month: whole.
  unit.handover_date = CivilDay(2026, 3, 21);
  EXPECT_EQ(property_fee(unit, FeeRateInfo{300, 15, true}, Period{2026, 4})->amount_fen, 30000);
}

TEST(PropertyFee, NothingToBillForNoAreaOrAZeroAmount) {
  EXPECT_FALSE(property_fee(UnitInfo{"U", "O", 0, std::nullopt}, FeeRateInfo{250, 1, false},
                            Period{2026, 1}));
  EXPECT_FALSE(property_fee(UnitInfo{"U", "O", 49, std::nullopt}, FeeRateInfo{1, 1, false},
                            Period{2026, 1}));
}

TEST(Status, FollowsTheAmounts) {
  EXPECT_EQ(status_of(1000, 0, false, false), v1::INVOICE_STATUS_OPEN);
  EXPECT_EQ(status_of(1000, 1, false, false), v1::INVOICE_STATUS_PARTIALLY_PAID);
  EXPECT_EQ(status_of(1000, 999, false, false), v1::INVOICE_STATUS_PARTIALLY_PAID);
  EXPECT_EQ(status_of(1000, 1000, false, false), v1::INVOICE_STATUS_PAID);
  EXPECT_EQ(status_of(1000, 0, false, true), v1::INVOICE_STATUS_OVERDUE);
  EXPECT_EQ(status_of(1000, 500, false, true), v1::INVOICE_STATUS_OVERDUE);
  EXPECT_EQ(status_of(1000, 1000, false, true), v1::INVOICE_STATUS_PAID);
  EXPECT_EQ(status_of(1000, 0, true, false), v1::INVOICE_STATUS_VOID);
}

InvoiceState invoice(int64_t amount, int64_t paid, CivilDay due = CivilDay(2026, 3, 15)) {
  InvoiceState s;
  s.amount_fen = amount;
  s.paid_fen = paid;
  s.due_date = due;
  return s;
}

TEST(Payment, FullAndPartialAreAcceptedOverpaymentIsRefused) {
  EXPECT_EQ(check_payment(invoice(1000, 0), 1000), PaymentRefusal::kNone);
  EXPECT_EQ(check_payment(invoice(1000, 0), 1), PaymentRefusal::kNone);
  EXPECT_EQ(check_payment(invoice(1000, 400), 600), PaymentRefusal::kNone);
  EXPECT_EQ(check_payment(invoice(1000, 400), 601), PaymentRefusal::kExceedsOutstanding);
  EXPECT_EQ(check_payment(invoice(1000, 0), 1001), PaymentRefusal::kExceedsOutstanding);
  EXPECT_EQ(check_payment(invoice(1000, 1000), 1), PaymentRefusal::kAlreadyPaid);
  auto v = invoice(1000, 0);
  v.voided = true;
  EXPECT_EQ(check_payment(v, 1), PaymentRefusal::kVoid);
  auto d = invoice(1000, 0);
  d.payer = v1::INVOICE_PAYER_DEVELOPER;
  EXPECT_EQ(check_payment(d, 1), PaymentRefusal::kDeveloperInvoice);
  EXPECT_NE(describe(PaymentRefusal::kExceedsOutstanding, invoice(1000, 400), 601).find("600"),
            std::string::npos);
}

TEST(Refund, AtMostWhatIsLeftOfThePayment) {
  EXPECT_TRUE(refund_allowed(1000, 0, 1000));
  EXPECT_TRUE(refund_allowed(1000, 600, 400));
  EXPECT_FALSE(refund_allowed(1000, 600, 401));
  EXPECT_FALSE(refund_allowed(1000, 0, 0));
  EXPECT_FALSE(refund_allowed(1000, 1000, 1));
}

TEST(Sweeper, RemindsWithinTheLeadDaysOnceAndNoticesOverdueOnce) {
  CivilDay due(2026, 3, 15);
  auto s = invoice(1000, 0, due);
  EXPECT_EQ(sweep_action(s, CivilDay(2026, 3, 11), kDefaults), SweepAction::kNone);    // 4 days
  EXPECT_EQ(sweep_action(s, CivilDay(2026, 3, 12), kDefaults), SweepAction::kRemind);  // 3 days
  EXPECT_EQ(sweep_action(s, CivilDay(2026, 3, 15), kDefaults), SweepAction::kRemind);  // due day
  s.reminder_sent = true;
  EXPECT_EQ(sweep_action(s, CivilDay(2026, 3, 13), kDefaults), SweepAction::kNone);
  EXPECT_EQ(sweep_action(s, CivilDay(2026, 3, 15), kDefaults), SweepAction::kNone);
  EXPECT_EQ(sweep_action(s, CivilDay(2026, 3, 16), kDefaults), SweepAction::kOverdue);
  s.overdue_noticed = true;
  EXPECT_EQ(sweep_action(s, CivilDay(2026, 3, 17), kDefaults), SweepAction::kNone);
}

TEST(Sweeper, LeavesPaidVoidAndDeveloperInvoicesAlone) {
  CivilDay late(2026, 4, 1);
  EXPECT_EQ(sweep_action(invoice(1000, 1000), late, kDefaults), SweepAction::kNone);
  auto v = invoice(1000, 0);
  v.voided = true;
  EXPECT_EQ(sweep_action(v, late, kDefaults), SweepAction::kNone);
  auto d = invoice(1000, 0);
  d.payer = v1::INVOICE_PAYER_DEVELOPER;
  EXPECT_EQ(sweep_action(d, late, kDefaults), SweepAction::kNone);
  // A partial payment does not stop the notice.
  EXPECT_EQ(sweep_action(invoice(1000, 999), late, kDefaults), SweepAction::kOverdue);
}

TEST(Sweeper, ReminderLeadIsThePolicys) {
  BillingPolicy policy = kDefaults;
  policy.reminder_days_before_due = 7;
  EXPECT_EQ(sweep_action(invoice(1000, 0), CivilDay(2026, 3, 8), policy), SweepAction::kRemind);
  EXPECT_EQ(sweep_action(invoice(1000, 0), CivilDay(2026, 3, 7), policy), SweepAction::kNone);
}

TEST(Settlement, StatusFromTotals) {
  EXPECT_EQ(settlement_status(1000, 0), v1::SETTLEMENT_STATUS_ISSUED);
  EXPECT_EQ(settlement_status(1000, 1), v1::SETTLEMENT_STATUS_PARTIALLY_PAID);
  EXPECT_EQ(settlement_status(1000, 1000), v1::SETTLEMENT_STATUS_PAID);
  EXPECT_EQ(settlement_status(0, 0), v1::SETTLEMENT_STATUS_PAID);
}

}  // namespace
}  // namespace aftercare::billing::domain
