#include "billing/app/billing_ops.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "billing/domain/aging.h"
#include "billing/domain/invoice.h"
#include "billing/domain/ledger.h"
#include "billing/domain/money.h"
#include "billing/domain/names.h"
#include "billing/domain/validation.h"
#include "billing/store/errors.h"
#include "billing/store/settlement_store.h"

namespace aftercare::billing {

namespace v1 = aftercare::v1;
using store::InvoiceRow;

// ---- scope -----------------------------------------------------------------------------------

bool is_billing_staff(const kit::Caller& caller) {
  return caller.is("finance") || caller.is("admin") || caller.is("supervisor") ||
         caller.is("service");
}

bool can_see_project(const kit::Caller& caller, const std::string& project_id) {
  return is_billing_staff(caller) && caller.sees_project(project_id);
}

bool can_see_invoice(const kit::Caller& caller, const InvoiceRow& invoice) {
  if (caller.is("owner")) return invoice.payer == "owner" && caller.owns_unit(invoice.unit_id);
  return can_see_project(caller, invoice.project_id);
}

namespace {

std::string status_name(v1::InvoiceStatus s) {
  return domain::public_name(s);
}

v1::Event invoice_event(const InvoiceRow& invoice) {
  return store::envelope(invoice.project_id, invoice.unit_id);
}

}  // namespace

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
    store::mark_invoice_void(tx, invoice_id, reason);
    store::post(
        tx, domain::void_posting(invoice_id, invoice->project_id, invoice->unit_id,
                                 invoice->kind_enum(), invoice->payer_enum(), invoice->amount_fen));
    v1::Event e = invoice_event(*invoice);
    auto* voided = e.mutable_invoice_voided();
    voided->set_invoice_id(invoice_id);
    voided->set_unit_id(invoice->unit_id);
    voided->set_reason(reason);
    outbox_.add(tx, e);
    return store::get_invoice(tx, invoice_id)->to_proto();
  });
}

// ---- payments --------------------------------------------------------------------------------

v1::PaymentResponse BillingOps::record_payment(const kit::Caller& caller,
                                               const std::string& invoice_id, int64_t amount_fen,
                                               const std::string& reference, absl::Time paid_at) {
  return db_.in_transaction([&](pqxx::work& tx) {
    // A reference already recorded: the first result, if this is the same payment.
    auto replay = [&](const store::PaymentRow& p) {
      if (p.invoice_id != invoice_id || p.amount_fen != amount_fen) {
        throw already_exists("reference " + reference + " was already used for another payment");
      }
      auto invoice = store::get_invoice(tx, p.invoice_id);
      if (!invoice || !can_see_invoice(caller, *invoice)) throw not_found("invoice " + invoice_id);
      v1::PaymentResponse out;
      *out.mutable_payment() = p.to_proto();
      *out.mutable_invoice() = invoice->to_proto();
      out.set_replayed(true);
      return out;
    };
    if (auto p = store::find_payment_by_reference(tx, reference)) return replay(*p);
    if (!domain::is_uuid(invoice_id)) throw not_found("invoice " + invoice_id);
    // The row lock serialises payments of one invoice: concurrent partial payments each see
    // the amount paid by those before them, so none can overpay.
    auto invoice = store::get_invoice(tx, invoice_id, true);
    if (!invoice || !can_see_invoice(caller, *invoice)) throw not_found("invoice " + invoice_id);
    // A repeat that waited for the lock behind its first delivery finds it now.
    if (auto p = store::find_payment_by_reference(tx, reference)) return replay(*p);

    domain::InvoiceState state = invoice->state();
    auto refusal = domain::check_payment(state, amount_fen);
    if (refusal != domain::PaymentRefusal::kNone) {
      throw failed_precondition(domain::describe(refusal, state, amount_fen));
    }
    store::PaymentRow payment;
    payment.payment_id = kit::new_uuid();
    payment.invoice_id = invoice_id;
    payment.project_id = invoice->project_id;
    payment.unit_id = invoice->unit_id;
    payment.amount_fen = amount_fen;
    payment.reference = reference;
    payment.paid_at_us = absl::ToUnixMicros(paid_at);
    if (!store::insert_payment(tx, payment, caller.sub)) {
      // The same reference committed meanwhile for another invoice.
      auto p = store::find_payment_by_reference(tx, reference);
      if (!p) throw std::runtime_error("payment reference conflict without a row");
      return replay(*p);
    }
    const int64_t paid = invoice->paid_fen + amount_fen;
    v1::InvoiceStatus status =
        domain::status_of(invoice->amount_fen, paid, false, invoice->overdue_noticed);
    store::update_invoice_amounts(tx, invoice_id, paid, status_name(status));
    store::post(tx, domain::payment_posting(payment.payment_id, invoice->project_id,
                                            invoice->unit_id, amount_fen));
    v1::Event e = invoice_event(*invoice);
    auto* recorded = e.mutable_payment_recorded();
    recorded->set_payment_id(payment.payment_id);
    recorded->set_invoice_id(invoice_id);
    recorded->set_unit_id(invoice->unit_id);
    recorded->set_amount_fen(amount_fen);
    recorded->set_reference(reference);
    *recorded->mutable_paid_at() = store::timestamp_from_us(payment.paid_at_us);
    recorded->set_invoice_paid_fen(paid);
    recorded->set_invoice_status(status);
    outbox_.add(tx, e);

    v1::PaymentResponse out;
    *out.mutable_payment() = payment.to_proto();
    *out.mutable_invoice() = store::get_invoice(tx, invoice_id)->to_proto();
    return out;
  });
}

v1::PaymentResponse BillingOps::refund_payment(const kit::Caller& caller,
                                               const v1::RefundPaymentRequest& request) {
  return db_.in_transaction([&](pqxx::work& tx) {
    auto find_payment = [&]() -> std::optional<store::PaymentRow> {
      if (!request.payment_id().empty()) {
        if (!domain::is_uuid(request.payment_id())) return std::nullopt;
        return store::get_payment(tx, request.payment_id());
      }
      return store::find_payment_by_reference(tx, request.reference());
    };
    auto payment = find_payment();
    if (!payment) throw not_found("payment");
    auto invoice = store::get_invoice(tx, payment->invoice_id, true);
    if (!invoice || !can_see_invoice(caller, *invoice)) throw not_found("payment");

    auto respond = [&](bool replayed) {
      v1::PaymentResponse out;
      *out.mutable_payment() = store::get_payment(tx, payment->payment_id)->to_proto();
      *out.mutable_invoice() = store::get_invoice(tx, payment->invoice_id)->to_proto();
      out.set_replayed(replayed);
      return out;
    };
    auto replay = [&](const store::RefundRow& r) {
      if (r.payment_id != payment->payment_id || r.amount_fen != request.amount_fen()) {
        throw already_exists("refund_reference " + request.refund_reference() +
                             " was already used for another refund");
      }
      return respond(true);
    };
    if (auto r = store::find_refund_by_reference(tx, request.refund_reference())) {
      return replay(*r);
    }
    // Re-read under the invoice lock: refunds of one invoice are serialised.
    payment = store::get_payment(tx, payment->payment_id);
    if (!domain::refund_allowed(payment->amount_fen, payment->refunded_fen, request.amount_fen())) {
      throw failed_precondition("amount_fen " + std::to_string(request.amount_fen()) +
                                " exceeds what is left of the payment (" +
                                std::to_string(payment->amount_fen - payment->refunded_fen) +
                                " fen)");
    }
    store::RefundRow refund{kit::new_uuid(),      payment->payment_id, payment->invoice_id,
                            request.amount_fen(), request.reason(),    request.refund_reference()};
    if (!store::insert_refund(tx, refund, caller.sub)) {
      auto r = store::find_refund_by_reference(tx, request.refund_reference());
      if (!r) throw std::runtime_error("refund reference conflict without a row");
      return replay(*r);
    }
    const int64_t paid = invoice->paid_fen - request.amount_fen();
    v1::InvoiceStatus status = domain::status_of(
        invoice->amount_fen, paid, invoice->status == "void", invoice->overdue_noticed);
    store::update_invoice_amounts(tx, invoice->invoice_id, paid, status_name(status));
    store::post(tx, domain::refund_posting(refund.refund_id, invoice->project_id, invoice->unit_id,
                                           refund.amount_fen));
    v1::Event e = invoice_event(*invoice);
    auto* refunded = e.mutable_payment_refunded();
    refunded->set_payment_id(payment->payment_id);
    refunded->set_invoice_id(invoice->invoice_id);
    refunded->set_unit_id(invoice->unit_id);
    refunded->set_amount_fen(refund.amount_fen);
    refunded->set_reason(refund.reason);
    refunded->set_invoice_paid_fen(paid);
    refunded->set_invoice_status(status);
    outbox_.add(tx, e);
    return respond(false);
  });
}

// ---- arrears and collection ------------------------------------------------------------------

v1::ArrearsResponse BillingOps::arrears(const std::string& project_id, const std::string& unit_id,
                                        std::optional<absl::CivilDay> as_of_day, absl::Time now,
                                        int page_size, const std::string& after_unit_id) {
  return db_.in_transaction([&](pqxx::work& tx) {
    auto settings = store::load_project(tx, project_id);
    const absl::CivilDay as_of = as_of_day.value_or(domain::local_day(now, settings.zone));
    const auto bands = domain::aging_bands(settings.policy);
    auto make_buckets = [&](auto* repeated) {
      for (const auto& band : bands) {
        auto* b = repeated->Add();
        b->set_min_days_overdue(band.min_days);
        b->set_max_days_overdue(band.max_days);
      }
    };
    v1::ArrearsResponse out;
    *out.mutable_as_of() = domain::to_proto_date(as_of);
    make_buckets(out.mutable_project_buckets());

    std::map<std::string, v1::UnitArrears> units;  // by unit_id
    for (const auto& row : store::outstanding_invoices(tx, project_id, unit_id)) {
      auto& u = units[row.unit_id];
      if (u.unit_id().empty()) {
        u.set_unit_id(row.unit_id);
        u.set_owner_id(row.owner_id);
        u.set_project_id(project_id);
        u.set_building(row.building);
        u.set_room(row.room);
        u.set_owner_phone_masked(row.owner_phone_masked);
        make_buckets(u.mutable_buckets());
      }
      u.set_outstanding_fen(u.outstanding_fen() + row.outstanding_fen);
      out.set_total_outstanding_fen(out.total_outstanding_fen() + row.outstanding_fen);
      int band =
          domain::aging_band_index(domain::days_overdue(row.due_date, as_of), settings.policy);
      if (band < 0) {
        u.set_current_fen(u.current_fen() + row.outstanding_fen);
        continue;
      }
      for (auto* b : {u.mutable_buckets(band), out.mutable_project_buckets(band)}) {
        b->set_amount_fen(b->amount_fen() + row.outstanding_fen);
        b->set_invoices(b->invoices() + 1);
      }
      u.set_overdue_fen(u.overdue_fen() + row.outstanding_fen);
      out.set_total_overdue_fen(out.total_overdue_fen() + row.outstanding_fen);
      if (!u.has_oldest_period()) {  // rows come oldest due date first per unit
        if (auto p = domain::parse_period(row.period)) *u.mutable_oldest_period() = p->to_proto();
      }
    }
    // The list: units in arrears (something overdue), by unit_id, one page after the cursor.
    for (auto it = units.upper_bound(after_unit_id); it != units.end(); ++it) {
      if (it->second.overdue_fen() <= 0) continue;
      if (out.units_size() == page_size) {
        out.set_next_page_token(out.units(out.units_size() - 1).unit_id());
        break;
      }
      *out.add_units() = it->second;
    }
    return out;
  });
}

v1::CollectionRateResponse BillingOps::collection_rate(const std::string& project_id,
                                                       const domain::Period& period,
                                                       std::optional<absl::CivilDay> as_of_day,
                                                       absl::Time now) {
  return db_.in_transaction([&](pqxx::work& tx) {
    auto settings = store::load_project(tx, project_id);
    // By the end of the as_of day: before the next local day starts.
    const absl::Time as_of =
        as_of_day ? domain::start_of_local_day(*as_of_day + 1, settings.zone) : now;
    v1::CollectionRateResponse out;
    out.set_project_id(project_id);
    *out.mutable_period() = period.to_proto();
    int64_t billed = 0, collected = 0;
    int32_t invoices = 0, paid = 0;
    for (const auto& row :
         store::collection_rows(tx, project_id, period.to_string(), absl::ToUnixMicros(as_of))) {
      int64_t got = std::clamp<int64_t>(row.collected_fen, 0, row.amount_fen);
      billed += row.amount_fen;
      collected += got;
      ++invoices;
      if (got == row.amount_fen) ++paid;
    }
    out.set_billed_fen(billed);
    out.set_collected_fen(collected);
    *out.mutable_rate() = domain::make_ratio(collected, billed);
    out.set_invoices(invoices);
    out.set_paid_invoices(paid);
    return out;
  });
}

std::optional<std::string> BillingOps::project_of_unit(const std::string& unit_id) {
  return db_.in_transaction([&](pqxx::work& tx) { return store::project_of_unit(tx, unit_id); });
}

// ---- settlements -----------------------------------------------------------------------------

v1::Settlement BillingOps::issue_settlement(const kit::Caller& caller,
                                            const std::string& project_id,
                                            const domain::Period& period, absl::Time now) {
  return db_.in_transaction([&](pqxx::work& tx) {
    const std::string period_text = period.to_string();
    if (auto existing = store::find_settlement(tx, project_id, period_text)) {
      return existing->to_proto();
    }
    auto settings = store::load_project(tx, project_id);
    if (period > domain::period_of(domain::local_day(now, settings.zone))) {
      throw failed_precondition("period " + period_text + " has not started yet");
    }
    const std::string settlement_id = kit::new_uuid();
    if (!store::insert_settlement(tx, settlement_id, project_id, period_text, caller.sub)) {
      // Issued concurrently: that statement is the statement.
      return store::find_settlement(tx, project_id, period_text)->to_proto();
    }
    store::SettlementRow s;
    s.settlement_id = settlement_id;
    for (const auto& item :
         store::claim_settlement_sources(tx, settlement_id, project_id, period_text)) {
      if (item.kind == "warranty_repair") {
        s.warranty_repair_fen += item.amount_fen;
        ++s.work_order_count;
      } else {
        s.property_fee_fen += item.amount_fen;
        ++s.fee_invoice_count;
      }
    }
    s.total_fen = s.warranty_repair_fen + s.property_fee_fen;
    s.status = domain::public_name(domain::settlement_status(s.total_fen, 0));
    store::set_settlement_totals(tx, s);
    if (s.warranty_repair_fen > 0) {
      store::post(tx, domain::settlement_posting(settlement_id, project_id, s.warranty_repair_fen));
    }
    // The builders' share: each warranty cost on the statement is deducted from the liable
    // builder's retention deposit.
    for (const auto& c : store::deduct_chargebacks(tx, settlement_id)) {
      store::insert_retention_entry(tx, project_id, c.builder_party_id, "chargeback", -c.amount_fen,
                                    c.work_order_id, settlement_id, caller.sub);
      store::post(tx, domain::chargeback_posting(c.work_order_id, project_id, c.builder_party_id,
                                                 c.amount_fen));
      v1::Event e = store::envelope(project_id, c.builder_party_id);
      auto* cb = e.mutable_chargeback_recorded();
      cb->set_chargeback_id(c.chargeback_id);
      cb->set_builder_party_id(c.builder_party_id);
      cb->set_work_order_id(c.work_order_id);
      cb->set_ticket_id(c.ticket_id);
      cb->set_amount_fen(c.amount_fen);
      if (auto p = domain::parse_period(c.period)) *cb->mutable_period() = p->to_proto();
      cb->set_settlement_id(settlement_id);
      outbox_.add(tx, e);
    }
    v1::Event e = store::envelope(project_id, settlement_id);
    auto* issued = e.mutable_settlement_issued();
    issued->set_settlement_id(settlement_id);
    *issued->mutable_period() = period.to_proto();
    issued->set_warranty_repair_fen(s.warranty_repair_fen);
    issued->set_property_fee_fen(s.property_fee_fen);
    issued->set_total_fen(s.total_fen);
    issued->set_work_order_count(s.work_order_count);
    outbox_.add(tx, e);
    return store::get_settlement(tx, settlement_id)->to_proto();
  });
}

v1::Settlement BillingOps::get_settlement(const kit::Caller& caller,
                                          const std::string& settlement_id) {
  if (!domain::is_uuid(settlement_id)) throw not_found("settlement " + settlement_id);
  return db_.in_transaction([&](pqxx::work& tx) {
    auto s = store::get_settlement(tx, settlement_id);
    if (!s || !can_see_project(caller, s->project_id)) {
      throw not_found("settlement " + settlement_id);
    }
    return s->to_proto();
  });
}

v1::ListSettlementsResponse BillingOps::list_settlements(const std::string& project_id,
                                                         const std::string& status) {
  return db_.in_transaction([&](pqxx::work& tx) {
    v1::ListSettlementsResponse out;
    for (const auto& s : store::list_settlements(tx, project_id, status)) {
      *out.add_settlements() = s.to_proto();
    }
    return out;
  });
}

v1::Settlement BillingOps::record_settlement_payment(const kit::Caller& caller,
                                                     const std::string& settlement_id,
                                                     int64_t amount_fen,
                                                     const std::string& reference,
                                                     absl::Time paid_at) {
  return db_.in_transaction([&](pqxx::work& tx) {
    auto replay = [&](const store::SettlementPaymentRow& p) {
      if (p.settlement_id != settlement_id || p.amount_fen != amount_fen) {
        throw already_exists("reference " + reference + " was already used for another payment");
      }
      auto s = store::get_settlement(tx, settlement_id);
      if (!s || !can_see_project(caller, s->project_id)) {
        throw not_found("settlement " + settlement_id);
      }
      return s->to_proto();
    };
    if (auto p = store::find_settlement_payment(tx, reference)) return replay(*p);
    if (!domain::is_uuid(settlement_id)) throw not_found("settlement " + settlement_id);
    auto s = store::get_settlement(tx, settlement_id, true);
    if (!s || !can_see_project(caller, s->project_id)) {
      throw not_found("settlement " + settlement_id);
    }
    if (auto p = store::find_settlement_payment(tx, reference)) return replay(*p);
    if (amount_fen > s->total_fen - s->paid_fen) {
      throw failed_precondition("amount_fen " + std::to_string(amount_fen) +
                                " exceeds the outstanding " +
                                std::to_string(s->total_fen - s->paid_fen) + " fen");
    }
    store::SettlementPaymentRow payment{kit::new_uuid(), settlement_id, amount_fen, reference};
    if (!store::insert_settlement_payment(tx, payment, absl::ToUnixMicros(paid_at), caller.sub)) {
      auto p = store::find_settlement_payment(tx, reference);
      if (!p) throw std::runtime_error("settlement payment reference conflict without a row");
      return replay(*p);
    }
    const int64_t paid = s->paid_fen + amount_fen;
    auto status = domain::settlement_status(s->total_fen, paid);
    store::set_settlement_paid(tx, settlement_id, paid, domain::public_name(status));
    store::post(tx,
                domain::settlement_payment_posting(payment.payment_id, s->project_id, amount_fen));
    // What the developer paid settles its fee invoices first, oldest period first (the rest
    // covers the warranty costs); the invoices show it as paid_fen and status.
    int64_t left = paid;
    for (const auto& inv : store::settlement_invoices(tx, settlement_id)) {
      int64_t covered = std::min(inv.amount_fen, left);
      left -= covered;
      if (covered != inv.paid_fen) {
        store::update_invoice_amounts(
            tx, inv.invoice_id, covered,
            status_name(domain::status_of(inv.amount_fen, covered, false, inv.overdue_noticed)));
      }
    }
    v1::Event e = store::envelope(s->project_id, settlement_id);
    auto* sp = e.mutable_settlement_paid();
    sp->set_settlement_id(settlement_id);
    sp->set_amount_fen(amount_fen);
    sp->set_reference(reference);
    sp->set_paid_fen(paid);
    sp->set_status(status);
    outbox_.add(tx, e);
    return store::get_settlement(tx, settlement_id)->to_proto();
  });
}

// ---- retention deposits, chargebacks, fines --------------------------------------------------

v1::RetentionAccount BillingOps::record_retention_deposit(
    const kit::Caller& caller, const v1::RecordRetentionDepositRequest& request) {
  db_.in_transaction([&](pqxx::work& tx) {
    auto id = store::insert_retention_entry(tx, request.project_id(), request.builder_party_id(),
                                            "deposit", request.amount_fen(), request.reference(),
                                            "", caller.sub);
    if (!id) {
      auto existing =
          store::find_retention_entry(tx, request.project_id(), "deposit", request.reference());
      if (existing && (existing->builder_party_id != request.builder_party_id() ||
                       existing->amount_fen != request.amount_fen())) {
        throw already_exists("reference " + request.reference() +
                             " was already used for another deposit");
      }
      return;  // a repeat: recorded once
    }
    store::post(
        tx, domain::retention_deposit_posting(std::to_string(*id), request.project_id(),
                                              request.builder_party_id(), request.amount_fen()));
  });
  return retention(request.project_id(), request.builder_party_id());
}

v1::RetentionAccount BillingOps::retention(const std::string& project_id,
                                           const std::string& builder_party_id) {
  return db_.in_transaction([&](pqxx::work& tx) {
    v1::RetentionAccount out;
    out.set_project_id(project_id);
    out.set_builder_party_id(builder_party_id);
    for (const auto& e : store::retention_entries(tx, project_id, builder_party_id)) {
      auto* entry = out.add_entries();
      entry->set_entry_id(e.entry_id);
      entry->set_kind(e.kind);
      entry->set_amount_fen(e.amount_fen);
      entry->set_balance_after_fen(e.balance_after_fen);
      entry->set_source_id(e.source_id);
      entry->set_settlement_id(e.settlement_id);
      *entry->mutable_recorded_at() = store::timestamp_from_us(e.recorded_at_us);
      if (e.amount_fen > 0) {
        out.set_deposited_fen(out.deposited_fen() + e.amount_fen);
      } else {
        out.set_charged_back_fen(out.charged_back_fen() - e.amount_fen);
      }
      out.set_balance_fen(e.balance_after_fen);
    }
    out.set_pending_chargeback_fen(
        store::pending_chargebacks_fen(tx, project_id, builder_party_id));
    return out;
  });
}

v1::ListChargebacksResponse BillingOps::list_chargebacks(
    const std::string& project_id, const std::string& builder_party_id, const std::string& period,
    int64_t after_recorded_us, const std::string& after_id, int page_size) {
  return db_.in_transaction([&](pqxx::work& tx) {
    auto page = store::list_chargebacks(tx, project_id, builder_party_id, period, after_recorded_us,
                                        after_id, page_size + 1);
    v1::ListChargebacksResponse out;
    for (size_t i = 0; i < page.rows.size() && static_cast<int>(i) < page_size; ++i) {
      *out.add_chargebacks() = page.rows[i].to_proto();
    }
    out.set_total_fen(page.total_fen);
    if (static_cast<int>(page.rows.size()) > page_size) {
      const auto& last = page.rows[page_size - 1];
      v1::PageCursor cursor;
      *cursor.mutable_after_time() = store::timestamp_from_us(last.recorded_at_us);
      cursor.set_after_id(last.chargeback_id);
      out.set_next_page_token(cursor.SerializeAsString());  // encoded by the handler
    }
    return out;
  });
}

v1::ListFinesResponse BillingOps::list_fines(const std::string& project_id,
                                             const std::string& party_id,
                                             const std::string& period) {
  return db_.in_transaction([&](pqxx::work& tx) {
    v1::ListFinesResponse out;
    for (const auto& f : store::list_fines(tx, project_id, party_id, period)) {
      *out.add_fines() = f.to_proto();
      out.set_total_fen(out.total_fen() + f.amount_fen);
    }
    return out;
  });
}

v1::ProjectReportResponse BillingOps::project_report(const std::string& project_id,
                                                     const v1::ReportPeriod& period) {
  auto days = domain::report_days(period);
  if (!days) throw invalid("period", "is not a month, quarter or ISO week that exists");
  return db_.in_transaction([&](pqxx::work& tx) {
    auto settings = store::load_project(tx, project_id);
    int64_t from = absl::ToUnixMicros(domain::start_of_local_day(days->first, settings.zone));
    int64_t to = absl::ToUnixMicros(domain::start_of_local_day(days->last + 1, settings.zone));
    auto f = store::report_figures(tx, project_id, days->first, days->last, from, to);
    v1::ProjectReportResponse out;
    out.set_project_id(project_id);
    *out.mutable_period() = period;
    out.set_fee_billed_fen(f.fee_billed_fen);
    out.set_fee_collected_fen(f.fee_collected_fen);
    *out.mutable_fee_collection_rate() = domain::make_ratio(f.fee_collected_fen, f.fee_billed_fen);
    out.set_arrears_fen(f.arrears_fen);
    out.set_paid_repair_fen(f.paid_repair_fen);
    out.set_paid_service_fen(f.paid_service_fen);
    out.set_warranty_cost_fen(f.warranty_cost_fen);
    out.set_chargebacks_fen(f.chargebacks_fen);
    out.set_fines_fen(f.fines_fen);
    out.set_settlement_outstanding_fen(f.settlement_outstanding_fen);
    return out;
  });
}

v1::TrialBalanceResponse BillingOps::trial_balance(const std::string& project_id) {
  return db_.in_transaction([&](pqxx::work& tx) {
    auto tb = store::trial_balance(tx, project_id);
    v1::TrialBalanceResponse out;
    for (const auto& [account, balance] : tb.accounts) {
      auto* a = out.add_accounts();
      a->set_account(account);
      a->set_balance_fen(balance);
    }
    out.set_total_debits_fen(tb.debits);
    out.set_total_credits_fen(tb.credits);
    out.set_transactions(tb.transactions);
    out.set_unbalanced_transactions(tb.unbalanced);
    return out;
  });
}

// ---- events ----------------------------------------------------------------------------------

namespace {

// Producer data that cannot be applied: thrown so the consumer retries and then dead-letters it
// (visible in kit_dead_letters and <topic>.dlq, never dropped silently).
[[noreturn]] void bad_event(const v1::Event& e, const std::string& why) {
  throw std::invalid_argument(e.type() + " " + e.event_id() + ": " + why);
}

void require(const v1::Event& e, const std::string& problem) {
  if (!problem.empty()) bad_event(e, problem);
}

absl::Time occurred_at(const v1::Event& e) {
  if (!e.has_occurred_at()) return absl::Now();
  return absl::FromUnixSeconds(e.occurred_at().seconds()) +
         absl::Nanoseconds(e.occurred_at().nanos());
}

}  // namespace

void BillingOps::apply_event(pqxx::work& tx, const v1::Event& e) {
  switch (e.payload_case()) {
    case v1::Event::kUnitUpserted:
      apply_unit(tx, e);
      return;
    case v1::Event::kProjectUpserted: {
      const auto& p = e.project_upserted();
      const std::string& project_id = p.project_id().empty() ? e.project_id() : p.project_id();
      absl::TimeZone zone;
      if (project_id.empty() || !absl::LoadTimeZone(p.timezone(), &zone)) {
        spdlog::warn("billing: project {} keeps its time zone: '{}' is not usable", project_id,
                     p.timezone());
        return;
      }
      store::upsert_project_timezone(tx, project_id, p.timezone());
      return;
    }
    case v1::Event::kPolicyUpdated: {
      const auto& policy = e.policy_updated().policy();
      const std::string& project_id =
          policy.project_id().empty() ? e.project_id() : policy.project_id();
      if (project_id.empty() || !policy.billing().has_reminder_days_before_due()) return;
      int days = policy.billing().reminder_days_before_due();
      if (days < 0 || days > 60) bad_event(e, "reminder_days_before_due out of range");
      store::upsert_project_reminder_days(tx, project_id, days);
      return;
    }
    case v1::Event::kQuoteConfirmed:
      apply_quote_confirmed(tx, e);
      return;
    case v1::Event::kWarrantyCostAdvanced:
      apply_warranty_cost(tx, e);
      return;
    case v1::Event::kTicketEscalated:
      apply_escalation(tx, e);
      return;
    default:
      return;  // not billing's business
  }
}

void BillingOps::apply_unit(pqxx::work& tx, const v1::Event& e) {
  const auto& u = e.unit_upserted();
  require(e, domain::check_id(u.unit_id(), "unit_id"));
  require(e, domain::check_id(e.project_id(), "project_id"));
  if (u.area_centi_m2() < 0 || u.area_centi_m2() > domain::Limits::kMaxAreaCentiM2) {
    bad_event(e, "area_centi_m2 out of range");
  }
  if (!u.owner_id().empty()) require(e, domain::check_id(u.owner_id(), "owner_id"));
  store::upsert_unit(tx, e.project_id(), u, occurred_at(e));
}

void BillingOps::apply_quote_confirmed(pqxx::work& tx, const v1::Event& e) {
  const auto& q = e.quote_confirmed();
  require(e, domain::check_id(q.quote_id(), "quote_id"));
  require(e, domain::check_id(q.unit_id(), "unit_id"));
  require(e, domain::check_id(e.project_id(), "project_id"));
  require(e, domain::check_amount(q.amount_fen()));
  if (store::find_source_invoice(tx, q.unit_id(), "paid_repair", q.quote_id())) return;
  auto settings = store::load_project(tx, e.project_id());
  absl::CivilDay day = domain::local_day(occurred_at(e), settings.zone);
  auto unit = store::find_unit(tx, q.unit_id());
  InvoiceRow invoice;
  invoice.invoice_id = kit::new_uuid();
  invoice.project_id = e.project_id();
  invoice.unit_id = q.unit_id();
  invoice.owner_id = !q.owner_id().empty() ? q.owner_id() : (unit ? unit->owner_id : "");
  invoice.payer = "owner";
  invoice.kind = "paid_repair";
  invoice.period = domain::period_of(day).to_string();
  invoice.source_id = q.quote_id();
  invoice.description = "paid repair, work order " + q.work_order_id();
  invoice.amount_fen = q.amount_fen();
  invoice.due_date = day + settings.policy.service_due_days;
  invoice.status = "open";
  store::InvoiceLineRow line;
  line.kind = "paid_repair";
  line.description = invoice.description;
  line.source_id = q.quote_id();
  line.amount_fen = q.amount_fen();
  invoice.lines.push_back(line);
  if (!store::insert_invoice(tx, invoice, "service:dispatch")) return;
  issue(tx, invoice, e.event_id());
}

void BillingOps::apply_warranty_cost(pqxx::work& tx, const v1::Event& e) {
  const auto& w = e.warranty_cost_advanced();
  require(e, domain::check_id(w.work_order_id(), "work_order_id"));
  require(e, domain::check_id(e.project_id(), "project_id"));
  require(e, domain::check_id(w.builder_party_id(), "builder_party_id"));
  require(e, domain::check_amount(w.cost_fen(), "cost_fen"));
  auto settings = store::load_project(tx, e.project_id());
  absl::Time when = w.has_signed_off_at() ? absl::FromUnixSeconds(w.signed_off_at().seconds()) +
                                                absl::Nanoseconds(w.signed_off_at().nanos())
                                          : occurred_at(e);
  store::WarrantyCostRow cost;
  cost.work_order_id = w.work_order_id();
  cost.project_id = e.project_id();
  cost.ticket_id = w.ticket_id();
  cost.unit_id = w.unit_id();
  cost.builder_party_id = w.builder_party_id();
  cost.performed_by_kind = w.performed_by_kind() == v1::PARTY_KIND_UNSPECIFIED
                               ? ""
                               : domain::public_name(w.performed_by_kind());
  cost.performed_by_party_id = w.performed_by_party_id();
  cost.cost_fen = w.cost_fen();
  cost.period = domain::period_of(domain::local_day(when, settings.zone)).to_string();
  if (w.has_signed_off_at()) cost.signed_off_at_us = absl::ToUnixMicros(when);
  cost.source_event_id = e.event_id();
  if (!store::insert_warranty_cost(tx, cost)) return;  // this work order is booked already
  store::insert_chargeback(tx, kit::new_uuid(), cost);
  store::post(tx, domain::warranty_cost_posting(cost.work_order_id, cost.project_id,
                                                cost.performed_by_party_id, cost.cost_fen));
}

void BillingOps::apply_escalation(pqxx::work& tx, const v1::Event& e) {
  const auto& t = e.ticket_escalated();
  if (t.fine_fen() <= 0) return;  // an escalation without a fine
  if (t.fault_party() == v1::FAULT_PARTY_UNSPECIFIED || t.fault_party_id().empty()) {
    // Nobody to fine yet: intake sends the fine again once the party at fault is known.
    spdlog::info("billing: fine of ticket {} level {} has no party at fault yet", t.ticket_id(),
                 t.level());
    return;
  }
  require(e, domain::check_id(t.ticket_id(), "ticket_id"));
  require(e, domain::check_id(t.fault_party_id(), "fault_party_id"));
  require(e, domain::check_id(e.project_id(), "project_id"));
  require(e, domain::check_amount(t.fine_fen(), "fine_fen"));
  store::FineRow fine;
  fine.fine_id = kit::new_uuid();
  fine.project_id = e.project_id();
  fine.ticket_id = t.ticket_id();
  fine.level = t.level();
  fine.fault_party = domain::public_name(t.fault_party());
  fine.party_id = t.fault_party_id();
  fine.amount_fen = t.fine_fen();
  fine.reason = t.reason();
  fine.source_event_id = e.event_id();
  if (!store::insert_fine(tx, fine)) return;  // this ticket's fine at this level is booked
  store::post(tx, domain::fine_posting(fine.fine_id, fine.project_id, t.fault_party(),
                                       fine.party_id, fine.amount_fen));
  v1::Event out = store::envelope(fine.project_id, fine.party_id);
  out.set_causation_id(e.event_id());
  auto* recorded = out.mutable_fine_recorded();
  recorded->set_fine_id(fine.fine_id);
  recorded->set_ticket_id(fine.ticket_id);
  recorded->set_fault_party(t.fault_party());
  recorded->set_party_id(fine.party_id);
  recorded->set_level(fine.level);
  recorded->set_amount_fen(fine.amount_fen);
  outbox_.add(tx, out);
}

// ---- sweeper ---------------------------------------------------------------------------------

SweepResult BillingOps::sweep_once(absl::Time now, int batch_size) {
  SweepResult total;
  for (;;) {
    auto [seen, acted] = db_.in_transaction([&](pqxx::work& tx) {
      auto candidates = store::sweep_candidates(tx, now, batch_size);
      int done = 0;
      for (const auto& c : candidates) {
        domain::BillingPolicy policy;
        policy.reminder_days_before_due = c.reminder_days;
        auto action = domain::sweep_action(c.invoice.state(), c.today, policy);
        if (action == domain::SweepAction::kNone) continue;
        ++done;
        const auto& inv = c.invoice;
        if (action == domain::SweepAction::kRemind) {
          store::mark_reminded(tx, inv.invoice_id);
          v1::Event e = invoice_event(inv);
          auto* r = e.mutable_payment_reminder_due();
          r->set_invoice_id(inv.invoice_id);
          r->set_unit_id(inv.unit_id);
          r->set_owner_id(inv.owner_id);
          *r->mutable_due_date() = domain::to_proto_date(inv.due_date);
          r->set_outstanding_fen(inv.amount_fen - inv.paid_fen);
          outbox_.add(tx, e);
          ++total.reminders;
        } else {
          store::mark_overdue(tx, inv.invoice_id);
          v1::Event e = invoice_event(inv);
          auto* o = e.mutable_invoice_overdue();
          o->set_invoice_id(inv.invoice_id);
          o->set_unit_id(inv.unit_id);
          o->set_owner_id(inv.owner_id);
          *o->mutable_due_date() = domain::to_proto_date(inv.due_date);
          o->set_outstanding_fen(inv.amount_fen - inv.paid_fen);
          outbox_.add(tx, e);
          ++total.overdue;
        }
      }
      return std::pair<int, int>(static_cast<int>(candidates.size()), done);
    });
    if (seen < batch_size || acted == 0) break;
  }
  return total;
}

}  // namespace aftercare::billing
