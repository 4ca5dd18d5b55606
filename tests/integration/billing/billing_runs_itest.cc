// Billing runs, payments, refunds and voids through the gRPC service on real PostgreSQL: a run
// repeated (or run twice at once) creates no second invoice, a payment reported twice is
// applied once, concurrent partial payments never overpay, refunds reverse without editing, and
// the double-entry ledger sums to zero after every operation.
#include <atomic>
#include <thread>

#include "billing/unit_registry.h"
#include "billing_fixture.h"

namespace aftercare::billing::itest {
namespace {

TEST_F(BillingTest, RunBillingBillsEveryUnitOnceAtTheRoundedAmount) {
  add_unit("U1", 8855, "O1");                          // 88.55 m2
  add_unit("U2", 10001, "O2");                         // 100.01 m2
  add_unit("U3", 12000, "");                           // unsold: the developer pays
  add_unit("U4", 9000, "O4", "P1", date(2026, 3, 1));  // handed over after February
  add_unit("X1", 5000, "OX", "P2");                    // another project
  ASSERT_TRUE(set_rate(250, 31).ok());  // 2.50 yuan per m2; due on the month's last day

  v1::RunBillingResponse first;
  ASSERT_TRUE(run(ym(2026, 2), &first).ok());
  EXPECT_EQ(first.created(), 4);
  EXPECT_EQ(first.existing(), 0);
  ASSERT_EQ(first.invoices_size(), 4);
  std::map<std::string, v1::Invoice> by_unit;
  for (const auto& i : first.invoices()) by_unit[i.unit_id()] = i;
  EXPECT_EQ(by_unit["U1"].amount_fen(), 22138);  // 22137.5 rounds half up
  EXPECT_EQ(by_unit["U2"].amount_fen(), 25003);  // 25002.5 rounds half up
  EXPECT_EQ(by_unit["U3"].amount_fen(), 30000);
  EXPECT_EQ(by_unit["U1"].payer(), v1::INVOICE_PAYER_OWNER);
  EXPECT_EQ(by_unit["U1"].owner_id(), "O1");
  EXPECT_EQ(by_unit["U3"].payer(), v1::INVOICE_PAYER_DEVELOPER);
  EXPECT_EQ(by_unit["U4"].payer(), v1::INVOICE_PAYER_DEVELOPER);
  // Due day 31 in February 2026: the 28th.
  EXPECT_EQ(by_unit["U1"].due_date().day(), 28);
  EXPECT_EQ(by_unit["U1"].status(), v1::INVOICE_STATUS_OPEN);
  EXPECT_EQ(by_unit["U1"].paid_fen(), 0);
  EXPECT_EQ(by_unit["U1"].period().month(), 2);
  ASSERT_EQ(by_unit["U1"].lines_size(), 1);
  EXPECT_EQ(by_unit["U1"].lines(0).amount_fen(), 22138);
  EXPECT_EQ(by_unit["U1"].lines(0).area_centi_m2(), 8855);
  EXPECT_EQ(by_unit["U1"].lines(0).fen_per_m2_month(), 250);
  expect_ledger_balanced();
  EXPECT_EQ(balance("receivable:unit:U1"), 22138);
  EXPECT_EQ(balance("receivable:developer:P1"), 30000 + 22500);
  EXPECT_EQ(balance("revenue:property_fee"), -(22138 + 25003 + 30000 + 22500));

  // Run again: nothing new, the same invoices.
  v1::RunBillingResponse second;
  ASSERT_TRUE(run(ym(2026, 2), &second).ok());
  EXPECT_EQ(second.created(), 0);
  EXPECT_EQ(second.existing(), 4);
  ASSERT_EQ(second.invoices_size(), 4);
  EXPECT_EQ(second.invoices(0).invoice_id(), first.invoices(0).invoice_id());
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 4);
  EXPECT_EQ(outbox_count("billing.InvoiceIssued"), 4);
  expect_ledger_balanced();

  // The invoice amount is the sum of its lines.
  EXPECT_EQ(
      scalar("SELECT count(*) FROM invoices i WHERE amount_fen <> "
             "(SELECT sum(amount_fen) FROM invoice_lines l WHERE l.invoice_id = i.invoice_id)"),
      0);
}

TEST_F(BillingTest, ConcurrentRunsCreateOneInvoicePerUnit) {
  for (int i = 0; i < 40; ++i) add_unit("U" + std::to_string(i), 5000 + i, "O" + std::to_string(i));
  ASSERT_TRUE(set_rate(300, 15).ok());
  constexpr int kRuns = 4;
  std::atomic<int> created{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kRuns; ++t) {
    threads.emplace_back([&] {
      v1::RunBillingResponse out;
      if (run(ym(2026, 5), &out).ok()) {
        ++ok;
        created += out.created();
        EXPECT_EQ(out.invoices_size(), 40);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kRuns);
  EXPECT_EQ(created.load(), 40);
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 40);
  EXPECT_EQ(scalar("SELECT count(DISTINCT unit_id) FROM invoices WHERE period = '2026-05'"), 40);
  EXPECT_EQ(outbox_count("billing.InvoiceIssued"), 40);
  expect_ledger_balanced();
}

TEST_F(BillingTest, RunNeedsARateAndAValidPeriod) {
  add_unit("U1", 8855, "O1");
  v1::RunBillingResponse out;
  EXPECT_EQ(run(ym(2026, 2), &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(set_rate(250, 15).ok());
  auto bad = run(ym(2026, 13), &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message().rfind("period:", 0), 0u) << bad.error_message();
  EXPECT_EQ(run(ym(2026, 0), &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::RunBillingRequest no_period;
  no_period.set_project_id("P1");
  EXPECT_EQ(stub_->RunBilling(kit::client_context(finance()).get(), no_period, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 0);
  // A later dated rate applies from its month on; earlier months keep the base rate.
  v1::SetFeeRateRequest dated;
  dated.set_project_id("P1");
  dated.set_fen_per_m2_month(400);
  dated.set_due_day(10);
  *dated.mutable_effective_from() = ym(2026, 6);
  v1::FeeRate rate;
  ASSERT_TRUE(stub_->SetFeeRate(kit::client_context(finance()).get(), dated, &rate).ok());
  EXPECT_EQ(fee_invoice("U1", ym(2026, 5)).amount_fen(), 22138);
  auto june = fee_invoice("U1", ym(2026, 6));
  EXPECT_EQ(june.amount_fen(), 35420);  // 88.55 x 4.00
  EXPECT_EQ(june.due_date().day(), 10);
}

TEST_F(BillingTest, FeeRateValidationAndRoles) {
  EXPECT_EQ(set_rate(0, 15).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(set_rate(-250, 15).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(set_rate(INT64_MAX, 15).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(set_rate(250, 0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(set_rate(250, 32).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(set_rate(250, 15, "P2").error_code(), grpc::StatusCode::NOT_FOUND);  // not in scope
  EXPECT_EQ(set_rate(250, 15, "P1", owner("O1", {"U1"})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      set_rate(250, 15, "P1", kit::Caller{"a", kit::Role::agent, {"P1"}, {}, ""}).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(scalar("SELECT count(*) FROM fee_rates"), 0);
  EXPECT_EQ(outbox_count("billing.FeeRateSet"), 0);
  ASSERT_TRUE(set_rate(250, 15, "P1", admin()).ok());
  EXPECT_EQ(outbox_count("billing.FeeRateSet"), 1);
  v1::GetFeeRateRequest get;
  get.set_project_id("P1");
  v1::FeeRate rate;
  ASSERT_TRUE(stub_->GetFeeRate(kit::client_context(finance()).get(), get, &rate).ok());
  EXPECT_EQ(rate.fen_per_m2_month(), 250);
  EXPECT_EQ(rate.due_day(), 15);
  EXPECT_EQ(rate.billing_cycle(), "monthly");
  v1::RunBillingResponse out;
  EXPECT_EQ(run(ym(2026, 2), &out, "P1", owner("O1", {"U1"})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(BillingTest, PaymentReportedTwiceIsAppliedOnce) {
  add_unit("U1", 10000, "O1");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto invoice = fee_invoice("U1", ym(2026, 3));
  ASSERT_EQ(invoice.amount_fen(), 30000);

  v1::PaymentResponse first, second;
  ASSERT_TRUE(pay(invoice.invoice_id(), 12000, "BANK-0001", &first).ok());
  EXPECT_FALSE(first.replayed());
  EXPECT_EQ(first.invoice().paid_fen(), 12000);
  EXPECT_EQ(first.invoice().status(), v1::INVOICE_STATUS_PARTIALLY_PAID);
  EXPECT_FALSE(first.payment().receipt_no().empty());
  ASSERT_TRUE(pay(invoice.invoice_id(), 12000, "BANK-0001", &second).ok());
  EXPECT_TRUE(second.replayed());
  EXPECT_EQ(second.payment().payment_id(), first.payment().payment_id());
  EXPECT_EQ(second.payment().receipt_no(), first.payment().receipt_no());
  EXPECT_EQ(second.invoice().paid_fen(), 12000);
  EXPECT_EQ(scalar("SELECT count(*) FROM payments"), 1);
  EXPECT_EQ(outbox_count("billing.PaymentRecorded"), 1);
  EXPECT_EQ(balance("cash"), 12000);
  expect_ledger_balanced();

  // The same reference for a different payment is a conflict, not a second payment.
  v1::PaymentResponse other;
  EXPECT_EQ(pay(invoice.invoice_id(), 500, "BANK-0001", &other).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(scalar("SELECT count(*) FROM payments"), 1);
}

TEST_F(BillingTest, SameReferenceReportedConcurrentlyIsAppliedOnce) {
  add_unit("U1", 10000, "O1");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto invoice = fee_invoice("U1", ym(2026, 3));
  std::atomic<int> ok{0}, replayed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      v1::PaymentResponse out;
      if (pay(invoice.invoice_id(), 30000, "WX-777", &out).ok()) {
        ++ok;
        if (out.replayed()) ++replayed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(replayed.load(), 7);
  EXPECT_EQ(scalar("SELECT count(*) FROM payments"), 1);
  EXPECT_EQ(scalar("SELECT paid_fen FROM invoices"), 30000);
  expect_ledger_balanced();
}

TEST_F(BillingTest, PartialPaymentsMoveTheStatusAndOverpaymentIsRefused) {
  add_unit("U1", 10000, "O1");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto invoice = fee_invoice("U1", ym(2026, 3));
  v1::PaymentResponse out;
  ASSERT_TRUE(pay(invoice.invoice_id(), 10000, "R1", &out).ok());
  EXPECT_EQ(out.invoice().status(), v1::INVOICE_STATUS_PARTIALLY_PAID);
  // More than the 20000 outstanding: refused, nothing written.
  auto over = pay(invoice.invoice_id(), 20001, "R2", &out);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(over.error_message().find("20000"), std::string::npos) << over.error_message();
  EXPECT_EQ(scalar("SELECT count(*) FROM payments"), 1);
  EXPECT_EQ(outbox_count("billing.PaymentRecorded"), 1);
  ASSERT_TRUE(pay(invoice.invoice_id(), 20000, "R2", &out).ok());
  EXPECT_EQ(out.invoice().status(), v1::INVOICE_STATUS_PAID);
  EXPECT_EQ(out.invoice().paid_fen(), 30000);
  EXPECT_EQ(out.invoice().outstanding_fen(), 0);
  EXPECT_EQ(pay(invoice.invoice_id(), 1, "R3", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(balance("receivable:unit:U1"), 0);
  expect_ledger_balanced();
}

TEST_F(BillingTest, ConcurrentPartialPaymentsNeverOverpay) {
  add_unit("U1", 10000, "O1");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto invoice = fee_invoice("U1", ym(2026, 3));
  const int64_t tenth = invoice.amount_fen() / 10;
  ASSERT_EQ(tenth * 10, invoice.amount_fen());
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      v1::PaymentResponse out;
      auto s = pay(invoice.invoice_id(), tenth, "PAR-" + std::to_string(t), &out);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++refused;
      } else {
        ++other;
        ADD_FAILURE() << s.error_message();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(refused.load(), 10);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(scalar("SELECT paid_fen FROM invoices"), invoice.amount_fen());
  EXPECT_EQ(scalar("SELECT count(*) FROM payments"), 10);
  EXPECT_EQ(scalar("SELECT sum(amount_fen) FROM payments"), invoice.amount_fen());
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices WHERE status = 'paid'"), 1);
  expect_ledger_balanced();
}

TEST_F(BillingTest, RefundsReverseWithoutEditingThePayment) {
  add_unit("U1", 10000, "O1");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto invoice = fee_invoice("U1", ym(2026, 3));
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(invoice.invoice_id(), 30000, "R1", &paid).ok());
  ASSERT_EQ(paid.invoice().status(), v1::INVOICE_STATUS_PAID);

  v1::RefundPaymentRequest req;
  req.set_payment_id(paid.payment().payment_id());
  req.set_amount_fen(5000);
  req.set_reason("charged twice at the counter");
  req.set_refund_reference("RF-1");
  v1::PaymentResponse out;
  ASSERT_TRUE(stub_->RefundPayment(kit::client_context(finance()).get(), req, &out).ok());
  EXPECT_EQ(out.invoice().paid_fen(), 25000);
  EXPECT_EQ(out.invoice().status(), v1::INVOICE_STATUS_PARTIALLY_PAID);
  EXPECT_EQ(out.payment().amount_fen(), 30000);  // the payment itself is unchanged
  EXPECT_EQ(out.payment().refunded_fen(), 5000);
  // Repeated: nothing new.
  ASSERT_TRUE(stub_->RefundPayment(kit::client_context(finance()).get(), req, &out).ok());
  EXPECT_TRUE(out.replayed());
  EXPECT_EQ(scalar("SELECT count(*) FROM refunds"), 1);
  // More than is left of the payment: refused.
  req.set_refund_reference("RF-2");
  req.set_amount_fen(25001);
  EXPECT_EQ(stub_->RefundPayment(kit::client_context(finance()).get(), req, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Owners cannot refund.
  req.set_amount_fen(1);
  EXPECT_EQ(
      stub_->RefundPayment(kit::client_context(owner("O1", {"U1"})).get(), req, &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(scalar("SELECT sum(amount_fen) FROM payments"), 30000);
  EXPECT_EQ(balance("cash"), 25000);
  EXPECT_EQ(balance("receivable:unit:U1"), 5000);
  EXPECT_EQ(outbox_count("billing.PaymentRefunded"), 1);
  // Payments and refunds are append-only in the database itself.
  EXPECT_THROW(
      pool_->in_transaction([](pqxx::work& tx) { tx.exec("UPDATE payments SET amount_fen = 1"); }),
      pqxx::sql_error);
  EXPECT_THROW(pool_->in_transaction([](pqxx::work& tx) { tx.exec("DELETE FROM ledger_entries"); }),
               pqxx::sql_error);
  expect_ledger_balanced();
}

TEST_F(BillingTest, AnUnbalancedPostingCannotBeCommitted) {
  EXPECT_THROW(pool_->in_transaction([](pqxx::work& tx) {
    tx.exec(
        "INSERT INTO ledger_transactions (project_id, kind, source_id) "
        "VALUES ('P1', 'test', 'x')");
    tx.exec(
        "INSERT INTO ledger_entries (txn_id, account, amount_fen) "
        "SELECT txn_id, 'cash', 100 FROM ledger_transactions");
    tx.exec(
        "INSERT INTO ledger_entries (txn_id, account, amount_fen) "
        "SELECT txn_id, 'revenue:fine', -99 FROM ledger_transactions");
  }),
               pqxx::sql_error);
  EXPECT_EQ(scalar("SELECT count(*) FROM ledger_entries"), 0);
}

TEST_F(BillingTest, PaymentValidationAndScope) {
  add_unit("U1", 10000, "O1");
  add_unit("U2", 10000, "O2");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto mine = fee_invoice("U1", ym(2026, 3));
  auto theirs = fee_invoice("U2", ym(2026, 3));
  v1::PaymentResponse out;
  EXPECT_EQ(pay(mine.invoice_id(), 0, "A", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(pay(mine.invoice_id(), -5, "A", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto huge = pay(mine.invoice_id(), INT64_MAX, "A", &out);
  EXPECT_EQ(huge.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(huge.error_message().rfind("amount_fen:", 0), 0u) << huge.error_message();
  EXPECT_EQ(pay(mine.invoice_id(), 100, "", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(pay("", 100, "A", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(pay("00000000-0000-4000-8000-000000000000", 100, "A", &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(pay("INV-unknown", 100, "A", &out).error_code(), grpc::StatusCode::NOT_FOUND);
  // Owners pay their own invoices only; another's is not found.
  EXPECT_EQ(pay(theirs.invoice_id(), 100, "A", &out, owner("O1", {"U1"})).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(pay(mine.invoice_id(), 100, "A", &out, owner("O1", {"U1"})).ok());
  // Finance of another project does not see it either.
  EXPECT_EQ(pay(theirs.invoice_id(), 100, "B", &out, finance({"P9"})).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A crew member may not pay invoices.
  EXPECT_EQ(
      pay(theirs.invoice_id(), 100, "C", &out, kit::Caller{"c", kit::Role::crew, {"P1"}, {}, "C1"})
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // A payment dated in the future is refused.
  v1::RecordPaymentRequest future;
  future.set_invoice_id(mine.invoice_id());
  future.set_amount_fen(100);
  future.set_reference("F");
  future.mutable_paid_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(2)));
  EXPECT_EQ(stub_->RecordPayment(kit::client_context(finance()).get(), future, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(scalar("SELECT count(*) FROM payments"), 1);
  // Developer invoices are settled through the settlement, not paid here.
  add_unit("U9", 10000, "");
  auto developer = fee_invoice("U9", ym(2026, 3));
  EXPECT_EQ(pay(developer.invoice_id(), 100, "D", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  expect_ledger_balanced();
}

TEST_F(BillingTest, OwnersListAndReadOnlyTheirOwnInvoices) {
  add_unit("U1", 10000, "O1");
  add_unit("U2", 10000, "O2");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto mine = fee_invoice("U1", ym(2026, 3));
  fee_invoice("U1", ym(2026, 4));
  auto theirs = fee_invoice("U2", ym(2026, 3));

  v1::ListInvoicesRequest req;
  v1::ListInvoicesResponse list;
  ASSERT_TRUE(stub_->ListInvoices(kit::client_context(owner("O1", {"U1"})).get(), req, &list).ok());
  EXPECT_EQ(list.invoices_size(), 2);
  for (const auto& i : list.invoices()) EXPECT_EQ(i.unit_id(), "U1");
  req.set_unit_id("U2");  // another owner's unit: not found, like the invoice itself
  list.Clear();
  EXPECT_EQ(
      stub_->ListInvoices(kit::client_context(owner("O1", {"U1"})).get(), req, &list).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(list.invoices_size(), 0);
  req.set_unit_id("U1");
  *req.mutable_period() = ym(2026, 3);
  list.Clear();
  ASSERT_TRUE(stub_->ListInvoices(kit::client_context(owner("O1", {"U1"})).get(), req, &list).ok());
  ASSERT_EQ(list.invoices_size(), 1);
  EXPECT_EQ(list.invoices(0).invoice_id(), mine.invoice_id());
  *req.mutable_period() = ym(2026, 13);
  EXPECT_EQ(stub_->ListInvoices(kit::client_context(finance()).get(), req, &list).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetInvoiceRequest get;
  v1::Invoice invoice;
  get.set_invoice_id(theirs.invoice_id());
  EXPECT_EQ(
      stub_->GetInvoice(kit::client_context(owner("O1", {"U1"})).get(), get, &invoice).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(stub_->GetInvoice(kit::client_context(finance()).get(), get, &invoice).ok());
  EXPECT_EQ(
      stub_->GetInvoice(kit::client_context(finance({"P2"})).get(), get, &invoice).error_code(),
      grpc::StatusCode::NOT_FOUND);

  // Finance pages through a project.
  v1::ListInvoicesRequest page_req;
  page_req.set_project_id("P1");
  page_req.set_page_size(2);
  std::set<std::string> seen;
  for (int pages = 0; pages < 5; ++pages) {
    v1::ListInvoicesResponse page;
    ASSERT_TRUE(stub_->ListInvoices(kit::client_context(finance()).get(), page_req, &page).ok());
    for (const auto& i : page.invoices()) seen.insert(i.invoice_id());
    if (page.next_page_token().empty()) break;
    page_req.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen.size(), 4u);  // March and April for U1 and U2
  page_req.set_page_token("garbage!");
  v1::ListInvoicesResponse page;
  EXPECT_EQ(stub_->ListInvoices(kit::client_context(finance()).get(), page_req, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(BillingTest, VoidReversesTheInvoicePosting) {
  add_unit("U1", 10000, "O1");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto invoice = fee_invoice("U1", ym(2026, 3));
  v1::VoidInvoiceRequest req;
  req.set_invoice_id(invoice.invoice_id());
  v1::Invoice out;
  EXPECT_EQ(stub_->VoidInvoice(kit::client_context(finance()).get(), req, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // reason required
  req.set_reason("unit registered twice");
  ASSERT_TRUE(stub_->VoidInvoice(kit::client_context(finance()).get(), req, &out).ok());
  EXPECT_EQ(out.status(), v1::INVOICE_STATUS_VOID);
  EXPECT_EQ(balance("receivable:unit:U1"), 0);
  EXPECT_EQ(balance("revenue:property_fee"), 0);
  v1::PaymentResponse paid;
  EXPECT_EQ(pay(invoice.invoice_id(), 100, "V", &paid).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // A paid invoice cannot be voided.
  auto april = fee_invoice("U1", ym(2026, 4));
  ASSERT_TRUE(pay(april.invoice_id(), 100, "P", &paid).ok());
  req.set_invoice_id(april.invoice_id());
  EXPECT_EQ(stub_->VoidInvoice(kit::client_context(finance()).get(), req, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(outbox_count("billing.InvoiceVoided"), 1);
  expect_ledger_balanced();
}

TEST_F(BillingTest, PaidServicesAreInvoicedOncePerSource) {
  add_unit("U1", 10000, "O1");
  v1::IssueInvoiceRequest req;
  req.set_project_id("P1");
  req.set_unit_id("U1");
  req.set_kind(v1::INVOICE_KIND_PAID_SERVICE);
  req.set_amount_fen(8800);
  req.set_description("保洁 deep cleaning");
  req.set_source_id("SVC-1");
  v1::Invoice first, second;
  ASSERT_TRUE(stub_->IssueInvoice(kit::client_context(finance()).get(), req, &first).ok());
  EXPECT_EQ(first.kind(), v1::INVOICE_KIND_PAID_SERVICE);
  EXPECT_EQ(first.description(), "保洁 deep cleaning");
  ASSERT_TRUE(stub_->IssueInvoice(kit::client_context(finance()).get(), req, &second).ok());
  EXPECT_EQ(second.invoice_id(), first.invoice_id());
  EXPECT_EQ(scalar("SELECT count(*) FROM invoices"), 1);
  req.set_kind(v1::INVOICE_KIND_PROPERTY_FEE);
  EXPECT_EQ(stub_->IssueInvoice(kit::client_context(finance()).get(), req, &second).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_kind(v1::INVOICE_KIND_PAID_SERVICE);
  req.set_unit_id("U-unknown");
  EXPECT_EQ(stub_->IssueInvoice(kit::client_context(finance()).get(), req, &second).error_code(),
            grpc::StatusCode::NOT_FOUND);
  expect_ledger_balanced();
  EXPECT_EQ(balance("revenue:paid_service"), -8800);
}

}  // namespace
}  // namespace aftercare::billing::itest

namespace aftercare::billing::itest {
namespace {

// A registry that knows a unit whose UnitUpserted event has not reached billing yet.
class FakeRegistry final : public UnitRegistry {
 public:
  std::vector<std::pair<v1::UnitUpserted, absl::Time>> project_units(const std::string&) override {
    ++calls;
    v1::UnitUpserted u;
    u.set_unit_id("U-late");
    u.set_area_centi_m2(8850);
    u.set_owner_id("owner-late");
    *u.mutable_handover_date() = date(2024, 6, 1);
    return {{u, absl::Now()}};
  }
  int calls = 0;
};

class FailingRegistry final : public UnitRegistry {
 public:
  std::vector<std::pair<v1::UnitUpserted, absl::Time>> project_units(const std::string&) override {
    throw std::runtime_error("intake unreachable");
  }
};

TEST_F(BillingTest, ARunBillsUnitsTheRegistryKnowsBeforeTheirEventsArrive) {
  ASSERT_TRUE(set_rate(300, 15).ok());
  add_unit("U-event", 10000, "owner-1");
  FakeRegistry registry;
  service_->use_registry(&registry);
  v1::RunBillingResponse out;
  ASSERT_TRUE(run(ym(2026, 11), &out).ok());
  EXPECT_EQ(registry.calls, 1);
  ASSERT_EQ(out.invoices_size(), 2);
  std::map<std::string, int64_t> amount;
  for (const auto& i : out.invoices()) amount[i.unit_id()] = i.amount_fen();
  EXPECT_EQ(amount["U-late"], 26550);  // round-half-up(88.50 m2 x 300 fen)
  EXPECT_EQ(amount["U-event"], 30000);
  // The event arriving later changes nothing: one invoice per unit and period.
  add_unit("U-late", 8850, "owner-late");
  v1::RunBillingResponse again;
  ASSERT_TRUE(run(ym(2026, 11), &again).ok());
  EXPECT_EQ(again.created(), 0);
}

TEST_F(BillingTest, ARunStillBillsFromTheProjectionWhenTheRegistryIsDown) {
  ASSERT_TRUE(set_rate(300, 15).ok());
  add_unit("U-event", 10000, "owner-1");
  FailingRegistry registry;
  service_->use_registry(&registry);
  v1::RunBillingResponse out;
  ASSERT_TRUE(run(ym(2026, 11), &out).ok());
  EXPECT_EQ(out.invoices_size(), 1);
}

}  // namespace
}  // namespace aftercare::billing::itest

namespace aftercare::billing::itest {
namespace {

TEST_F(BillingTest, ARunMoreThanAYearAheadIsRefusedAndWritesNothing) {
  ASSERT_TRUE(set_rate(300, 15).ok());
  add_unit("U-1", 10000, "owner-1");
  absl::CivilMonth now = absl::ToCivilMonth(absl::Now(), absl::UTCTimeZone());
  absl::CivilMonth far = now + 13, next = now + 1;
  v1::RunBillingResponse out;
  auto refused = run(ym(static_cast<int>(far.year()), far.month()), &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("period"), std::string::npos);
  EXPECT_EQ(run(ym(9999, 12), &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(pool_->in_transaction([](pqxx::work& tx) {
    return tx.exec("SELECT count(*) FROM invoices")[0][0].as<int>();
  }),
            0);
  EXPECT_TRUE(
      run(ym(static_cast<int>(next.year()), next.month()), &out).ok());  // next month is fine
}

}  // namespace
}  // namespace aftercare::billing::itest
