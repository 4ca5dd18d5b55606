#include "billing/store/decoration_store.h"

#include "common/pg.h"

namespace aftercare::billing::store {

namespace v1 = aftercare::v1;

namespace {

constexpr const char* kInsertSettlement = R"(
  INSERT INTO decoration_deposits (permit_id, project_id, unit_id, owner_id, invoice_id,
                                   deposit_fen, paid_fen, deductions_fen, refunded_fen,
                                   deducted_fen, waived_fen, billed_fen, deduction_invoice_id,
                                   reason, source_event_id)
  VALUES ($1, $2, $3, $4, $5::uuid, $6, $7, $8, $9, $10, $11, $12, nullif($13, '')::uuid, $14, $15)
  ON CONFLICT DO NOTHING RETURNING 1)";

#define SETTLEMENT_COLUMNS                                                                  \
  "permit_id, project_id, unit_id, owner_id, invoice_id::text AS invoice_id, deposit_fen, " \
  "paid_fen, deductions_fen, refunded_fen, deducted_fen, waived_fen, billed_fen, "          \
  "coalesce(deduction_invoice_id::text, '') AS deduction_invoice_id, reason, "              \
  "source_event_id, billing_us(settled_at) AS settled_at_us"
constexpr const char* kFindSettlement =
    "SELECT " SETTLEMENT_COLUMNS " FROM decoration_deposits WHERE permit_id = $1";
constexpr const char* kSettlementsOf =
    "SELECT " SETTLEMENT_COLUMNS " FROM decoration_deposits WHERE invoice_id = ANY($1::uuid[])";

DepositSettlementRow settlement_from(const pqxx::row& r) {
  DepositSettlementRow s;
  s.permit_id = r["permit_id"].as<std::string>();
  s.project_id = r["project_id"].as<std::string>();
  s.unit_id = r["unit_id"].as<std::string>();
  s.owner_id = r["owner_id"].as<std::string>();
  s.invoice_id = r["invoice_id"].as<std::string>();
  s.deposit_fen = r["deposit_fen"].as<int64_t>();
  s.paid_fen = r["paid_fen"].as<int64_t>();
  s.deductions_fen = r["deductions_fen"].as<int64_t>();
  s.refunded_fen = r["refunded_fen"].as<int64_t>();
  s.deducted_fen = r["deducted_fen"].as<int64_t>();
  s.waived_fen = r["waived_fen"].as<int64_t>();
  s.billed_fen = r["billed_fen"].as<int64_t>();
  s.deduction_invoice_id = r["deduction_invoice_id"].as<std::string>();
  s.reason = r["reason"].as<std::string>();
  s.source_event_id = r["source_event_id"].as<std::string>();
  s.settled_at_us = r["settled_at_us"].as<int64_t>();
  return s;
}

}  // namespace

bool insert_deposit_settlement(pqxx::transaction_base& tx, const DepositSettlementRow& s) {
  return !tx.exec_params(kInsertSettlement, s.permit_id, s.project_id, s.unit_id, s.owner_id,
                         s.invoice_id, s.deposit_fen, s.paid_fen, s.deductions_fen, s.refunded_fen,
                         s.deducted_fen, s.waived_fen, s.billed_fen, s.deduction_invoice_id,
                         s.reason, s.source_event_id)
              .empty();
}

std::optional<DepositSettlementRow> find_deposit_settlement(pqxx::transaction_base& tx,
                                                            const std::string& permit_id) {
  auto r = tx.exec_params(kFindSettlement, permit_id);
  if (r.empty()) return std::nullopt;
  return settlement_from(r[0]);
}

void load_deposits(pqxx::transaction_base& tx, std::vector<InvoiceRow>& invoices) {
  std::vector<std::string> ids;
  for (auto& i : invoices) {
    if (i.kind != "decoration_deposit") continue;
    ids.push_back(i.invoice_id);
    v1::DecorationDeposit held;
    held.set_permit_id(i.source_id);
    held.set_status("held");
    i.deposit = held;
  }
  if (ids.empty()) return;
  for (const auto& r : tx.exec_params(kSettlementsOf, kit::text_array(ids))) {
    DepositSettlementRow s = settlement_from(r);
    for (auto& i : invoices) {
      if (i.invoice_id != s.invoice_id) continue;
      v1::DecorationDeposit& d = *i.deposit;
      d.set_status("settled");
      d.set_deductions_fen(s.deductions_fen);
      d.set_refunded_fen(s.refunded_fen);
      d.set_deducted_fen(s.deducted_fen);
      d.set_waived_fen(s.waived_fen);
      d.set_billed_fen(s.billed_fen);
      d.set_deduction_invoice_id(s.deduction_invoice_id);
      *d.mutable_settled_at() = timestamp_from_us(s.settled_at_us);
      d.set_reason(s.reason);
    }
  }
}

void add_decoration_figures(pqxx::transaction_base& tx, const std::string& b,
                            const std::string& ids, const std::string& froms,
                            const std::string& tos, std::map<std::string, ReportFigures>& out) {
  // Held at the period's end: what was paid (net of refunds) by then on deposit invoices not
  // settled by then.
  add_window_sums(tx, b + R"(SELECT b.project_id, coalesce(sum(
             coalesce((SELECT sum(p.amount_fen) FROM payments p
                       WHERE p.invoice_id = i.invoice_id AND p.paid_at < b.t), 0)
           - coalesce((SELECT sum(x.amount_fen) FROM refunds x
                       WHERE x.invoice_id = i.invoice_id AND x.refunded_at < b.t), 0)), 0)::bigint
         FROM b JOIN invoices i ON i.project_id = b.project_id AND i.kind = 'decoration_deposit'
         LEFT JOIN decoration_deposits d ON d.invoice_id = i.invoice_id
         WHERE i.issued_at < b.t AND (d.settled_at IS NULL OR d.settled_at >= b.t)
         GROUP BY b.project_id)",
                  ids, froms, tos, &ReportFigures::decoration_held_fen, out);
  for (const auto& r : tx.exec_params(b + R"(SELECT b.project_id,
           coalesce(sum(d.refunded_fen), 0)::bigint, coalesce(sum(d.deductions_fen), 0)::bigint
         FROM b JOIN decoration_deposits d ON d.project_id = b.project_id
         WHERE d.settled_at >= b.f AND d.settled_at < b.t
         GROUP BY b.project_id)",
                                      ids, froms, tos)) {
    ReportFigures& f = out[r[0].as<std::string>()];
    f.decoration_refunded_fen = r[1].as<int64_t>();
    f.decoration_deductions_fen = r[2].as<int64_t>();
  }
  add_window_sums(tx, b + R"(SELECT b.project_id, coalesce(sum(i.amount_fen), 0)::bigint
         FROM b JOIN invoices i ON i.project_id = b.project_id
         WHERE i.kind = 'decoration_fee' AND i.status <> 'void'
           AND i.issued_at >= b.f AND i.issued_at < b.t
         GROUP BY b.project_id)",
                  ids, froms, tos, &ReportFigures::decoration_fees_fen, out);
}

void add_window_sums(pqxx::transaction_base& tx, const std::string& sql, const std::string& ids,
                     const std::string& froms, const std::string& tos,
                     int64_t ReportFigures::*field, std::map<std::string, ReportFigures>& out) {
  for (const auto& r : tx.exec_params(sql, ids, froms, tos))
    out[r[0].as<std::string>()].*field = r[1].as<int64_t>();
}

}  // namespace aftercare::billing::store
