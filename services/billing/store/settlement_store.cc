#include "billing/store/settlement_store.h"

#include "billing/domain/names.h"
#include "billing/domain/period.h"
#include "billing/store/billing_store.h"
#include "billing/store/decoration_store.h"
#include "common/pg.h"
#include "common/report_windows.h"

namespace aftercare::billing::store {

namespace v1 = aftercare::v1;

namespace {

// Issue 21: the warranty cost and its chargeback in one statement (the chargeback only with a
// new cost); true when the cost is new. $12 the chargeback id.
constexpr const char* kInsertWarrantyCostAndChargeback = R"(
  WITH w AS (
    INSERT INTO warranty_costs (work_order_id, project_id, ticket_id, unit_id, builder_party_id,
                                performed_by_kind, performed_by_party_id, cost_fen, period,
                                signed_off_at, source_event_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, billing_ts($10::bigint), $11)
    ON CONFLICT (work_order_id) DO NOTHING RETURNING 1),
  c AS (
    INSERT INTO chargebacks (chargeback_id, project_id, builder_party_id, work_order_id, ticket_id,
                             amount_fen, period)
    SELECT $12::uuid, $2, $5, $1, $3, $8, $9 FROM w
    ON CONFLICT (work_order_id) DO NOTHING)
  SELECT count(*) FROM w)";

#define CHARGEBACK_COLUMNS                                                                      \
  "c.chargeback_id::text AS chargeback_id, c.project_id, c.builder_party_id, c.work_order_id, " \
  "c.ticket_id, c.amount_fen, c.period, coalesce(c.settlement_id::text, '') AS settlement_id, " \
  "c.deducted_at IS NOT NULL AS deducted, billing_us(c.recorded_at) AS recorded_at_us"
constexpr const char* kListChargebacks = "SELECT " CHARGEBACK_COLUMNS R"( FROM chargebacks c
  WHERE c.project_id = $1 AND ($2 = '' OR c.builder_party_id = $2) AND ($3 = '' OR c.period = $3)
    AND (billing_us(c.recorded_at), c.chargeback_id::text) > ($4, $5)
  ORDER BY c.recorded_at, c.chargeback_id::text LIMIT $6)";
constexpr const char* kChargebackTotal = R"(
  SELECT coalesce(sum(amount_fen), 0)::bigint FROM chargebacks
  WHERE project_id = $1 AND ($2 = '' OR builder_party_id = $2) AND ($3 = '' OR period = $3))";
constexpr const char* kDeductChargebacks = R"(
  UPDATE chargebacks c SET settlement_id = $1::uuid, deducted_at = now()
  FROM settlement_items s
  WHERE s.settlement_id = $1::uuid AND s.kind = 'warranty_repair' AND c.work_order_id = s.source_id
    AND c.deducted_at IS NULL
  RETURNING )" CHARGEBACK_COLUMNS;

#define SETTLEMENT_COLUMNS                                                               \
  "settlement_id::text AS settlement_id, project_id, period, warranty_repair_fen, "      \
  "property_fee_fen, total_fen, paid_fen, status, work_order_count, fee_invoice_count, " \
  "billing_us(issued_at) AS issued_at_us, billing_us(updated_at) AS updated_at_us"
constexpr const char* kFindSettlement =
    "SELECT " SETTLEMENT_COLUMNS " FROM settlements WHERE project_id = $1 AND period = $2";
constexpr const char* kGetSettlement =
    "SELECT " SETTLEMENT_COLUMNS " FROM settlements WHERE settlement_id = $1::uuid";
constexpr const char* kGetSettlementForUpdate =
    "SELECT " SETTLEMENT_COLUMNS " FROM settlements WHERE settlement_id = $1::uuid FOR UPDATE";
constexpr const char* kListSettlements = "SELECT " SETTLEMENT_COLUMNS R"( FROM settlements
  WHERE project_id = $1 AND ($2 = '' OR status = $2) ORDER BY period)";
constexpr const char* kSettlementItems = R"(
  SELECT kind, source_id, amount_fen, unit_id, builder_party_id, period
  FROM settlement_items WHERE settlement_id = $1::uuid ORDER BY kind, period, source_id)";
constexpr const char* kInsertSettlement = R"(
  INSERT INTO settlements (settlement_id, project_id, period, warranty_repair_fen,
                           property_fee_fen, total_fen, status, work_order_count,
                           fee_invoice_count, issued_by)
  VALUES ($1::uuid, $2, $3, 0, 0, 0, 'issued', 0, 0, $4)
  ON CONFLICT (project_id, period) DO NOTHING RETURNING 1)";
constexpr const char* kClaimWarrantyCosts = R"(
  WITH claimed AS (
    UPDATE warranty_costs SET settlement_id = $1::uuid
    WHERE project_id = $2 AND settlement_id IS NULL AND period <= $3
    RETURNING work_order_id, cost_fen, unit_id, builder_party_id, period)
  INSERT INTO settlement_items (settlement_id, kind, source_id, amount_fen, unit_id,
                                builder_party_id, period)
  SELECT $1::uuid, 'warranty_repair', work_order_id, cost_fen, unit_id, builder_party_id, period
  FROM claimed
  RETURNING kind, source_id, amount_fen, unit_id, builder_party_id, period)";
constexpr const char* kClaimDeveloperInvoices = R"(
  WITH claimed AS (
    UPDATE invoices SET settlement_id = $1::uuid, updated_at = now()
    WHERE project_id = $2 AND payer = 'developer' AND kind = 'property_fee'
      AND settlement_id IS NULL AND status <> 'void' AND period <= $3
    RETURNING invoice_id::text AS id, amount_fen, unit_id, period)
  INSERT INTO settlement_items (settlement_id, kind, source_id, amount_fen, unit_id,
                                builder_party_id, period)
  SELECT $1::uuid, 'property_fee', id, amount_fen, unit_id, '', period FROM claimed
  RETURNING kind, source_id, amount_fen, unit_id, builder_party_id, period)";
constexpr const char* kSetSettlementTotals = R"(
  UPDATE settlements SET warranty_repair_fen = $2, property_fee_fen = $3, total_fen = $4,
    status = $5, work_order_count = $6, fee_invoice_count = $7, updated_at = now()
  WHERE settlement_id = $1::uuid)";
constexpr const char* kSetSettlementPaid = R"(
  UPDATE settlements SET paid_fen = $2, status = $3, updated_at = now()
  WHERE settlement_id = $1::uuid)";
constexpr const char* kFindSettlementPayment = R"(
  SELECT payment_id::text, settlement_id::text, amount_fen, reference
  FROM settlement_payments WHERE reference = $1)";
constexpr const char* kInsertSettlementPayment = R"(
  INSERT INTO settlement_payments (payment_id, settlement_id, amount_fen, reference, paid_at,
                                   recorded_by)
  VALUES ($1::uuid, $2::uuid, $3, $4, billing_ts($5), $6)
  ON CONFLICT (reference) DO NOTHING RETURNING 1)";
constexpr const char* kSettlementInvoices = R"(
  SELECT invoice_id::text, amount_fen, paid_fen, overdue_at IS NOT NULL
  FROM invoices WHERE settlement_id = $1::uuid ORDER BY period, unit_id FOR UPDATE)";

constexpr const char* kInsertRetentionEntry = R"(
  INSERT INTO retention_entries (project_id, builder_party_id, kind, amount_fen, source_id,
                                 settlement_id, recorded_by)
  VALUES ($1, $2, $3, $4, $5, $6::uuid, $7)
  ON CONFLICT (project_id, kind, source_id) DO NOTHING RETURNING entry_id)";
#define RETENTION_COLUMNS                                                               \
  "entry_id, builder_party_id, kind, amount_fen, "                                      \
  "sum(amount_fen) OVER (PARTITION BY project_id, builder_party_id ORDER BY entry_id) " \
  "AS balance_after, source_id, coalesce(settlement_id::text, '') AS settlement_id, "   \
  "billing_us(recorded_at) AS recorded_at_us"
constexpr const char* kFindRetentionEntry = "SELECT " RETENTION_COLUMNS R"(
  FROM retention_entries WHERE project_id = $1 AND kind = $2 AND source_id = $3)";
constexpr const char* kRetentionEntries = "SELECT " RETENTION_COLUMNS R"(
  FROM retention_entries WHERE project_id = $1 AND builder_party_id = $2 ORDER BY entry_id)";
constexpr const char* kPendingChargebacks = R"(
  SELECT coalesce(sum(amount_fen), 0)::bigint FROM chargebacks
  WHERE project_id = $1 AND builder_party_id = $2 AND deducted_at IS NULL)";

#define FINE_COLUMNS                                                                            \
  "f.fine_id::text AS fine_id, f.project_id, f.ticket_id, f.level, f.fault_party, f.party_id, " \
  "f.amount_fen, f.reason, f.source_event_id, billing_us(f.recorded_at) AS recorded_at_us"
constexpr const char* kInsertFine = R"(
  INSERT INTO fines (fine_id, project_id, ticket_id, level, fault_party, party_id, amount_fen,
                     reason, source_event_id)
  VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (ticket_id, level) DO NOTHING RETURNING billing_us(recorded_at))";
constexpr const char* kListFines = "SELECT " FINE_COLUMNS R"( FROM fines f
  LEFT JOIN LATERAL (SELECT bp.timezone FROM billing_projects bp
                     WHERE bp.project_id = f.project_id) p ON true
  WHERE f.project_id = $1 AND ($2 = '' OR f.party_id = $2)
    AND ($3 = '' OR to_char(f.recorded_at AT TIME ZONE coalesce(p.timezone, 'Asia/Shanghai'),
                            'YYYY-MM') = $3)
  ORDER BY f.recorded_at, f.fine_id)";

constexpr const char* kOutstandingInvoices = R"(
  SELECT i.unit_id, i.owner_id, i.period, to_char(i.due_date, 'YYYY-MM-DD') AS due_date,
         i.amount_fen - i.paid_fen AS outstanding, coalesce(u.building, '') AS building,
         coalesce(u.room, '') AS room, coalesce(u.owner_phone_masked, '') AS phone
  FROM invoices i LEFT JOIN units u ON u.unit_id = i.unit_id
  WHERE i.project_id = $1 AND ($2 = '' OR i.unit_id = $2) AND i.payer = 'owner'
    AND i.status <> 'void' AND i.paid_fen < i.amount_fen
  ORDER BY i.unit_id, i.due_date, i.period)";
constexpr const char* kCollectionRows = R"(
  SELECT i.amount_fen,
    coalesce((SELECT sum(p.amount_fen) FROM payments p
              WHERE p.invoice_id = i.invoice_id AND p.paid_at < billing_ts($3)), 0)
    - coalesce((SELECT sum(r.amount_fen) FROM refunds r
                WHERE r.invoice_id = i.invoice_id AND r.refunded_at < billing_ts($3)), 0)
  FROM invoices i
  WHERE i.project_id = $1 AND i.period = $2 AND i.kind = 'property_fee' AND i.payer = 'owner'
    AND i.status <> 'void')";

ChargebackRow chargeback_from(const pqxx::row& r) {
  ChargebackRow c;
  c.chargeback_id = r["chargeback_id"].as<std::string>();
  c.project_id = r["project_id"].as<std::string>();
  c.builder_party_id = r["builder_party_id"].as<std::string>();
  c.work_order_id = r["work_order_id"].as<std::string>();
  c.ticket_id = r["ticket_id"].as<std::string>();
  c.amount_fen = r["amount_fen"].as<int64_t>();
  c.period = r["period"].as<std::string>();
  c.settlement_id = r["settlement_id"].as<std::string>();
  c.deducted = r["deducted"].as<bool>();
  c.recorded_at_us = r["recorded_at_us"].as<int64_t>();
  return c;
}

SettlementRow settlement_from(const pqxx::row& r) {
  SettlementRow s;
  s.settlement_id = r["settlement_id"].as<std::string>();
  s.project_id = r["project_id"].as<std::string>();
  s.period = r["period"].as<std::string>();
  s.warranty_repair_fen = r["warranty_repair_fen"].as<int64_t>();
  s.property_fee_fen = r["property_fee_fen"].as<int64_t>();
  s.total_fen = r["total_fen"].as<int64_t>();
  s.paid_fen = r["paid_fen"].as<int64_t>();
  s.status = r["status"].as<std::string>();
  s.work_order_count = r["work_order_count"].as<int64_t>();
  s.fee_invoice_count = r["fee_invoice_count"].as<int64_t>();
  s.issued_at_us = r["issued_at_us"].as<int64_t>();
  s.updated_at_us = r["updated_at_us"].as<int64_t>();
  return s;
}

SettlementItemRow item_from(const pqxx::row& r) {
  return {r["kind"].as<std::string>(),
          r["source_id"].as<std::string>(),
          r["amount_fen"].as<int64_t>(),
          r["unit_id"].as<std::string>(),
          r["builder_party_id"].as<std::string>(),
          r["period"].as<std::string>()};
}

RetentionEntryRow retention_from(const pqxx::row& r) {
  RetentionEntryRow e;
  e.entry_id = r["entry_id"].as<int64_t>();
  e.builder_party_id = r["builder_party_id"].as<std::string>();
  e.kind = r["kind"].as<std::string>();
  e.amount_fen = r["amount_fen"].as<int64_t>();
  e.balance_after_fen = r["balance_after"].as<int64_t>();
  e.source_id = r["source_id"].as<std::string>();
  e.settlement_id = r["settlement_id"].as<std::string>();
  e.recorded_at_us = r["recorded_at_us"].as<int64_t>();
  return e;
}

FineRow fine_from(const pqxx::row& r) {
  FineRow f;
  f.fine_id = r["fine_id"].as<std::string>();
  f.project_id = r["project_id"].as<std::string>();
  f.ticket_id = r["ticket_id"].as<std::string>();
  f.level = r["level"].as<int>();
  f.fault_party = r["fault_party"].as<std::string>();
  f.party_id = r["party_id"].as<std::string>();
  f.amount_fen = r["amount_fen"].as<int64_t>();
  f.reason = r["reason"].as<std::string>();
  f.source_event_id = r["source_event_id"].as<std::string>();
  f.recorded_at_us = r["recorded_at_us"].as<int64_t>();
  return f;
}

void set_period(const std::string& text, v1::YearMonth* out) {
  if (auto p = domain::parse_period(text)) *out = p->to_proto();
}

}  // namespace

// ---- warranty costs and chargebacks ----------------------------------------------------------

bool insert_warranty_cost_and_chargeback(pqxx::transaction_base& tx,
                                         const std::string& chargeback_id,
                                         const WarrantyCostRow& c) {
  std::string signed_off = c.signed_off_at_us ? std::to_string(*c.signed_off_at_us) : "";
  return kit::exec_prepared(tx, "billing_insert_warranty_cost", kInsertWarrantyCostAndChargeback,
                            c.work_order_id, c.project_id, c.ticket_id, c.unit_id,
                            c.builder_party_id, c.performed_by_kind, c.performed_by_party_id,
                            c.cost_fen, c.period, kit::nullable(signed_off), c.source_event_id,
                            chargeback_id)[0][0]
             .as<int>() > 0;
}

v1::Chargeback ChargebackRow::to_proto() const {
  v1::Chargeback out;
  out.set_chargeback_id(chargeback_id);
  out.set_project_id(project_id);
  out.set_builder_party_id(builder_party_id);
  out.set_work_order_id(work_order_id);
  out.set_ticket_id(ticket_id);
  out.set_amount_fen(amount_fen);
  set_period(period, out.mutable_period());
  out.set_settlement_id(settlement_id);
  out.set_deducted(deducted);
  *out.mutable_recorded_at() = timestamp_from_us(recorded_at_us);
  return out;
}

ChargebackPage list_chargebacks(pqxx::transaction_base& tx, const std::string& project_id,
                                const std::string& builder_party_id, const std::string& period,
                                int64_t after_recorded_us, const std::string& after_id, int limit) {
  ChargebackPage page;
  for (const auto& row : tx.exec_params(kListChargebacks, project_id, builder_party_id, period,
                                        after_recorded_us, after_id, limit)) {
    page.rows.push_back(chargeback_from(row));
  }
  page.total_fen =
      tx.exec_params1(kChargebackTotal, project_id, builder_party_id, period)[0].as<int64_t>();
  return page;
}

// ---- settlements -----------------------------------------------------------------------------

v1::Settlement SettlementRow::to_proto() const {
  v1::Settlement out;
  out.set_settlement_id(settlement_id);
  out.set_project_id(project_id);
  set_period(period, out.mutable_period());
  out.set_warranty_repair_fen(warranty_repair_fen);
  out.set_property_fee_fen(property_fee_fen);
  out.set_total_fen(total_fen);
  out.set_paid_fen(paid_fen);
  out.set_status(domain::parse_public_name<v1::SettlementStatus>(status).value_or(
      v1::SETTLEMENT_STATUS_UNSPECIFIED));
  out.set_work_order_count(work_order_count);
  *out.mutable_issued_at() = timestamp_from_us(issued_at_us);
  *out.mutable_updated_at() = timestamp_from_us(updated_at_us);
  for (const auto& i : items) {
    auto* item = out.add_items();
    item->set_kind(i.kind);
    item->set_source_id(i.source_id);
    item->set_amount_fen(i.amount_fen);
    item->set_unit_id(i.unit_id);
    item->set_builder_party_id(i.builder_party_id);
    set_period(i.period, item->mutable_period());
  }
  out.set_fee_invoice_count(fee_invoice_count);
  return out;
}

namespace {
std::optional<SettlementRow> with_items(pqxx::transaction_base& tx, const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  SettlementRow s = settlement_from(r[0]);
  for (const auto& row : tx.exec_params(kSettlementItems, s.settlement_id)) {
    s.items.push_back(item_from(row));
  }
  return s;
}
}  // namespace

std::optional<SettlementRow> find_settlement(pqxx::transaction_base& tx,
                                             const std::string& project_id,
                                             const std::string& period) {
  return with_items(tx, tx.exec_params(kFindSettlement, project_id, period));
}

std::optional<SettlementRow> get_settlement(pqxx::transaction_base& tx,
                                            const std::string& settlement_id, bool for_update) {
  return with_items(
      tx, tx.exec_params(for_update ? kGetSettlementForUpdate : kGetSettlement, settlement_id));
}

std::vector<SettlementRow> list_settlements(pqxx::transaction_base& tx,
                                            const std::string& project_id,
                                            const std::string& status) {
  std::vector<SettlementRow> out;
  for (const auto& row : tx.exec_params(kListSettlements, project_id, status)) {
    out.push_back(settlement_from(row));
  }
  return out;
}

bool insert_settlement(pqxx::transaction_base& tx, const std::string& settlement_id,
                       const std::string& project_id, const std::string& period,
                       const std::string& issued_by) {
  return !tx.exec_params(kInsertSettlement, settlement_id, project_id, period, issued_by).empty();
}

std::vector<SettlementItemRow> claim_settlement_sources(pqxx::transaction_base& tx,
                                                        const std::string& settlement_id,
                                                        const std::string& project_id,
                                                        const std::string& period) {
  std::vector<SettlementItemRow> out;
  for (const auto* sql : {kClaimWarrantyCosts, kClaimDeveloperInvoices}) {
    for (const auto& row : tx.exec_params(sql, settlement_id, project_id, period)) {
      out.push_back(item_from(row));
    }
  }
  return out;
}

void set_settlement_totals(pqxx::transaction_base& tx, const SettlementRow& s) {
  tx.exec_params(kSetSettlementTotals, s.settlement_id, s.warranty_repair_fen, s.property_fee_fen,
                 s.total_fen, s.status, s.work_order_count, s.fee_invoice_count);
}

void set_settlement_paid(pqxx::transaction_base& tx, const std::string& settlement_id,
                         int64_t paid_fen, const std::string& status) {
  tx.exec_params(kSetSettlementPaid, settlement_id, paid_fen, status);
}

std::vector<ChargebackRow> deduct_chargebacks(pqxx::transaction_base& tx,
                                              const std::string& settlement_id) {
  std::vector<ChargebackRow> out;
  for (const auto& row : tx.exec_params(kDeductChargebacks, settlement_id)) {
    out.push_back(chargeback_from(row));
  }
  return out;
}

std::optional<SettlementPaymentRow> find_settlement_payment(pqxx::transaction_base& tx,
                                                            const std::string& reference) {
  auto r = tx.exec_params(kFindSettlementPayment, reference);
  if (r.empty()) return std::nullopt;
  return SettlementPaymentRow{r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                              r[0][2].as<int64_t>(), r[0][3].as<std::string>()};
}

bool insert_settlement_payment(pqxx::transaction_base& tx, const SettlementPaymentRow& p,
                               int64_t paid_at_us, const std::string& by) {
  return !tx.exec_params(kInsertSettlementPayment, p.payment_id, p.settlement_id, p.amount_fen,
                         p.reference, paid_at_us, by)
              .empty();
}

std::vector<AllocationRow> settlement_invoices(pqxx::transaction_base& tx,
                                               const std::string& settlement_id) {
  std::vector<AllocationRow> out;
  for (const auto& row : tx.exec_params(kSettlementInvoices, settlement_id)) {
    out.push_back(
        {row[0].as<std::string>(), row[1].as<int64_t>(), row[2].as<int64_t>(), row[3].as<bool>()});
  }
  return out;
}

// ---- retention deposits ----------------------------------------------------------------------

std::optional<int64_t> insert_retention_entry(
    pqxx::transaction_base& tx, const std::string& project_id, const std::string& builder_party_id,
    const std::string& kind, int64_t amount_fen, const std::string& source_id,
    const std::string& settlement_id, const std::string& by) {
  auto r = tx.exec_params(kInsertRetentionEntry, project_id, builder_party_id, kind, amount_fen,
                          source_id, kit::nullable(settlement_id), by);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<int64_t>();
}

std::optional<RetentionEntryRow> find_retention_entry(pqxx::transaction_base& tx,
                                                      const std::string& project_id,
                                                      const std::string& kind,
                                                      const std::string& source_id) {
  auto r = tx.exec_params(kFindRetentionEntry, project_id, kind, source_id);
  if (r.empty()) return std::nullopt;
  return retention_from(r[0]);
}

std::vector<RetentionEntryRow> retention_entries(pqxx::transaction_base& tx,
                                                 const std::string& project_id,
                                                 const std::string& builder_party_id) {
  std::vector<RetentionEntryRow> out;
  for (const auto& row : tx.exec_params(kRetentionEntries, project_id, builder_party_id)) {
    out.push_back(retention_from(row));
  }
  return out;
}

int64_t pending_chargebacks_fen(pqxx::transaction_base& tx, const std::string& project_id,
                                const std::string& builder_party_id) {
  return tx.exec_params1(kPendingChargebacks, project_id, builder_party_id)[0].as<int64_t>();
}

// ---- fines -----------------------------------------------------------------------------------

v1::Fine FineRow::to_proto() const {
  v1::Fine out;
  out.set_fine_id(fine_id);
  out.set_project_id(project_id);
  out.set_ticket_id(ticket_id);
  out.set_fault_party(
      domain::parse_public_name<v1::FaultParty>(fault_party).value_or(v1::FAULT_PARTY_UNSPECIFIED));
  out.set_party_id(party_id);
  out.set_level(level);
  out.set_amount_fen(amount_fen);
  *out.mutable_recorded_at() = timestamp_from_us(recorded_at_us);
  return out;
}

bool insert_fine(pqxx::transaction_base& tx, const FineRow& f) {
  return !kit::exec_prepared(tx, "billing_insert_fine", kInsertFine, f.fine_id, f.project_id,
                             f.ticket_id, f.level, f.fault_party, f.party_id, f.amount_fen,
                             f.reason, f.source_event_id)
              .empty();
}

std::vector<FineRow> list_fines(pqxx::transaction_base& tx, const std::string& project_id,
                                const std::string& party_id, const std::string& period) {
  std::vector<FineRow> out;
  for (const auto& row : tx.exec_params(kListFines, project_id, party_id, period)) {
    out.push_back(fine_from(row));
  }
  return out;
}

// ---- read models -----------------------------------------------------------------------------

std::vector<OutstandingRow> outstanding_invoices(pqxx::transaction_base& tx,
                                                 const std::string& project_id,
                                                 const std::string& unit_id) {
  std::vector<OutstandingRow> out;
  for (const auto& r : tx.exec_params(kOutstandingInvoices, project_id, unit_id)) {
    out.push_back({r["unit_id"].as<std::string>(), r["owner_id"].as<std::string>(),
                   r["period"].as<std::string>(),
                   domain::parse_day(r["due_date"].as<std::string>()).value(),
                   r["outstanding"].as<int64_t>(), r["building"].as<std::string>(),
                   r["room"].as<std::string>(), r["phone"].as<std::string>()});
  }
  return out;
}

std::vector<CollectionRow> collection_rows(pqxx::transaction_base& tx,
                                           const std::string& project_id, const std::string& period,
                                           int64_t as_of_us) {
  std::vector<CollectionRow> out;
  for (const auto& r : tx.exec_params(kCollectionRows, project_id, period, as_of_us)) {
    out.push_back({r[0].as<int64_t>(), r[1].as<int64_t>()});
  }
  return out;
}

ReportFigures report_figures(pqxx::transaction_base& tx, const std::string& project_id,
                             absl::CivilDay first, absl::CivilDay last, int64_t from_us,
                             int64_t to_us) {
  return group_report_figures(tx, {{project_id, from_us, to_us}}, first, last)[project_id];
}

std::map<std::string, ReportFigures> group_report_figures(pqxx::transaction_base& tx,
                                                          const std::vector<ReportWindow>& windows,
                                                          absl::CivilDay first,
                                                          absl::CivilDay last) {
  std::map<std::string, ReportFigures> out;
  kit::ReportWindows arrays(windows, &ReportWindow::from_us, &ReportWindow::to_us, out);
  if (arrays.empty()) return out;
  const std::string id_array = arrays.project_ids(), from_array = arrays.froms(),
                    to_array = arrays.tos();
  const std::string first_text = domain::format_day(first), last_text = domain::format_day(last);
  // b(project_id, f, t): the projects and their instants; $1-$3 in every statement.
  const std::string b =
      "WITH b AS (SELECT project_id, billing_ts(f) AS f, billing_ts(t) AS t FROM "
      "unnest($1::text[], $2::bigint[], $3::bigint[]) AS w(project_id, f, t)) ";
  for (const auto& r :
       tx.exec_params(b + R"(SELECT b.project_id, coalesce(sum(i.amount_fen), 0)::bigint,
           coalesce(sum(i.paid_fen), 0)::bigint
         FROM b JOIN invoices i ON i.project_id = b.project_id
         WHERE i.kind = 'property_fee' AND i.payer = 'owner' AND i.status <> 'void'
           AND i.due_date BETWEEN $4::date AND $5::date
         GROUP BY b.project_id)",
                      id_array, from_array, to_array, first_text, last_text)) {
    ReportFigures& f = out[r[0].as<std::string>()];
    f.fee_billed_fen = r[1].as<int64_t>();
    f.fee_collected_fen = r[2].as<int64_t>();
  }
  for (const auto& r : tx.exec_params(
           b + R"(SELECT b.project_id, coalesce(sum(i.amount_fen - i.paid_fen), 0)::bigint
         FROM b JOIN invoices i ON i.project_id = b.project_id
         WHERE i.payer = 'owner' AND i.status <> 'void' AND i.due_date <= $4::date
          
         GROUP BY b.project_id)",
           id_array, from_array, to_array, last_text)) {
    out[r[0].as<std::string>()].arrears_fen = r[1].as<int64_t>();
  }
  for (const auto& r : tx.exec_params(b + R"(SELECT b.project_id,
           coalesce(sum(i.amount_fen) FILTER (WHERE i.kind = 'paid_repair'), 0)::bigint,
           coalesce(sum(i.amount_fen) FILTER (WHERE i.kind = 'paid_service'), 0)::bigint
         FROM b JOIN invoices i ON i.project_id = b.project_id
         WHERE i.kind IN ('paid_repair', 'paid_service') AND i.status <> 'void'
           AND i.issued_at >= b.f AND i.issued_at < b.t
         GROUP BY b.project_id)",
                                      id_array, from_array, to_array)) {
    ReportFigures& f = out[r[0].as<std::string>()];
    f.paid_repair_fen = r[1].as<int64_t>();
    f.paid_service_fen = r[2].as<int64_t>();
  }
  add_window_sums(tx, b + R"(SELECT b.project_id, coalesce(sum(w.cost_fen), 0)::bigint
         FROM b JOIN warranty_costs w ON w.project_id = b.project_id
         WHERE coalesce(w.signed_off_at, w.recorded_at) >= b.f
           AND coalesce(w.signed_off_at, w.recorded_at) < b.t
         GROUP BY b.project_id)",
                  id_array, from_array, to_array, &ReportFigures::warranty_cost_fen, out);
  add_window_sums(tx, b + R"(SELECT b.project_id, coalesce(sum(c.amount_fen), 0)::bigint
         FROM b JOIN chargebacks c ON c.project_id = b.project_id
         WHERE c.deducted_at >= b.f AND c.deducted_at < b.t
         GROUP BY b.project_id)",
                  id_array, from_array, to_array, &ReportFigures::chargebacks_fen, out);
  add_window_sums(tx, b + R"(SELECT b.project_id, coalesce(sum(x.amount_fen), 0)::bigint
         FROM b JOIN fines x ON x.project_id = b.project_id
         WHERE x.recorded_at >= b.f AND x.recorded_at < b.t
         GROUP BY b.project_id)",
                  id_array, from_array, to_array, &ReportFigures::fines_fen, out);
  for (const auto& r :
       tx.exec_params(b + R"(SELECT b.project_id, coalesce(sum(s.total_fen - s.paid_fen), 0)::bigint
         FROM b JOIN settlements s ON s.project_id = b.project_id
         WHERE s.period <= $4
         GROUP BY b.project_id)",
                      id_array, from_array, to_array, domain::period_of(last).to_string())) {
    out[r[0].as<std::string>()].settlement_outstanding_fen = r[1].as<int64_t>();
  }
  add_decoration_figures(tx, b, id_array, from_array, to_array, out);
  return out;
}

std::vector<std::pair<std::string, std::string>> project_timezones(
    pqxx::transaction_base& tx, const std::vector<std::string>& only, bool all) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r :
       tx.exec_params("SELECT k.project_id, coalesce(p.timezone, '') FROM ("
                      "  SELECT project_id FROM billing_projects "
                      "  UNION SELECT DISTINCT project_id FROM units) k "
                      "LEFT JOIN billing_projects p USING (project_id) "
                      "WHERE $1 OR k.project_id = ANY($2::text[]) ORDER BY k.project_id",
                      all, kit::text_array(only)))
    out.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
  return out;
}

}  // namespace aftercare::billing::store
