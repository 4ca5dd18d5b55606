// Reminders and overdue notices (sweeper), arrears aging, collection rate, the developer's
// month-end settlement with builder chargebacks against retention deposits, fines, and the
// project report, on real PostgreSQL; the ledger sums to zero after every step.
#include <atomic>
#include <thread>

#include "billing_fixture.h"

namespace aftercare::billing::itest {
namespace {

absl::Time shanghai(int y, int m, int d, int hh = 10) {
  absl::TimeZone zone;
  absl::LoadTimeZone("Asia/Shanghai", &zone);
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), zone);
}

v1::Event warranty_cost(const std::string& work_order_id, const std::string& builder,
                        int64_t cost_fen, absl::Time signed_off,
                        const std::string& project = "P1") {
  v1::Event e;
  e.set_event_id(kit::new_uuid());
  e.set_type("dispatch.WarrantyCostAdvanced");
  e.set_project_id(project);
  e.set_aggregate_id(work_order_id);
  auto* w = e.mutable_warranty_cost_advanced();
  w->set_work_order_id(work_order_id);
  w->set_ticket_id("T-" + work_order_id);
  w->set_unit_id("U1");
  w->set_builder_party_id(builder);
  w->set_performed_by_kind(v1::PARTY_KIND_CREW);
  w->set_performed_by_party_id("CREW-1");
  w->set_cost_fen(cost_fen);
  w->mutable_signed_off_at()->set_seconds(absl::ToUnixSeconds(signed_off));
  return e;
}

TEST_F(BillingTest, SweeperRemindsThreeDaysBeforeAndNoticesOverdueOncePerInvoice) {
  add_unit("U1", 10000, "O1");
  add_unit("U2", 10000, "O2");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto u1 = fee_invoice("U1", ym(2026, 3));  // due 2026-03-15
  auto u2 = fee_invoice("U2", ym(2026, 3));
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(u2.invoice_id(), u2.amount_fen(), "FULL", &paid).ok());  // nothing to remind

  auto r = ops().sweep_once(shanghai(2026, 3, 11));  // 4 days before
  EXPECT_EQ(r.reminders, 0);
  EXPECT_EQ(r.overdue, 0);
  r = ops().sweep_once(shanghai(2026, 3, 12));  // 3 days before
  EXPECT_EQ(r.reminders, 1);
  r = ops().sweep_once(shanghai(2026, 3, 13));
  EXPECT_EQ(r.reminders, 0);
  r = ops().sweep_once(shanghai(2026, 3, 15, 23));  // due day, late evening: not yet overdue
  EXPECT_EQ(r.overdue, 0);
  // 16 March 01:00 in Shanghai is still 15 March in UTC: the project's day decides.
  r = ops().sweep_once(shanghai(2026, 3, 16, 1));
  EXPECT_EQ(r.overdue, 1);
  r = ops().sweep_once(shanghai(2026, 3, 17));
  EXPECT_EQ(r.overdue, 0);
  // Sweepers racing: still one notice each.
  std::vector<std::thread> racers;
  for (int i = 0; i < 4; ++i) racers.emplace_back([&] { ops().sweep_once(shanghai(2026, 3, 20)); });
  for (auto& t : racers) t.join();
  EXPECT_EQ(outbox_count("billing.PaymentReminderDue"), 1);
  EXPECT_EQ(outbox_count("billing.InvoiceOverdue"), 1);

  v1::GetInvoiceRequest get;
  get.set_invoice_id(u1.invoice_id());
  v1::Invoice invoice;
  ASSERT_TRUE(stub_->GetInvoice(kit::client_context(finance()).get(), get, &invoice).ok());
  EXPECT_EQ(invoice.status(), v1::INVOICE_STATUS_OVERDUE);
  // A partial payment leaves it overdue; paying the rest makes it paid.
  ASSERT_TRUE(pay(u1.invoice_id(), 1000, "P1", &paid).ok());
  EXPECT_EQ(paid.invoice().status(), v1::INVOICE_STATUS_OVERDUE);
  ASSERT_TRUE(pay(u1.invoice_id(), u1.amount_fen() - 1000, "P2", &paid).ok());
  EXPECT_EQ(paid.invoice().status(), v1::INVOICE_STATUS_PAID);
  EXPECT_EQ(ops().sweep_once(shanghai(2026, 4, 1)).overdue, 0);
  expect_ledger_balanced();
}

TEST_F(BillingTest, ArrearsAreAgedByDaysPastTheDueDate) {
  add_unit("U1", 10000, "O1");
  add_unit("U2", 10000, "O2");
  const absl::CivilDay as_of(2027, 6, 30);
  // One paid-service invoice per boundary, due the given number of days before as_of.
  int n = 0;
  for (int days : {0, 30, 31, 90, 91, 365, 366}) {
    v1::IssueInvoiceRequest req;
    req.set_project_id("P1");
    req.set_unit_id("U1");
    req.set_kind(v1::INVOICE_KIND_PAID_SERVICE);
    req.set_amount_fen(1000 + days);
    req.set_source_id("S" + std::to_string(n++));
    absl::CivilDay due = as_of - days;
    *req.mutable_due_date() = date(static_cast<int>(due.year()), due.month(), due.day());
    v1::Invoice out;
    ASSERT_TRUE(stub_->IssueInvoice(kit::client_context(finance()).get(), req, &out).ok());
  }
  v1::ArrearsRequest req;
  req.set_project_id("P1");
  *req.mutable_as_of() = date(2027, 6, 30);
  v1::ArrearsResponse out;
  ASSERT_TRUE(stub_->Arrears(kit::client_context(finance()).get(), req, &out).ok());
  ASSERT_EQ(out.units_size(), 1);  // U2 owes nothing
  const auto& u = out.units(0);
  EXPECT_EQ(u.unit_id(), "U1");
  EXPECT_EQ(u.owner_phone_masked(), "138****0000");
  ASSERT_EQ(u.buckets_size(), 4);
  EXPECT_EQ(u.buckets(0).min_days_overdue(), 1);
  EXPECT_EQ(u.buckets(0).max_days_overdue(), 30);
  EXPECT_EQ(u.buckets(0).amount_fen(), 1030);
  EXPECT_EQ(u.buckets(0).invoices(), 1);
  EXPECT_EQ(u.buckets(1).amount_fen(), 1031 + 1090);
  EXPECT_EQ(u.buckets(2).amount_fen(), 1091 + 1365);
  EXPECT_EQ(u.buckets(3).amount_fen(), 1366);
  EXPECT_EQ(u.buckets(3).max_days_overdue(), 0);
  EXPECT_EQ(u.current_fen(), 1000);  // due on as_of: not overdue
  EXPECT_EQ(u.overdue_fen(), 1030 + 1031 + 1090 + 1091 + 1365 + 1366);
  EXPECT_EQ(u.outstanding_fen(), u.overdue_fen() + 1000);
  EXPECT_EQ(out.total_overdue_fen(), u.overdue_fen());
  EXPECT_EQ(out.project_buckets(1).amount_fen(), 1031 + 1090);

  // Owners see their own unit only.
  v1::ArrearsRequest mine;
  mine.set_unit_id("U1");
  *mine.mutable_as_of() = date(2027, 6, 30);
  ASSERT_TRUE(stub_->Arrears(kit::client_context(owner("O1", {"U1"})).get(), mine, &out).ok());
  EXPECT_EQ(out.units_size(), 1);
  EXPECT_EQ(stub_->Arrears(kit::client_context(owner("O2", {"U2"})).get(), mine, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->Arrears(kit::client_context(finance({"P2"})).get(), req, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  *req.mutable_as_of() = date(2027, 2, 30);
  EXPECT_EQ(stub_->Arrears(kit::client_context(finance()).get(), req, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(BillingTest, CollectionRateIsAnExactRatio) {
  add_unit("U1", 10000, "O1");  // 30000
  add_unit("U2", 10000, "O2");  // 30000
  add_unit("U3", 10000, "O3");  // 30000
  add_unit("U4", 10000, "");    // the developer's: not in the owners' collection rate
  ASSERT_TRUE(set_rate(300, 15).ok());
  v1::RunBillingResponse billed;
  ASSERT_TRUE(run(ym(2026, 3), &billed).ok());
  std::map<std::string, std::string> ids;
  for (const auto& i : billed.invoices()) ids[i.unit_id()] = i.invoice_id();
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(ids["U1"], 30000, "A", &paid).ok());
  ASSERT_TRUE(pay(ids["U2"], 10000, "B", &paid).ok());
  v1::CollectionRateRequest req;
  req.set_project_id("P1");
  *req.mutable_period() = ym(2026, 3);
  v1::CollectionRateResponse out;
  ASSERT_TRUE(stub_->CollectionRate(kit::client_context(finance()).get(), req, &out).ok());
  EXPECT_EQ(out.billed_fen(), 90000);
  EXPECT_EQ(out.collected_fen(), 40000);
  EXPECT_EQ(out.rate().numerator(), 40000);
  EXPECT_EQ(out.rate().denominator(), 90000);
  EXPECT_EQ(out.rate().basis_points(), 4444);  // 0.44444...
  EXPECT_EQ(out.invoices(), 3);
  EXPECT_EQ(out.paid_invoices(), 1);
  // As of a day before the payments: nothing collected yet.
  *req.mutable_as_of() = date(2020, 1, 1);
  ASSERT_TRUE(stub_->CollectionRate(kit::client_context(finance()).get(), req, &out).ok());
  EXPECT_EQ(out.collected_fen(), 0);
  EXPECT_EQ(out.rate().basis_points(), 0);
  *req.mutable_period() = ym(2026, 13);
  EXPECT_EQ(stub_->CollectionRate(kit::client_context(finance()).get(), req, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(BillingTest, SettlementTotalsEqualTheSumOfItsSourceEntries) {
  add_unit("U1", 10000, "O1");
  add_unit("U8", 10000, "");  // unsold: fees due from the developer
  add_unit("U9", 5050, "");
  ASSERT_TRUE(set_rate(300, 15).ok());
  v1::RunBillingResponse billed;
  ASSERT_TRUE(run(ym(2026, 3), &billed).ok());
  apply(warranty_cost("WO-1", "B1", 45000, shanghai(2026, 3, 5)));
  apply(warranty_cost("WO-2", "B1", 12345, shanghai(2026, 3, 31, 23)));
  apply(warranty_cost("WO-3", "B2", 80000, shanghai(2026, 3, 20)));
  apply(warranty_cost("WO-4", "B1", 7000, shanghai(2026, 4, 2)));  // April: next statement
  EXPECT_EQ(balance("advanced:warranty:P1"), 45000 + 12345 + 80000 + 7000);
  expect_ledger_balanced();

  // Retention deposits of the builders.
  v1::RecordRetentionDepositRequest dep;
  dep.set_project_id("P1");
  dep.set_builder_party_id("B1");
  dep.set_amount_fen(100000);
  dep.set_reference("DEP-B1-1");
  v1::RetentionAccount account;
  ASSERT_TRUE(
      stub_->RecordRetentionDeposit(kit::client_context(finance()).get(), dep, &account).ok());
  ASSERT_TRUE(
      stub_->RecordRetentionDeposit(kit::client_context(finance()).get(), dep, &account).ok());
  EXPECT_EQ(account.deposited_fen(), 100000);  // recorded once
  EXPECT_EQ(account.pending_chargeback_fen(), 45000 + 12345 + 7000);

  v1::IssueSettlementRequest req;
  req.set_project_id("P1");
  *req.mutable_period() = ym(2026, 3);
  v1::Settlement s;
  ASSERT_TRUE(stub_->IssueSettlement(kit::client_context(finance()).get(), req, &s).ok());
  EXPECT_EQ(s.warranty_repair_fen(), 45000 + 12345 + 80000);
  EXPECT_EQ(s.property_fee_fen(), 30000 + 15150);
  EXPECT_EQ(s.total_fen(), s.warranty_repair_fen() + s.property_fee_fen());
  EXPECT_EQ(s.work_order_count(), 3);
  EXPECT_EQ(s.fee_invoice_count(), 2);
  EXPECT_EQ(s.status(), v1::SETTLEMENT_STATUS_ISSUED);
  int64_t items = 0;
  for (const auto& i : s.items()) items += i.amount_fen();
  EXPECT_EQ(items, s.total_fen());
  // The same totals straight from the source tables.
  const std::string id = "'" + s.settlement_id() + "'";
  EXPECT_EQ(scalar("SELECT sum(cost_fen) FROM warranty_costs WHERE settlement_id = " + id),
            s.warranty_repair_fen());
  EXPECT_EQ(scalar("SELECT sum(amount_fen) FROM invoices WHERE settlement_id = " + id),
            s.property_fee_fen());
  EXPECT_EQ(scalar("SELECT sum(amount_fen) FROM settlement_items WHERE settlement_id = " + id),
            s.total_fen());
  EXPECT_EQ(balance("receivable:developer:P1"), s.total_fen());
  EXPECT_EQ(balance("advanced:warranty:P1"), 7000);
  expect_ledger_balanced();

  // Issued again: the same statement. The next month takes only what is left.
  v1::Settlement again;
  ASSERT_TRUE(stub_->IssueSettlement(kit::client_context(finance()).get(), req, &again).ok());
  EXPECT_EQ(again.settlement_id(), s.settlement_id());
  EXPECT_EQ(again.total_fen(), s.total_fen());
  EXPECT_EQ(outbox_count("billing.SettlementIssued"), 1);

  // Builders were charged back against their deposits, with a running balance.
  ASSERT_TRUE(stub_
                  ->GetRetention(
                      kit::client_context(finance()).get(),
                      [] {
                        v1::GetRetentionRequest g;
                        g.set_project_id("P1");
                        g.set_builder_party_id("B1");
                        return g;
                      }(),
                      &account)
                  .ok());
  EXPECT_EQ(account.deposited_fen(), 100000);
  EXPECT_EQ(account.charged_back_fen(), 45000 + 12345);
  EXPECT_EQ(account.balance_fen(), 100000 - 45000 - 12345);
  EXPECT_EQ(account.pending_chargeback_fen(), 7000);
  ASSERT_EQ(account.entries_size(), 3);
  EXPECT_EQ(account.entries(0).balance_after_fen(), 100000);
  EXPECT_EQ(account.entries(2).balance_after_fen(), 100000 - 45000 - 12345);
  EXPECT_EQ(outbox_count("billing.ChargebackRecorded"), 3);
  v1::ListChargebacksRequest cb;
  cb.set_project_id("P1");
  cb.set_builder_party_id("B2");
  v1::ListChargebacksResponse cbs;
  ASSERT_TRUE(stub_->ListChargebacks(kit::client_context(finance()).get(), cb, &cbs).ok());
  ASSERT_EQ(cbs.chargebacks_size(), 1);
  EXPECT_TRUE(cbs.chargebacks(0).deducted());
  EXPECT_EQ(cbs.chargebacks(0).settlement_id(), s.settlement_id());
  EXPECT_EQ(cbs.total_fen(), 80000);
  // A builder sees only its own.
  cb.clear_builder_party_id();
  ASSERT_TRUE(
      stub_
          ->ListChargebacks(
              kit::client_context(kit::Caller{"b2", kit::Role::builder, {"P1"}, {}, "B2"}).get(),
              cb, &cbs)
          .ok());
  EXPECT_EQ(cbs.chargebacks_size(), 1);
  EXPECT_EQ(cbs.total_fen(), 80000);

  // The developer pays in two parts; fee invoices are settled first.
  v1::RecordSettlementPaymentRequest p;
  p.set_settlement_id(s.settlement_id());
  p.set_amount_fen(40000);
  p.set_reference("DEV-1");
  ASSERT_TRUE(stub_->RecordSettlementPayment(kit::client_context(finance()).get(), p, &s).ok());
  EXPECT_EQ(s.paid_fen(), 40000);
  EXPECT_EQ(s.status(), v1::SETTLEMENT_STATUS_PARTIALLY_PAID);
  ASSERT_TRUE(stub_->RecordSettlementPayment(kit::client_context(finance()).get(), p, &s).ok());
  EXPECT_EQ(s.paid_fen(), 40000);  // the same reference again: once
  EXPECT_EQ(scalar("SELECT sum(paid_fen) FROM invoices WHERE settlement_id = " + id), 40000);
  p.set_reference("DEV-2");
  p.set_amount_fen(s.total_fen() - 40000 + 1);
  EXPECT_EQ(
      stub_->RecordSettlementPayment(kit::client_context(finance()).get(), p, &s).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  p.set_amount_fen(s.total_fen() - 40000);
  ASSERT_TRUE(stub_->RecordSettlementPayment(kit::client_context(finance()).get(), p, &s).ok());
  EXPECT_EQ(s.status(), v1::SETTLEMENT_STATUS_PAID);
  EXPECT_EQ(
      scalar("SELECT count(*) FROM invoices WHERE settlement_id = " + id + " AND status = 'paid'"),
      2);
  EXPECT_EQ(balance("receivable:developer:P1"), 0);
  EXPECT_EQ(outbox_count("billing.SettlementPaid"), 2);
  expect_ledger_balanced();

  // A future month cannot be settled yet.
  *req.mutable_period() = ym(2999, 1);
  EXPECT_EQ(stub_->IssueSettlement(kit::client_context(finance()).get(), req, &s).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(BillingTest, ConcurrentSettlementsNeverCountASourceTwice) {
  for (int i = 0; i < 30; ++i) {
    apply(warranty_cost("WO-" + std::to_string(i), "B1", 1000 + i, shanghai(2026, 1 + i % 3, 10)));
  }
  std::vector<std::thread> threads;
  for (int m : {1, 2, 3, 3}) {
    threads.emplace_back([&, m] {
      v1::IssueSettlementRequest req;
      req.set_project_id("P1");
      *req.mutable_period() = ym(2026, m);
      v1::Settlement s;
      EXPECT_TRUE(stub_
                      ->IssueSettlement(
                          kit::client_context(finance(), std::chrono::seconds(30)).get(), req, &s)
                      .ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(scalar("SELECT count(*) FROM settlements"), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM settlement_items"), 30);
  EXPECT_EQ(scalar("SELECT sum(total_fen) FROM settlements"),
            scalar("SELECT sum(cost_fen) FROM warranty_costs"));
  EXPECT_EQ(scalar("SELECT count(*) FROM warranty_costs WHERE settlement_id IS NULL"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM retention_entries WHERE kind = 'chargeback'"), 30);
  expect_ledger_balanced();
}

TEST_F(BillingTest, EscalationFinesAreBookedAgainstThePartyAtFault) {
  auto escalation = [](const std::string& ticket, int level, int64_t fine) {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.TicketEscalated");
    e.set_project_id("P1");
    e.set_aggregate_id(ticket);
    auto* t = e.mutable_ticket_escalated();
    t->set_ticket_id(ticket);
    t->set_level(level);
    t->set_fault_party(v1::FAULT_PARTY_BUILDER);
    t->set_fault_party_id("B1");
    t->set_fine_fen(fine);
    return e;
  };
  apply(escalation("T1", 1, 20000));
  apply(escalation("T1", 1, 20000));  // the same fine announced again
  apply(escalation("T1", 2, 40000));
  apply(escalation("T2", 1, 0));  // no fine
  v1::ListFinesRequest req;
  req.set_project_id("P1");
  v1::ListFinesResponse out;
  ASSERT_TRUE(stub_->ListFines(kit::client_context(finance()).get(), req, &out).ok());
  EXPECT_EQ(out.fines_size(), 2);
  EXPECT_EQ(out.total_fen(), 60000);
  EXPECT_EQ(balance("receivable:builder:B1"), 60000);
  EXPECT_EQ(balance("revenue:fine"), -60000);
  EXPECT_EQ(outbox_count("billing.FineRecorded"), 2);
  expect_ledger_balanced();
}

TEST_F(BillingTest, ProjectReportAndTrialBalance) {
  add_unit("U1", 10000, "O1");
  ASSERT_TRUE(set_rate(300, 15).ok());
  auto invoice = fee_invoice("U1", ym(2026, 3));
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(invoice.invoice_id(), 10000, "A", &paid).ok());
  v1::ProjectReportRequest req;
  req.set_project_id("P1");
  req.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_MONTH);
  req.mutable_period()->set_year(2026);
  req.mutable_period()->set_index(3);
  v1::ProjectReportResponse out;
  ASSERT_TRUE(stub_->ProjectReport(kit::client_context(finance()).get(), req, &out).ok());
  EXPECT_EQ(out.fee_billed_fen(), 30000);
  EXPECT_EQ(out.fee_collected_fen(), 10000);
  EXPECT_EQ(out.fee_collection_rate().basis_points(), 3333);
  EXPECT_EQ(out.arrears_fen(), 20000);
  req.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_QUARTER);
  req.mutable_period()->set_index(1);
  ASSERT_TRUE(stub_->ProjectReport(kit::client_context(finance()).get(), req, &out).ok());
  EXPECT_EQ(out.fee_billed_fen(), 30000);
  req.mutable_period()->set_index(5);
  EXPECT_EQ(stub_->ProjectReport(kit::client_context(finance()).get(), req, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::TrialBalanceRequest tb;
  tb.set_project_id("P1");
  v1::TrialBalanceResponse balance_out;
  ASSERT_TRUE(stub_->TrialBalance(kit::client_context(finance()).get(), tb, &balance_out).ok());
  EXPECT_EQ(balance_out.total_debits_fen(), balance_out.total_credits_fen());
  EXPECT_EQ(balance_out.total_debits_fen(), 30000 + 10000);
  EXPECT_EQ(balance_out.unbalanced_transactions(), 0);
  EXPECT_EQ(balance_out.transactions(), 2);
  int64_t sum = 0;
  for (const auto& a : balance_out.accounts()) sum += a.balance_fen();
  EXPECT_EQ(sum, 0);
}

// Issue 20: GroupProjectReport gives every project exactly its ProjectReport (the instants of
// each project's period in its own time zone), for a month, a quarter and the year.
TEST_F(BillingTest, GroupProjectReportEqualsEachProjectsReport) {
  v1::Event london;
  london.set_event_id(kit::new_uuid());
  london.set_type("intake.ProjectUpserted");
  london.set_project_id("P2");
  london.set_aggregate_id("P2");
  london.mutable_project_upserted()->set_project_id("P2");
  london.mutable_project_upserted()->set_timezone("Europe/London");
  apply(london);
  const kit::Caller both = finance({"P1", "P2"});
  add_unit("U1", 10000, "O1");
  add_unit("U2", 8000, "O2");
  add_unit("L1", 12000, "O3", "P2");
  ASSERT_TRUE(set_rate(300, 15).ok());
  ASSERT_TRUE(set_rate(250, 10, "P2", both).ok());
  v1::RunBillingResponse run_out;
  ASSERT_TRUE(run(ym(2026, 3), &run_out).ok());
  ASSERT_TRUE(run(ym(2026, 3), &run_out, "P2", both).ok());
  ASSERT_FALSE(run_out.invoices().empty());
  v1::PaymentResponse paid;
  ASSERT_TRUE(pay(run_out.invoices(0).invoice_id(), 5000, "L-A", &paid, both).ok());
  auto p1_invoice = fee_invoice("U1", ym(2026, 3));
  ASSERT_TRUE(pay(p1_invoice.invoice_id(), 10000, "A", &paid).ok());
  v1::Event fine;  // a fine in P1, recorded now
  fine.set_event_id(kit::new_uuid());
  fine.set_type("intake.TicketEscalated");
  fine.set_project_id("P1");
  fine.set_aggregate_id("T1");
  fine.mutable_ticket_escalated()->set_ticket_id("T1");
  fine.mutable_ticket_escalated()->set_level(1);
  fine.mutable_ticket_escalated()->set_fault_party(v1::FAULT_PARTY_BUILDER);
  fine.mutable_ticket_escalated()->set_fault_party_id("B1");
  fine.mutable_ticket_escalated()->set_fine_fen(20000);
  apply(fine);

  absl::TimeZone shanghai;
  absl::LoadTimeZone("Asia/Shanghai", &shanghai);
  const int this_year = static_cast<int>(absl::ToCivilYear(absl::Now(), shanghai).year());
  const kit::Caller hq{"hq-1", kit::Role::hq, {"*"}, {}, ""};
  auto period = [](v1::ReportGranularity g, int year, int index) {
    v1::ReportPeriod p;
    p.set_granularity(g);
    p.set_year(year);
    p.set_index(index);
    return p;
  };
  for (const v1::ReportPeriod& p : {period(v1::REPORT_GRANULARITY_MONTH, 2026, 3),
                                    period(v1::REPORT_GRANULARITY_QUARTER, 2026, 1),
                                    period(v1::REPORT_GRANULARITY_YEAR, this_year, 0)}) {
    v1::GroupProjectReportRequest g;
    *g.mutable_period() = p;
    g.add_project_ids("P1");
    g.add_project_ids("P2");
    v1::GroupProjectReportResponse group;
    auto s = stub_->GroupProjectReport(kit::client_context(hq).get(), g, &group);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(group.projects_size(), 2);
    for (int i = 0; i < 2; ++i) {
      v1::ProjectReportRequest one;
      one.set_project_id(group.projects(i).project_id());
      *one.mutable_period() = p;
      v1::ProjectReportResponse single;
      ASSERT_TRUE(stub_->ProjectReport(kit::client_context(hq).get(), one, &single).ok());
      EXPECT_EQ(group.projects(i).SerializeAsString(), single.SerializeAsString())
          << p.DebugString() << "group: " << group.projects(i).DebugString()
          << "single: " << single.DebugString();
    }
    EXPECT_EQ(group.projects(0).project_id(), "P1");
    EXPECT_EQ(group.projects(1).project_id(), "P2");
    if (p.granularity() == v1::REPORT_GRANULARITY_MONTH) {
      EXPECT_EQ(group.projects(0).fee_billed_fen(), 30000 + 24000);
      EXPECT_EQ(group.projects(0).fee_collected_fen(), 10000);
      EXPECT_EQ(group.projects(1).fee_billed_fen(), 30000);
      EXPECT_EQ(group.projects(1).fee_collected_fen(), 5000);
    }
    // none named: every project billing knows that the caller sees
    g.clear_project_ids();
    v1::GroupProjectReportResponse every;
    ASSERT_TRUE(stub_->GroupProjectReport(kit::client_context(hq).get(), g, &every).ok());
    EXPECT_EQ(every.SerializeAsString(), group.SerializeAsString());
  }
  // scope, roles and bad input
  v1::GroupProjectReportRequest g;
  *g.mutable_period() = period(v1::REPORT_GRANULARITY_MONTH, 2026, 3);
  g.add_project_ids("P2");
  v1::GroupProjectReportResponse out;
  EXPECT_EQ(stub_->GroupProjectReport(kit::client_context(finance()).get(), g, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const kit::Caller agent{"agent-1", kit::Role::agent, {"*"}, {}, ""};
  EXPECT_EQ(stub_->GroupProjectReport(kit::client_context(agent).get(), g, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  *g.mutable_period() = period(v1::REPORT_GRANULARITY_MONTH, 2026, 13);
  EXPECT_EQ(stub_->GroupProjectReport(kit::client_context(hq).get(), g, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace aftercare::billing::itest
