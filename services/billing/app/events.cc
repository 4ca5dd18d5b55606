#include "billing/app/billing_ops.h"
#include "billing/app/support.h"
#include "common/time.h"

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

namespace {

// What PaymentReminderDue and InvoiceOverdue both say of the invoice: what is owed, by whom, when.
template <typename Notice>
void describe_due(const InvoiceRow& inv, Notice* n) {
  n->set_invoice_id(inv.invoice_id);
  n->set_unit_id(inv.unit_id);
  n->set_owner_id(inv.owner_id);
  *n->mutable_due_date() = domain::to_proto_date(inv.due_date);
  n->set_outstanding_fen(inv.amount_fen - inv.paid_fen);
  n->set_kind(inv.kind_enum());
}

}  // namespace

// ---- events ----------------------------------------------------------------------------------

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
    case v1::Event::kDecorationPermitUpdated:  // issue 19
      apply_decoration(tx, e);
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
  // The cost and its chargeback (issue 21: one statement).
  if (!store::insert_warranty_cost_and_chargeback(tx, kit::new_uuid(), cost))
    return;  // this work order is booked already
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
          describe_due(inv, e.mutable_payment_reminder_due());
          outbox_.add(tx, e);
          ++total.reminders;
        } else {
          store::mark_overdue(tx, inv.invoice_id);
          v1::Event e = invoice_event(inv);
          describe_due(inv, e.mutable_invoice_overdue());
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
