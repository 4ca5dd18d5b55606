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
#include "billing/store/decoration_store.h"
#include "billing/store/settlement_store.h"

namespace aftercare::billing {

namespace v1 = aftercare::v1;
using store::InvoiceRow;

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
    // A settled decoration deposit was paid back (minus deductions) by its settlement (issue 19).
    if (invoice->kind == "decoration_deposit" &&
        store::find_deposit_settlement(tx, invoice->source_id)) {
      throw failed_precondition("the deposit of decoration permit " + invoice->source_id +
                                " was settled; its refund was made then");
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

}  // namespace aftercare::billing
