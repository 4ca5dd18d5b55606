// Decoration permits in billing (二次装修, issue 19), from intake.DecorationPermitUpdated:
// - approved: the deposit and the fee are invoiced to the unit's owner, once per permit and kind
//   (source_id = permit_id). The deposit is held (ledger deposit:decoration:<unit>, a liability),
//   never revenue; the fee is revenue.
// - finished: the deposit is settled exactly once (decoration_deposits' primary key, in the
//   transaction of the ledger posting, under the deposit invoice's row lock): the paid part goes
//   back minus the permit's deductions, the deductions are revenue, an unpaid remainder is voided,
//   deductions beyond what was paid are billed (decoration_deduction invoice);
//   billing.DecorationDepositSettled announces it.
// - refused: intake decides only applied permits, so nothing was invoiced; should a permit billing
//   invoiced ever be withdrawn, its deposit is settled as at the end without deductions and an
//   unpaid fee is voided (a paid fee stays: the approval's work was done).
#include <spdlog/spdlog.h>

#include "billing/app/billing_ops.h"
#include "billing/app/support.h"
#include "billing/domain/decoration.h"
#include "billing/domain/names.h"
#include "billing/domain/validation.h"
#include "billing/store/decoration_store.h"

namespace aftercare::billing {

namespace v1 = aftercare::v1;
using store::InvoiceRow;

namespace {

InvoiceRow decoration_invoice(const v1::Event& e, const std::string& owner_id,
                              const std::string& kind, int64_t amount_fen,
                              const std::string& description, const store::ProjectSettings& at,
                              absl::CivilDay day) {
  const auto& d = e.decoration_permit_updated();
  InvoiceRow invoice;
  invoice.invoice_id = kit::new_uuid();
  invoice.project_id = e.project_id();
  invoice.unit_id = d.unit_id();
  invoice.owner_id = owner_id;
  invoice.payer = "owner";
  invoice.kind = kind;
  invoice.period = domain::period_of(day).to_string();
  invoice.source_id = d.permit_id();
  invoice.description = description;
  invoice.amount_fen = amount_fen;
  invoice.due_date = day + at.policy.service_due_days;
  invoice.status = "open";
  store::InvoiceLineRow line;
  line.kind = kind;
  line.description = description;
  line.source_id = d.permit_id();
  line.amount_fen = amount_fen;
  invoice.lines.push_back(line);
  return invoice;
}

std::string owner_of(pqxx::work& tx, const v1::DecorationPermitUpdated& d) {
  if (!d.owner_id().empty()) return d.owner_id();
  auto unit = store::find_unit(tx, d.unit_id());
  return unit ? unit->owner_id : "";
}

}  // namespace

void BillingOps::apply_decoration(pqxx::work& tx, const v1::Event& e) {
  const auto& d = e.decoration_permit_updated();
  require(e, domain::check_id(d.permit_id(), "permit_id"));
  require(e, domain::check_id(d.unit_id(), "unit_id"));
  require(e, domain::check_id(e.project_id(), "project_id"));
  if (!d.owner_id().empty()) require(e, domain::check_id(d.owner_id(), "owner_id"));
  for (int64_t amount : {d.deposit_fen(), d.fee_fen(), d.deductions_fen()}) {
    if (amount < 0 || amount > domain::Limits::kMaxAmountFen) bad_event(e, "amount out of range");
  }
  if (d.deductions_fen() > d.deposit_fen()) bad_event(e, "deductions_fen exceeds deposit_fen");
  switch (d.action()) {
    case v1::DECORATION_ACTION_APPROVED:
      issue_decoration_invoices(tx, e);
      return;
    case v1::DECORATION_ACTION_FINISHED:
      settle_decoration_deposit(tx, e, "finished");
      return;
    case v1::DECORATION_ACTION_REFUSED:
      settle_decoration_deposit(tx, e, "refused");
      return;
    default:
      return;  // applied, inspected, violation: the amounts are settled at the end
  }
}

void BillingOps::issue_decoration_invoices(pqxx::work& tx, const v1::Event& e) {
  const auto& d = e.decoration_permit_updated();
  auto settings = store::load_project(tx, e.project_id());
  absl::CivilDay day = domain::local_day(occurred_at(e), settings.zone);
  const std::string owner = owner_of(tx, d);
  struct Item {
    const char* kind;
    int64_t amount_fen;
    const char* what;
  };
  for (const Item& item : {Item{"decoration_deposit", d.deposit_fen(), "decoration deposit"},
                           Item{"decoration_fee", d.fee_fen(), "decoration fee"}}) {
    if (item.amount_fen <= 0) continue;  // nothing asked
    if (store::find_source_invoice(tx, d.unit_id(), item.kind, d.permit_id())) continue;
    InvoiceRow invoice =
        decoration_invoice(e, owner, item.kind, item.amount_fen,
                           std::string(item.what) + ", permit " + d.permit_id(), settings, day);
    if (!store::insert_invoice(tx, invoice, "service:intake")) continue;
    issue(tx, invoice, e.event_id());
  }
}

void BillingOps::settle_decoration_deposit(pqxx::work& tx, const v1::Event& e,
                                           const std::string& reason) {
  const auto& d = e.decoration_permit_updated();
  auto found = store::find_source_invoice(tx, d.unit_id(), "decoration_deposit", d.permit_id());
  if (reason == "refused") {
    auto fee = store::find_source_invoice(tx, d.unit_id(), "decoration_fee", d.permit_id());
    if (fee) fee = store::get_invoice(tx, fee->invoice_id, /*for_update=*/true);
    if (fee && fee->status != "void" && fee->paid_fen == 0)
      void_in(tx, *fee, "decoration permit " + d.permit_id() + " refused", true);
  }
  if (!found) {
    // No deposit asked (0), or approved before billing took these events: nothing held here.
    if (d.deposit_fen() > 0)
      spdlog::warn("billing: permit {} {} without a deposit invoice; nothing to settle",
                   d.permit_id(), reason);
    return;
  }
  // The deposit invoice's row lock serialises the settlement with payments and refunds of it.
  auto deposit = store::get_invoice(tx, found->invoice_id, /*for_update=*/true);
  if (store::find_deposit_settlement(tx, d.permit_id())) return;  // settled before
  const bool voided = deposit->status == "void";
  const int64_t deductions = reason == "finished" ? d.deductions_fen() : 0;
  domain::DepositSettlement s = domain::settle_deposit(voided ? 0 : deposit->amount_fen,
                                                       voided ? 0 : deposit->paid_fen, deductions);
  store::DepositSettlementRow row;
  row.permit_id = d.permit_id();
  row.project_id = deposit->project_id;
  row.unit_id = deposit->unit_id;
  row.owner_id = deposit->owner_id;
  row.invoice_id = deposit->invoice_id;
  row.deposit_fen = deposit->amount_fen;
  row.paid_fen = voided ? 0 : deposit->paid_fen;
  row.deductions_fen = deductions;
  row.refunded_fen = s.refund_fen;
  row.deducted_fen = s.deducted_fen;
  row.waived_fen = s.waived_fen;
  row.billed_fen = s.billed_fen;
  row.reason = reason;
  row.source_event_id = e.event_id();
  std::optional<InvoiceRow> billed;
  if (s.billed_fen > 0) {
    auto settings = store::load_project(tx, e.project_id());
    billed =
        decoration_invoice(e, deposit->owner_id, "decoration_deduction", s.billed_fen,
                           "decoration deductions beyond the deposit paid, permit " + d.permit_id(),
                           settings, domain::local_day(occurred_at(e), settings.zone));
    row.deduction_invoice_id = billed->invoice_id;
    if (!store::insert_invoice(tx, *billed, "service:intake")) {
      bad_event(e, "a deduction invoice of permit " + d.permit_id() + " exists unsettled");
    }
  }
  // Under the row lock nobody else can have settled it since the check; should it happen all the
  // same, the whole transaction rolls back and the retry finds the settlement.
  if (!store::insert_deposit_settlement(tx, row))
    throw std::runtime_error("decoration permit " + d.permit_id() + " settled concurrently");
  if (billed) issue(tx, *billed, e.event_id());
  auto posting = domain::deposit_settlement_posting(d.permit_id(), row.project_id, row.unit_id, s);
  if (!posting.entries.empty()) store::post(tx, posting);
  if (s.waived_fen > 0) {
    void_in(tx, *deposit, "decoration permit " + d.permit_id() + " " + reason + ": unpaid deposit",
            /*reverse_posting=*/false);
  }
  v1::Event out = store::envelope(row.project_id, row.unit_id);
  out.set_causation_id(e.event_id());
  auto* settled = out.mutable_decoration_deposit_settled();
  settled->set_permit_id(row.permit_id);
  settled->set_unit_id(row.unit_id);
  settled->set_owner_id(row.owner_id);
  settled->set_invoice_id(row.invoice_id);
  settled->set_deposit_fen(row.deposit_fen);
  settled->set_paid_fen(row.paid_fen);
  settled->set_deductions_fen(row.deductions_fen);
  settled->set_refund_fen(row.refunded_fen);
  settled->set_deducted_fen(row.deducted_fen);
  settled->set_waived_fen(row.waived_fen);
  settled->set_billed_fen(row.billed_fen);
  settled->set_deduction_invoice_id(row.deduction_invoice_id);
  settled->set_reason(reason);
  outbox_.add(tx, out);
}

}  // namespace aftercare::billing
