#include "billing/app/billing_ops.h"
#include "billing/app/support.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "billing/domain/aging.h"
#include "billing/domain/invoice.h"
#include "billing/domain/ledger.h"
#include "billing/domain/money.h"
#include "billing/domain/names.h"
#include "billing/domain/validation.h"
#include "billing/store/settlement_store.h"

namespace aftercare::billing {

namespace v1 = aftercare::v1;
using store::InvoiceRow;

// ---- scope -----------------------------------------------------------------------------------

bool can_see_project(const kit::Caller& caller, const std::string& project_id) {
  return is_billing_staff(caller) && caller.sees_project(project_id);
}

bool can_see_invoice(const kit::Caller& caller, const InvoiceRow& invoice) {
  if (caller.is(kit::Role::owner))
    return invoice.payer == "owner" && caller.owns_unit(invoice.unit_id);
  return can_see_project(caller, invoice.project_id);
}

// ---- fee rates -------------------------------------------------------------------------------

v1::FeeRate BillingOps::set_fee_rate(const kit::Caller& caller,
                                     const v1::SetFeeRateRequest& request) {
  return db_.in_transaction([&](pqxx::work& tx) {
    store::FeeRateRow row;
    row.project_id = request.project_id();
    row.effective_from = request.has_effective_from()
                             ? domain::period_from_proto(request.effective_from())->to_string()
                             : store::kAlwaysEffective;
    row.fen_per_m2_month = request.fen_per_m2_month();
    row.due_day = request.due_day();
    row.prorate_handover_month = request.prorate_handover_month();
    store::FeeRateRow saved = store::upsert_fee_rate(tx, row, caller.sub);
    v1::Event e = store::envelope(saved.project_id, saved.project_id);
    auto* set = e.mutable_fee_rate_set();
    set->set_fen_per_m2_month(saved.fen_per_m2_month);
    set->set_due_day(saved.due_day);
    if (request.has_effective_from()) *set->mutable_effective_from() = request.effective_from();
    outbox_.add(tx, e);
    return saved.to_proto();
  });
}

v1::FeeRate BillingOps::get_fee_rate(const std::string& project_id, absl::Time now) {
  return db_.in_transaction([&](pqxx::work& tx) {
    auto settings = store::load_project(tx, project_id);
    auto period = domain::period_of(domain::local_day(now, settings.zone));
    auto rate = store::rate_for(tx, project_id, period.to_string());
    if (!rate) throw not_found("fee rate of project " + project_id);
    return rate->to_proto();
  });
}

// ---- invoices --------------------------------------------------------------------------------

void BillingOps::issue(pqxx::work& tx, const InvoiceRow& invoice, const std::string& causation_id) {
  store::post(
      tx, domain::invoice_posting(invoice.invoice_id, invoice.project_id, invoice.unit_id,
                                  invoice.kind_enum(), invoice.payer_enum(), invoice.amount_fen));
  v1::Event e = invoice_event(invoice);
  e.set_causation_id(causation_id);
  auto* issued = e.mutable_invoice_issued();
  issued->set_invoice_id(invoice.invoice_id);
  issued->set_unit_id(invoice.unit_id);
  issued->set_owner_id(invoice.owner_id);
  issued->set_kind(invoice.kind_enum());
  if (auto p = domain::parse_period(invoice.period)) *issued->mutable_period() = p->to_proto();
  issued->set_amount_fen(invoice.amount_fen);
  *issued->mutable_due_date() = domain::to_proto_date(invoice.due_date);
  issued->set_source_id(invoice.source_id);
  outbox_.add(tx, e);
}

void BillingOps::refresh_units(
    const std::string& project_id,
    const std::vector<std::pair<aftercare::v1::UnitUpserted, absl::Time>>& units) {
  db_.in_transaction([&](pqxx::work& tx) {
    for (const auto& [unit, changed_at] : units)
      store::upsert_unit(tx, project_id, unit, changed_at);
  });
}

v1::RunBillingResponse BillingOps::run_billing(const kit::Caller& caller,
                                               const std::string& project_id,
                                               const domain::Period& period) {
  return db_.in_transaction([&](pqxx::work& tx) {
    const std::string period_text = period.to_string();
    auto rate = store::rate_for(tx, project_id, period_text);
    if (!rate) {
      throw failed_precondition("project " + project_id + " has no fee rate for " + period_text +
                                " (PUT /v1/projects/{project_id}/fee-rate first)");
    }
    v1::RunBillingResponse out;
    int created = 0;
    // Units in unit_id order: two runs at once wait for each other on the same keys in the
    // same order (no deadlock); the second finds every invoice there and creates none.
    for (const auto& unit : store::project_units(tx, project_id)) {
      auto fee = domain::property_fee(unit.info(), rate->info(), period);
      if (!fee) continue;
      InvoiceRow invoice;
      invoice.invoice_id = kit::new_uuid();
      invoice.project_id = project_id;
      invoice.unit_id = unit.unit_id;
      invoice.payer = domain::public_name(fee->payer);
      invoice.owner_id = fee->payer == v1::INVOICE_PAYER_OWNER ? unit.owner_id : "";
      invoice.kind = "property_fee";
      invoice.period = period_text;
      invoice.description = "property fee " + period_text;
      invoice.amount_fen = fee->amount_fen;
      invoice.due_date = fee->due_date;
      invoice.status = "open";
      invoice.area_centi_m2 = unit.area_centi_m2;
      invoice.fen_per_m2_month = rate->fen_per_m2_month;
      store::InvoiceLineRow line;
      line.kind = "property_fee";
      line.description = invoice.description;
      line.amount_fen = fee->amount_fen;
      line.area_centi_m2 = unit.area_centi_m2;
      line.fen_per_m2_month = rate->fen_per_m2_month;
      line.billed_days = fee->billed_days;
      line.days_in_month = fee->days_in_month;
      invoice.lines.push_back(line);
      if (!store::insert_invoice(tx, invoice, caller.sub)) continue;  // billed before
      issue(tx, invoice, "");
      ++created;
    }
    auto invoices = store::fee_invoices(tx, project_id, period_text);
    store::load_lines(tx, invoices);
    for (const auto& i : invoices) *out.add_invoices() = i.to_proto();
    out.set_created(created);
    out.set_existing(static_cast<int32_t>(invoices.size()) - created);
    return out;
  });
}

v1::Invoice BillingOps::issue_invoice(const kit::Caller& caller,
                                      const v1::IssueInvoiceRequest& request,
                                      const std::string& source_id, absl::Time now) {
  return db_.in_transaction([&](pqxx::work& tx) {
    auto unit = store::find_unit(tx, request.unit_id());
    if (!unit || unit->project_id != request.project_id()) {
      throw not_found("unit " + request.unit_id() + " of project " + request.project_id());
    }
    if (unit->owner_id.empty()) {
      throw failed_precondition("unit " + unit->unit_id + " has no owner to invoice");
    }
    const std::string kind = domain::public_name(request.kind());
    if (!source_id.empty()) {
      if (auto existing = store::find_source_invoice(tx, unit->unit_id, kind, source_id)) {
        if (existing->amount_fen != request.amount_fen()) {
          throw already_exists("source_id " + source_id + " was invoiced with another amount");
        }
        std::vector<InvoiceRow> one{*existing};
        store::load_lines(tx, one);
        return one[0].to_proto();
      }
    }
    auto settings = store::load_project(tx, request.project_id());
    absl::CivilDay today = domain::local_day(now, settings.zone);
    InvoiceRow invoice;
    invoice.invoice_id = kit::new_uuid();
    invoice.project_id = request.project_id();
    invoice.unit_id = unit->unit_id;
    invoice.owner_id = unit->owner_id;
    invoice.payer = "owner";
    invoice.kind = kind;
    invoice.period = domain::period_of(today).to_string();
    invoice.source_id = source_id;
    invoice.description = request.description().empty() ? kind : request.description();
    invoice.amount_fen = request.amount_fen();
    invoice.due_date = request.has_due_date() ? *domain::day_from_proto(request.due_date())
                                              : today + settings.policy.service_due_days;
    invoice.status = "open";
    store::InvoiceLineRow line;
    line.kind = kind;
    line.description = invoice.description;
    line.source_id = source_id;
    line.amount_fen = invoice.amount_fen;
    invoice.lines.push_back(line);
    if (!store::insert_invoice(tx, invoice, caller.sub)) {
      throw already_exists("source_id " + source_id + " is being invoiced concurrently");
    }
    issue(tx, invoice, "");
    auto saved = store::get_invoice(tx, invoice.invoice_id);
    return saved->to_proto();
  });
}

v1::Invoice BillingOps::get_invoice(const kit::Caller& caller, const std::string& invoice_id) {
  if (!domain::is_uuid(invoice_id)) throw not_found("invoice " + invoice_id);
  return db_.in_transaction([&](pqxx::work& tx) {
    auto invoice = store::get_invoice(tx, invoice_id);
    if (!invoice || !can_see_invoice(caller, *invoice)) throw not_found("invoice " + invoice_id);
    return invoice->to_proto();
  });
}

std::vector<InvoiceRow> BillingOps::list_invoices(const store::InvoiceFilter& filter) {
  return db_.in_transaction([&](pqxx::work& tx) { return store::list_invoices(tx, filter); });
}

v1::Invoice BillingOps::void_invoice(const kit::Caller& caller, const std::string& invoice_id,
                                     const std::string& reason) {
  if (!domain::is_uuid(invoice_id)) throw not_found("invoice " + invoice_id);
  return db_.in_transaction([&](pqxx::work& tx) {
    auto invoice = store::get_invoice(tx, invoice_id, true);
    if (!invoice || !can_see_invoice(caller, *invoice)) throw not_found("invoice " + invoice_id);
    if (invoice->status == "void") return invoice->to_proto();  // voided before: nothing new
    if (invoice->paid_fen > 0) {
      throw failed_precondition("invoice " + invoice_id +
                                " has payments; refund them before voiding");
    }
    if (!invoice->settlement_id.empty()) {
      throw failed_precondition("invoice " + invoice_id + " is on settlement " +
                                invoice->settlement_id);
    }
    void_in(tx, *invoice, reason, /*reverse_posting=*/true);
    return store::get_invoice(tx, invoice_id)->to_proto();
  });
}

void BillingOps::void_in(pqxx::work& tx, const InvoiceRow& invoice, const std::string& reason,
                         bool reverse_posting) {
  store::mark_invoice_void(tx, invoice.invoice_id, reason);
  if (reverse_posting) {
    store::post(
        tx, domain::void_posting(invoice.invoice_id, invoice.project_id, invoice.unit_id,
                                 invoice.kind_enum(), invoice.payer_enum(), invoice.amount_fen));
  }
  v1::Event e = invoice_event(invoice);
  auto* voided = e.mutable_invoice_voided();
  voided->set_invoice_id(invoice.invoice_id);
  voided->set_unit_id(invoice.unit_id);
  voided->set_reason(reason);
  outbox_.add(tx, e);
}

}  // namespace aftercare::billing
