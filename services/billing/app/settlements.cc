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

namespace {

v1::ProjectReportResponse report_of(const std::string& project_id, const v1::ReportPeriod& period,
                                    const store::ReportFigures& f) {
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
  out.set_decoration_deposits_held_fen(f.decoration_held_fen);
  out.set_decoration_deposits_refunded_fen(f.decoration_refunded_fen);
  out.set_decoration_deductions_fen(f.decoration_deductions_fen);
  out.set_decoration_fees_fen(f.decoration_fees_fen);
  return out;
}

}  // namespace

v1::ProjectReportResponse BillingOps::project_report(const std::string& project_id,
                                                     const v1::ReportPeriod& period) {
  auto days = domain::report_days(period);
  if (!days) throw invalid("period", "is not a month, quarter, ISO week or year that exists");
  return db_.in_transaction([&](pqxx::work& tx) {
    auto settings = store::load_project(tx, project_id);
    int64_t from = absl::ToUnixMicros(domain::start_of_local_day(days->first, settings.zone));
    int64_t to = absl::ToUnixMicros(domain::start_of_local_day(days->last + 1, settings.zone));
    return report_of(project_id, period,
                     store::report_figures(tx, project_id, days->first, days->last, from, to));
  });
}

v1::GroupProjectReportResponse BillingOps::group_project_report(
    const kit::Caller& caller, const std::vector<std::string>& project_ids,
    const v1::ReportPeriod& period) {
  auto days = domain::report_days(period);
  if (!days) throw invalid("period", "is not a month, quarter, ISO week or year that exists");
  return db_.in_transaction([&](pqxx::work& tx) {
    // A project billing has not heard of has the default settings, as in ProjectReport.
    std::map<std::string, std::string> zones;
    for (auto& [id, zone] : store::project_timezones(tx, project_ids, project_ids.empty())) {
      if (project_ids.empty() && !caller.sees_project(id)) continue;
      zones[id] = zone.empty() ? "Asia/Shanghai" : zone;  // load_project's default
    }
    for (const std::string& id : project_ids) zones.try_emplace(id, "Asia/Shanghai");
    std::vector<store::ReportWindow> windows;
    for (const auto& [id, name] : zones) {
      absl::TimeZone zone;
      if (!absl::LoadTimeZone(name, &zone)) absl::LoadTimeZone("Asia/Shanghai", &zone);
      windows.push_back({id, absl::ToUnixMicros(domain::start_of_local_day(days->first, zone)),
                         absl::ToUnixMicros(domain::start_of_local_day(days->last + 1, zone))});
    }
    v1::GroupProjectReportResponse out;
    for (const auto& [id, f] : store::group_report_figures(tx, windows, days->first, days->last))
      *out.add_projects() = report_of(id, period, f);
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

}  // namespace aftercare::billing
