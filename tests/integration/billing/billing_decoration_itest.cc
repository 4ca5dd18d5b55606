// Decoration permits in billing (issue 19) on real PostgreSQL: approval invoices the deposit
// (held, not revenue) and the fee once; the finish settles the deposit once: paid back minus the
// deductions, an unpaid deposit voided and its deductions billed; a settled deposit cannot be
// refunded again; unusable events change nothing; the project report shows deposits held and
// refunded. (Delivery through Kafka twice: billing_events_itest.)
#include "billing_fixture.h"

#include <set>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace aftercare::billing::itest {
namespace {

class DecorationTest : public BillingTest {
 protected:
  void SetUp() override {
    BillingTest::SetUp();
    add_unit("U1", 10000, "O1");
  }

  std::string invoice_of(const std::string& kind, const std::string& permit = "PM-1") {
    return scalar_text("SELECT invoice_id::text FROM invoices WHERE kind = '" + kind +
                       "' AND source_id = '" + permit + "'");
  }

  v1::Invoice get(const std::string& invoice_id, const kit::Caller& caller = finance()) {
    v1::GetInvoiceRequest req;
    req.set_invoice_id(invoice_id);
    v1::Invoice out;
    EXPECT_TRUE(stub_->GetInvoice(kit::client_context(caller).get(), req, &out).ok());
    return out;
  }

  v1::ProjectReportResponse report_now() {
    absl::TimeZone shanghai;
    absl::LoadTimeZone("Asia/Shanghai", &shanghai);
    absl::CivilMonth month(absl::ToCivilDay(absl::Now(), shanghai));
    v1::ProjectReportRequest req;
    req.set_project_id("P1");
    req.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
    req.mutable_period()->set_year(static_cast<int>(month.year()));
    req.mutable_period()->set_index(month.month());
    v1::ProjectReportResponse out;
    EXPECT_TRUE(stub_->ProjectReport(kit::client_context(finance()).get(), req, &out).ok());
    return out;
  }
};

TEST_F(DecorationTest, ApprovalInvoicesTheDepositHeldAndTheFeeOnce) {
  v1::Event approved = permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 50000);
  apply(approved);
  apply(approved);  // delivered again under the same id (the inbox would skip it)
  v1::Event again = approved;
  again.set_event_id(kit::new_uuid());
  apply(again);  // republished under a new id: the source key holds
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 2);
  EXPECT_EQ(outbox_count("billing.InvoiceIssued"), 2);
  // The deposit is the owner's money held, not income; the fee is income.
  EXPECT_EQ(balance("deposit:decoration:U1"), -300000);
  EXPECT_EQ(balance("revenue:decoration_fee"), -50000);
  EXPECT_EQ(balance("receivable:unit:U1"), 350000);
  EXPECT_EQ(scalar("SELECT count(*) FROM ledger_entries WHERE account = "
                   "'revenue:decoration_deposit'"),
            0);

  // The owner sees both among the unit's invoices; the deposit shows as held.
  v1::ListInvoicesRequest req;
  req.set_unit_id("U1");
  v1::ListInvoicesResponse list;
  ASSERT_TRUE(stub_->ListInvoices(kit::client_context(owner("O1", {"U1"})).get(), req, &list).ok());
  ASSERT_EQ(list.invoices_size(), 2);
  int deposits = 0;
  for (const auto& i : list.invoices()) {
    EXPECT_EQ(i.owner_id(), "O1");
    EXPECT_EQ(i.source_id(), "PM-1");
    if (i.kind() == v1::INVOICE_KIND_DECORATION_DEPOSIT) {
      ++deposits;
      EXPECT_EQ(i.amount_fen(), 300000);
      EXPECT_EQ(i.deposit().status(), "held");
      EXPECT_EQ(i.deposit().permit_id(), "PM-1");
      ASSERT_EQ(i.lines_size(), 1);
      EXPECT_EQ(i.lines(0).kind(), v1::INVOICE_LINE_KIND_DECORATION_DEPOSIT);
    } else {
      EXPECT_EQ(i.kind(), v1::INVOICE_KIND_DECORATION_FEE);
      EXPECT_EQ(i.amount_fen(), 50000);
      EXPECT_FALSE(i.has_deposit());
    }
  }
  EXPECT_EQ(deposits, 1);
  expect_ledger_balanced();
}

TEST_F(DecorationTest, RemindersSayWhatIsOwed) {
  apply(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 50000));
  // Due after the default 15 days; the reminder goes 3 days before.
  EXPECT_EQ(ops().sweep_once(absl::Now() + absl::Hours(24 * 13)).reminders, 2);
  std::set<int> kinds;
  pool_->in_transaction([&](pqxx::work& tx) {
    for (const auto& r : tx.exec("SELECT payload FROM kit_outbox WHERE event_type = "
                                 "'billing.PaymentReminderDue'")) {
      pqxx::binarystring bytes(r[0]);
      v1::Event e;
      ASSERT_TRUE(e.ParseFromString(bytes.str()));
      kinds.insert(e.payment_reminder_due().kind());
    }
  });
  EXPECT_EQ(kinds,
            (std::set<int>{v1::INVOICE_KIND_DECORATION_DEPOSIT, v1::INVOICE_KIND_DECORATION_FEE}));
}

TEST_F(DecorationTest, FinishRefundsThePaidDepositMinusTheDeductionOnce) {
  apply(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 50000));
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(invoice_of("decoration_deposit"), 300000, "DEP-1", &paid).ok());
  ASSERT_TRUE(pay(invoice_of("decoration_fee"), 50000, "FEE-1", &paid).ok());
  EXPECT_EQ(report_now().decoration_deposits_held_fen(), 300000);
  apply(permit_event(v1::DECORATION_ACTION_VIOLATION, 300000, 50000, 50000));  // nothing yet
  EXPECT_EQ(scalar("SELECT count(*) FROM decoration_deposits"), 0);

  v1::Event finish = permit_event(v1::DECORATION_ACTION_FINISHED, 300000, 50000, 50000);
  apply(finish);
  v1::Event sent_again = permit_event(v1::DECORATION_ACTION_FINISHED, 300000, 50000, 50000);
  apply(sent_again);  // a second finish, another event: settled already
  apply(finish);
  EXPECT_EQ(scalar("SELECT count(*) FROM decoration_deposits"), 1);
  EXPECT_EQ(outbox_count("billing.DecorationDepositSettled"), 1);
  EXPECT_EQ(balance("cash"), 350000 - 250000);
  EXPECT_EQ(balance("deposit:decoration:U1"), 0);
  EXPECT_EQ(balance("revenue:decoration_deduction"), -50000);
  EXPECT_EQ(balance("revenue:decoration_fee"), -50000);
  EXPECT_EQ(balance("receivable:unit:U1"), 0);

  v1::Invoice deposit = get(invoice_of("decoration_deposit"), owner("O1", {"U1"}));
  EXPECT_EQ(deposit.status(), v1::INVOICE_STATUS_PAID);
  EXPECT_EQ(deposit.deposit().status(), "settled");
  EXPECT_EQ(deposit.deposit().refunded_fen(), 250000);
  EXPECT_EQ(deposit.deposit().deducted_fen(), 50000);
  EXPECT_EQ(deposit.deposit().deductions_fen(), 50000);
  EXPECT_EQ(deposit.deposit().waived_fen(), 0);
  EXPECT_EQ(deposit.deposit().reason(), "finished");
  EXPECT_TRUE(deposit.deposit().has_settled_at());

  // The settlement paid the refund: the payment cannot be refunded again by hand.
  v1::RefundPaymentRequest refund;
  refund.set_reference("DEP-1");
  refund.set_amount_fen(1000);
  refund.set_reason("again");
  refund.set_refund_reference("R-DEP-1");
  v1::PaymentResponse out;
  EXPECT_EQ(stub_->RefundPayment(kit::client_context(finance()).get(), refund, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  auto report = report_now();
  EXPECT_EQ(report.decoration_deposits_held_fen(), 0);
  EXPECT_EQ(report.decoration_deposits_refunded_fen(), 250000);
  EXPECT_EQ(report.decoration_deductions_fen(), 50000);
  EXPECT_EQ(report.decoration_fees_fen(), 50000);
  expect_ledger_balanced();
}

TEST_F(DecorationTest, AnUnpaidDepositIsVoidedAtTheEndAndItsDeductionBilled) {
  apply(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 50000));
  apply(permit_event(v1::DECORATION_ACTION_FINISHED, 300000, 50000, 50000));
  v1::Invoice deposit = get(invoice_of("decoration_deposit"));
  EXPECT_EQ(deposit.status(), v1::INVOICE_STATUS_VOID);
  EXPECT_EQ(deposit.outstanding_fen(), 0);
  EXPECT_EQ(deposit.deposit().waived_fen(), 300000);
  EXPECT_EQ(deposit.deposit().refunded_fen(), 0);
  EXPECT_EQ(deposit.deposit().billed_fen(), 50000);
  v1::Invoice deduction = get(deposit.deposit().deduction_invoice_id());
  EXPECT_EQ(deduction.kind(), v1::INVOICE_KIND_DECORATION_DEDUCTION);
  EXPECT_EQ(deduction.amount_fen(), 50000);
  EXPECT_EQ(deduction.owner_id(), "O1");
  EXPECT_EQ(balance("deposit:decoration:U1"), 0);
  EXPECT_EQ(balance("revenue:decoration_deduction"), -50000);
  EXPECT_EQ(balance("receivable:unit:U1"), 50000 + 50000);  // the fee and the deduction
  EXPECT_EQ(balance("cash"), 0);
  EXPECT_EQ(outbox_count("billing.InvoiceVoided"), 1);
  // Nothing more to pay on the voided deposit.
  v1::PaymentResponse paid;
  EXPECT_EQ(pay(deposit.invoice_id(), 1000, "LATE-1", &paid).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  expect_ledger_balanced();
}

TEST_F(DecorationTest, APartlyPaidDepositCoversTheDeductionFirst) {
  apply(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 0));
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 1);  // no fee asked: no fee invoice
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(invoice_of("decoration_deposit"), 100000, "DEP-P", &paid).ok());
  apply(permit_event(v1::DECORATION_ACTION_FINISHED, 300000, 0, 50000));
  v1::Invoice deposit = get(invoice_of("decoration_deposit"));
  EXPECT_EQ(deposit.deposit().refunded_fen(), 50000);
  EXPECT_EQ(deposit.deposit().deducted_fen(), 50000);
  EXPECT_EQ(deposit.deposit().waived_fen(), 200000);
  EXPECT_EQ(deposit.deposit().billed_fen(), 0);
  EXPECT_EQ(deposit.status(), v1::INVOICE_STATUS_VOID);
  EXPECT_EQ(balance("cash"), 50000);
  EXPECT_EQ(balance("receivable:unit:U1"), 0);
  expect_ledger_balanced();
}

TEST_F(DecorationTest, UnusableOrMisplacedEventsChangeNothing) {
  auto rejected = [&](v1::Event e) {
    EXPECT_THROW(apply(e), std::invalid_argument) << e.DebugString();
  };
  rejected(permit_event(v1::DECORATION_ACTION_APPROVED, -1, 50000));
  rejected(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, -5));
  rejected(permit_event(v1::DECORATION_ACTION_FINISHED, 300000, 0, 300001));  // beyond deposit
  rejected(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 50000, 0, ""));
  rejected(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 50000, 0, "PM-1", "bad id!"));
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 0);
  // Applied, refused before any approval, finished without a deposit invoice: nothing to bill.
  apply(permit_event(v1::DECORATION_ACTION_APPLIED, 0, 0));
  apply(permit_event(v1::DECORATION_ACTION_REFUSED, 0, 0));
  apply(permit_event(v1::DECORATION_ACTION_FINISHED, 300000, 50000, 0, "PM-unknown"));
  apply(permit_event(v1::DECORATION_ACTION_APPROVED, 0, 0, 0, "PM-free"));  // nothing asked
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM decoration_deposits"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM ledger_entries"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM kit_outbox"), 0);
}

TEST_F(DecorationTest, AWithdrawnApprovalGivesThePaidDepositBackAndVoidsTheUnpaidFee) {
  apply(permit_event(v1::DECORATION_ACTION_APPROVED, 300000, 50000));
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(invoice_of("decoration_deposit"), 300000, "DEP-W", &paid).ok());
  apply(permit_event(v1::DECORATION_ACTION_REFUSED, 300000, 50000, 0));
  v1::Invoice deposit = get(invoice_of("decoration_deposit"));
  EXPECT_EQ(deposit.deposit().reason(), "refused");
  EXPECT_EQ(deposit.deposit().refunded_fen(), 300000);
  EXPECT_EQ(get(invoice_of("decoration_fee")).status(), v1::INVOICE_STATUS_VOID);
  EXPECT_EQ(balance("cash"), 0);
  EXPECT_EQ(balance("receivable:unit:U1"), 0);
  expect_ledger_balanced();
}

}  // namespace
}  // namespace aftercare::billing::itest
