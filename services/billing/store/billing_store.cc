#include "billing/store/billing_store.h"
#include "billing/store/decoration_store.h"

#include <map>
#include <stdexcept>

#include "billing/domain/names.h"
#include "common/pg.h"
#include "common/sql_array.h"
#include "common/time.h"

namespace aftercare::billing::store {

using kit::text_array;

namespace v1 = aftercare::v1;

namespace {

// ---- SQL -------------------------------------------------------------------------------------

constexpr const char* kLoadProject = R"(
  SELECT timezone, reminder_days_before_due, service_due_days, aging_bound_1, aging_bound_2,
         aging_bound_3
  FROM billing_projects WHERE project_id = $1)";
constexpr const char* kUpsertProjectTimezone = R"(
  INSERT INTO billing_projects (project_id, timezone) VALUES ($1, $2)
  ON CONFLICT (project_id) DO UPDATE SET timezone = EXCLUDED.timezone, updated_at = now())";
constexpr const char* kUpsertProjectReminderDays = R"(
  INSERT INTO billing_projects (project_id, reminder_days_before_due) VALUES ($1, $2)
  ON CONFLICT (project_id) DO UPDATE
  SET reminder_days_before_due = EXCLUDED.reminder_days_before_due, updated_at = now())";

// A later event wins; an older one redelivered out of order changes nothing.
constexpr const char* kUpsertUnit = R"(
  INSERT INTO units (unit_id, project_id, building, room, area_centi_m2, owner_id,
                     owner_phone_masked, handover_date, source_event_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, billing_ts($9))
  ON CONFLICT (unit_id) DO UPDATE SET
    project_id = EXCLUDED.project_id, building = EXCLUDED.building, room = EXCLUDED.room,
    area_centi_m2 = EXCLUDED.area_centi_m2, owner_id = EXCLUDED.owner_id,
    owner_phone_masked = EXCLUDED.owner_phone_masked, handover_date = EXCLUDED.handover_date,
    source_event_at = EXCLUDED.source_event_at, updated_at = now()
  WHERE units.source_event_at <= EXCLUDED.source_event_at)";
#define UNIT_COLUMNS                                                                   \
  "unit_id, project_id, building, room, area_centi_m2, owner_id, owner_phone_masked, " \
  "to_char(handover_date, 'YYYY-MM-DD') AS handover_date"
constexpr const char* kFindUnit = "SELECT " UNIT_COLUMNS " FROM units WHERE unit_id = $1";
constexpr const char* kProjectOfUnit = R"(
  SELECT project_id FROM units WHERE unit_id = $1
  UNION ALL SELECT project_id FROM invoices WHERE unit_id = $1 LIMIT 1)";
constexpr const char* kProjectUnits =
    "SELECT " UNIT_COLUMNS " FROM units WHERE project_id = $1 ORDER BY unit_id";

#define FEE_RATE_COLUMNS                                                            \
  "project_id, effective_from, fen_per_m2_month, due_day, prorate_handover_month, " \
  "billing_cycle, billing_us(updated_at) AS updated_at_us"
constexpr const char* kUpsertFeeRate = R"(
  INSERT INTO fee_rates (project_id, effective_from, fen_per_m2_month, due_day,
                         prorate_handover_month, set_by)
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (project_id, effective_from) DO UPDATE SET
    fen_per_m2_month = EXCLUDED.fen_per_m2_month, due_day = EXCLUDED.due_day,
    prorate_handover_month = EXCLUDED.prorate_handover_month, set_by = EXCLUDED.set_by,
    updated_at = now()
  RETURNING )" FEE_RATE_COLUMNS;
constexpr const char* kRateFor = "SELECT " FEE_RATE_COLUMNS R"( FROM fee_rates
  WHERE project_id = $1 AND effective_from <= $2 ORDER BY effective_from DESC LIMIT 1)";

#define INVOICE_COLUMNS                                                                           \
  "invoice_id::text AS invoice_id, project_id, unit_id, owner_id, payer, kind, period, "          \
  "source_id, description, amount_fen, paid_fen, to_char(due_date, 'YYYY-MM-DD') AS due_date, "   \
  "status, area_centi_m2, fen_per_m2_month, coalesce(settlement_id::text, '') AS settlement_id, " \
  "reminder_sent_at IS NOT NULL AS reminder_sent, overdue_at IS NOT NULL AS overdue_noticed, "    \
  "billing_us(issued_at) AS issued_at_us, billing_us(updated_at) AS updated_at_us"
constexpr const char* kInsertInvoice = R"(
  INSERT INTO invoices (invoice_id, project_id, unit_id, owner_id, payer, kind, period, source_id,
                        description, amount_fen, due_date, status, area_centi_m2,
                        fen_per_m2_month, issued_by)
  VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::date, $12, $13::bigint,
          $14::bigint, $15)
  ON CONFLICT DO NOTHING
  RETURNING billing_us(issued_at))";
constexpr const char* kInsertLine = R"(
  INSERT INTO invoice_lines (invoice_id, line_no, kind, description, source_id, amount_fen,
                             area_centi_m2, fen_per_m2_month, billed_days, days_in_month)
  VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::bigint, $8::bigint, $9::integer, $10::integer))";
constexpr const char* kGetInvoice =
    "SELECT " INVOICE_COLUMNS " FROM invoices WHERE invoice_id = $1::uuid";
constexpr const char* kGetInvoiceForUpdate =
    "SELECT " INVOICE_COLUMNS " FROM invoices WHERE invoice_id = $1::uuid FOR UPDATE";
constexpr const char* kFindFeeInvoice =
    "SELECT " INVOICE_COLUMNS
    " FROM invoices WHERE unit_id = $1 AND period = $2 AND kind = 'property_fee'";
constexpr const char* kFindSourceInvoice =
    "SELECT " INVOICE_COLUMNS " FROM invoices WHERE unit_id = $1 AND kind = $2 AND source_id = $3";
constexpr const char* kFeeInvoices = "SELECT " INVOICE_COLUMNS R"( FROM invoices
  WHERE project_id = $1 AND period = $2 AND kind = 'property_fee' ORDER BY unit_id)";
constexpr const char* kLinesOf = R"(
  SELECT invoice_id::text AS invoice_id, line_no, kind, description, source_id, amount_fen,
         area_centi_m2, fen_per_m2_month, billed_days, days_in_month
  FROM invoice_lines WHERE invoice_id = ANY($1::uuid[]) ORDER BY invoice_id, line_no)";
constexpr const char* kListInvoices = "SELECT " INVOICE_COLUMNS R"( FROM invoices
  WHERE ($1 = '' OR project_id = $1)
    AND ($2 = '' OR unit_id = $2)
    AND ($3 = '' OR period = $3)
    AND ($4 = '' OR status = $4)
    AND ($5 = '' OR kind = $5)
    AND (cardinality($6::text[]) = 0 OR project_id = ANY($6::text[]))
    AND (cardinality($7::text[]) = 0 OR unit_id = ANY($7::text[]))
    AND (NOT $8 OR payer = 'owner')
    AND (billing_us(issued_at), invoice_id::text) > ($9, $10)
  ORDER BY issued_at, invoice_id::text LIMIT $11)";
constexpr const char* kUpdateInvoiceAmounts = R"(
  UPDATE invoices SET paid_fen = $2, status = $3, updated_at = now()
  WHERE invoice_id = $1::uuid)";
constexpr const char* kMarkVoid = R"(
  UPDATE invoices SET status = 'void', void_reason = $2, updated_at = now()
  WHERE invoice_id = $1::uuid)";

#define PAYMENT_COLUMNS                                                                       \
  "p.payment_id::text AS payment_id, p.receipt_no, p.invoice_id::text AS invoice_id, "        \
  "p.project_id, p.unit_id, p.amount_fen, p.reference, billing_us(p.paid_at) AS paid_at_us, " \
  "billing_us(p.recorded_at) AS recorded_at_us, "                                             \
  "coalesce((SELECT sum(r.amount_fen) FROM refunds r WHERE r.payment_id = p.payment_id), 0) " \
  "AS refunded_fen"
constexpr const char* kFindPaymentByReference =
    "SELECT " PAYMENT_COLUMNS " FROM payments p WHERE p.reference = $1";
constexpr const char* kGetPayment =
    "SELECT " PAYMENT_COLUMNS " FROM payments p WHERE p.payment_id = $1::uuid";
constexpr const char* kInsertPayment = R"(
  INSERT INTO payments (payment_id, receipt_no, invoice_id, project_id, unit_id, amount_fen,
                        reference, paid_at, recorded_by)
  VALUES ($1::uuid, 'R' || lpad(nextval('receipt_numbers')::text, 8, '0'), $2::uuid, $3, $4, $5,
          $6, billing_ts($7), $8)
  ON CONFLICT (reference) DO NOTHING
  RETURNING receipt_no, billing_us(recorded_at))";
constexpr const char* kFindRefundByReference = R"(
  SELECT refund_id::text, payment_id::text, invoice_id::text, amount_fen, reason, refund_reference
  FROM refunds WHERE refund_reference = $1)";
constexpr const char* kInsertRefund = R"(
  INSERT INTO refunds (refund_id, payment_id, invoice_id, amount_fen, reason, refund_reference,
                       recorded_by)
  VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7)
  ON CONFLICT (refund_reference) DO NOTHING RETURNING 1)";

// Issue 21: a posting's transaction and its entries (in their order) in one statement; nothing
// when the (kind, source_id) is posted already. $5 accounts, $6 amounts (text[]).
constexpr const char* kPost = R"(
  WITH t AS (
    INSERT INTO ledger_transactions (project_id, kind, source_id, memo) VALUES ($1, $2, $3, $4)
    ON CONFLICT (kind, source_id) DO NOTHING RETURNING txn_id),
  e AS (
    INSERT INTO ledger_entries (txn_id, account, amount_fen)
    SELECT t.txn_id, x.account, x.amount::bigint
    FROM t, unnest($5::text[], $6::text[]) WITH ORDINALITY AS x(account, amount, n)
    ORDER BY x.n)
  SELECT txn_id FROM t)";
constexpr const char* kTrialBalanceAccounts = R"(
  SELECT e.account, sum(e.amount_fen)::bigint
  FROM ledger_entries e JOIN ledger_transactions t USING (txn_id)
  WHERE $1 = '' OR t.project_id = $1
  GROUP BY e.account ORDER BY e.account)";
constexpr const char* kTrialBalanceTotals = R"(
  SELECT coalesce(sum(e.amount_fen) FILTER (WHERE e.amount_fen > 0), 0)::bigint,
         coalesce(-sum(e.amount_fen) FILTER (WHERE e.amount_fen < 0), 0)::bigint,
         count(DISTINCT t.txn_id)
  FROM ledger_entries e JOIN ledger_transactions t USING (txn_id)
  WHERE $1 = '' OR t.project_id = $1)";
constexpr const char* kUnbalancedTransactions = R"(
  SELECT count(*) FROM (
    SELECT t.txn_id FROM ledger_transactions t LEFT JOIN ledger_entries e USING (txn_id)
    WHERE $1 = '' OR t.project_id = $1
    GROUP BY t.txn_id HAVING coalesce(sum(e.amount_fen), 0) <> 0 OR count(e.entry_id) < 2) u)";

// Candidates on each project's local day at $1: a reminder within the lead days up to the due
// date, or an overdue notice after it. Matches domain::sweep_action, which decides per row.
constexpr const char* kSweepCandidates = "SELECT " INVOICE_COLUMNS R"(,
         to_char(d.today, 'YYYY-MM-DD') AS today, d.reminder_days
  FROM invoices
  LEFT JOIN LATERAL (
    SELECT bp.timezone, bp.reminder_days_before_due FROM billing_projects bp
    WHERE bp.project_id = invoices.project_id) p ON true
  CROSS JOIN LATERAL (
    SELECT (billing_ts($1) AT TIME ZONE coalesce(p.timezone, 'Asia/Shanghai'))::date AS today,
           coalesce(p.reminder_days_before_due, 3) AS reminder_days) d
  WHERE invoices.status IN ('open', 'partially_paid') AND invoices.payer = 'owner'
    AND invoices.paid_fen < invoices.amount_fen
    AND ((invoices.overdue_at IS NULL AND invoices.due_date < d.today)
      OR (invoices.reminder_sent_at IS NULL AND invoices.due_date >= d.today
          AND invoices.due_date - d.reminder_days <= d.today))
  ORDER BY invoices.due_date, invoices.invoice_id
  LIMIT $2
  FOR UPDATE OF invoices SKIP LOCKED)";
constexpr const char* kMarkReminded = R"(
  UPDATE invoices SET reminder_sent_at = now(), updated_at = now()
  WHERE invoice_id = $1::uuid)";
constexpr const char* kMarkOverdue = R"(
  UPDATE invoices SET overdue_at = now(), status = 'overdue', updated_at = now()
  WHERE invoice_id = $1::uuid)";

// ---- helpers ---------------------------------------------------------------------------------

std::optional<int64_t> opt_int64(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

std::optional<int> opt_int(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int>();
}

// A nullable number as a bound parameter: nullptr or its text.
struct NullableNumber {
  explicit NullableNumber(std::optional<int64_t> v) : text(v ? std::to_string(*v) : "") {}
  const char* param() const { return text.empty() ? nullptr : text.c_str(); }
  std::string text;
};

UnitRow unit_from(const pqxx::row& r) {
  UnitRow u;
  u.unit_id = r["unit_id"].as<std::string>();
  u.project_id = r["project_id"].as<std::string>();
  u.building = r["building"].as<std::string>();
  u.room = r["room"].as<std::string>();
  u.area_centi_m2 = r["area_centi_m2"].as<int64_t>();
  u.owner_id = r["owner_id"].as<std::string>();
  u.owner_phone_masked = r["owner_phone_masked"].as<std::string>();
  if (!r["handover_date"].is_null()) {
    u.handover_date = domain::parse_day(r["handover_date"].as<std::string>());
  }
  return u;
}

FeeRateRow fee_rate_from(const pqxx::row& r) {
  FeeRateRow f;
  f.project_id = r["project_id"].as<std::string>();
  f.effective_from = r["effective_from"].as<std::string>();
  f.fen_per_m2_month = r["fen_per_m2_month"].as<int64_t>();
  f.due_day = r["due_day"].as<int>();
  f.prorate_handover_month = r["prorate_handover_month"].as<bool>();
  f.billing_cycle = r["billing_cycle"].as<std::string>();
  f.updated_at_us = r["updated_at_us"].as<int64_t>();
  return f;
}

InvoiceRow invoice_from(const pqxx::row& r) {
  InvoiceRow i;
  i.invoice_id = r["invoice_id"].as<std::string>();
  i.project_id = r["project_id"].as<std::string>();
  i.unit_id = r["unit_id"].as<std::string>();
  i.owner_id = r["owner_id"].as<std::string>();
  i.payer = r["payer"].as<std::string>();
  i.kind = r["kind"].as<std::string>();
  i.period = r["period"].as<std::string>();
  i.source_id = r["source_id"].as<std::string>();
  i.description = r["description"].as<std::string>();
  i.amount_fen = r["amount_fen"].as<int64_t>();
  i.paid_fen = r["paid_fen"].as<int64_t>();
  i.due_date = domain::parse_day(r["due_date"].as<std::string>()).value();
  i.status = r["status"].as<std::string>();
  i.area_centi_m2 = opt_int64(r["area_centi_m2"]);
  i.fen_per_m2_month = opt_int64(r["fen_per_m2_month"]);
  i.settlement_id = r["settlement_id"].as<std::string>();
  i.reminder_sent = r["reminder_sent"].as<bool>();
  i.overdue_noticed = r["overdue_noticed"].as<bool>();
  i.issued_at_us = r["issued_at_us"].as<int64_t>();
  i.updated_at_us = r["updated_at_us"].as<int64_t>();
  return i;
}

PaymentRow payment_from(const pqxx::row& r) {
  PaymentRow p;
  p.payment_id = r["payment_id"].as<std::string>();
  p.receipt_no = r["receipt_no"].as<std::string>();
  p.invoice_id = r["invoice_id"].as<std::string>();
  p.project_id = r["project_id"].as<std::string>();
  p.unit_id = r["unit_id"].as<std::string>();
  p.amount_fen = r["amount_fen"].as<int64_t>();
  p.reference = r["reference"].as<std::string>();
  p.paid_at_us = r["paid_at_us"].as<int64_t>();
  p.recorded_at_us = r["recorded_at_us"].as<int64_t>();
  p.refunded_fen = r["refunded_fen"].as<int64_t>();
  return p;
}

std::optional<InvoiceRow> one_invoice(const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  return invoice_from(r[0]);
}

}  // namespace

// ---- conversions -----------------------------------------------------------------------------

google::protobuf::Timestamp timestamp_from_us(int64_t us) {
  return kit::to_timestamp(kit::from_micros(us));
}

int64_t us_from_timestamp(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

v1::Event envelope(const std::string& project_id, const std::string& aggregate_id) {
  v1::Event e;
  e.set_project_id(project_id);
  e.set_aggregate_id(aggregate_id);
  return e;
}

// ---- projects --------------------------------------------------------------------------------

ProjectSettings load_project(pqxx::transaction_base& tx, const std::string& project_id) {
  ProjectSettings s;
  s.project_id = project_id;
  auto r = kit::exec_prepared(tx, "billing_load_project", kLoadProject, project_id);
  if (!r.empty()) {
    s.timezone_name = r[0][0].as<std::string>();
    s.policy.reminder_days_before_due = r[0][1].as<int>();
    s.policy.service_due_days = r[0][2].as<int>();
    s.policy.aging_bound_1 = r[0][3].as<int>();
    s.policy.aging_bound_2 = r[0][4].as<int>();
    s.policy.aging_bound_3 = r[0][5].as<int>();
  }
  if (!absl::LoadTimeZone(s.timezone_name, &s.zone)) {
    s.timezone_name = "Asia/Shanghai";
    absl::LoadTimeZone(s.timezone_name, &s.zone);
  }
  return s;
}

void upsert_project_timezone(pqxx::transaction_base& tx, const std::string& project_id,
                             const std::string& timezone) {
  tx.exec_params(kUpsertProjectTimezone, project_id, timezone);
}

void upsert_project_reminder_days(pqxx::transaction_base& tx, const std::string& project_id,
                                  int reminder_days) {
  tx.exec_params(kUpsertProjectReminderDays, project_id, reminder_days);
}

// ---- units -----------------------------------------------------------------------------------

void upsert_unit(pqxx::transaction_base& tx, const std::string& project_id,
                 const v1::UnitUpserted& unit, absl::Time occurred_at) {
  std::string handover;
  if (auto day = domain::day_from_proto(unit.handover_date())) handover = domain::format_day(*day);
  tx.exec_params(kUpsertUnit, unit.unit_id(), project_id, unit.building(), unit.room(),
                 unit.area_centi_m2(), unit.owner_id(), unit.owner_phone_masked(),
                 kit::nullable(handover), absl::ToUnixMicros(occurred_at));
}

std::optional<UnitRow> find_unit(pqxx::transaction_base& tx, const std::string& unit_id) {
  auto r = tx.exec_params(kFindUnit, unit_id);
  if (r.empty()) return std::nullopt;
  return unit_from(r[0]);
}

std::optional<std::string> project_of_unit(pqxx::transaction_base& tx, const std::string& unit_id) {
  auto r = tx.exec_params(kProjectOfUnit, unit_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::vector<UnitRow> project_units(pqxx::transaction_base& tx, const std::string& project_id) {
  std::vector<UnitRow> out;
  for (const auto& row : tx.exec_params(kProjectUnits, project_id)) out.push_back(unit_from(row));
  return out;
}

// ---- fee rates -------------------------------------------------------------------------------

v1::FeeRate FeeRateRow::to_proto() const {
  v1::FeeRate out;
  out.set_project_id(project_id);
  out.set_fen_per_m2_month(fen_per_m2_month);
  out.set_due_day(due_day);
  if (auto p = domain::parse_period(effective_from)) *out.mutable_effective_from() = p->to_proto();
  *out.mutable_updated_at() = timestamp_from_us(updated_at_us);
  out.set_prorate_handover_month(prorate_handover_month);
  out.set_billing_cycle(billing_cycle);
  return out;
}

FeeRateRow upsert_fee_rate(pqxx::transaction_base& tx, const FeeRateRow& rate,
                           const std::string& set_by) {
  auto r =
      tx.exec_params1(kUpsertFeeRate, rate.project_id, rate.effective_from, rate.fen_per_m2_month,
                      rate.due_day, rate.prorate_handover_month, set_by);
  return fee_rate_from(r);
}

std::optional<FeeRateRow> rate_for(pqxx::transaction_base& tx, const std::string& project_id,
                                   const std::string& period) {
  auto r = tx.exec_params(kRateFor, project_id, period);
  if (r.empty()) return std::nullopt;
  return fee_rate_from(r[0]);
}

// ---- invoices --------------------------------------------------------------------------------

v1::InvoiceKind InvoiceRow::kind_enum() const {
  return domain::parse_public_name<v1::InvoiceKind>(kind).value_or(v1::INVOICE_KIND_UNSPECIFIED);
}

v1::InvoicePayer InvoiceRow::payer_enum() const {
  return domain::parse_public_name<v1::InvoicePayer>(payer).value_or(v1::INVOICE_PAYER_UNSPECIFIED);
}

domain::InvoiceState InvoiceRow::state() const {
  domain::InvoiceState s;
  s.amount_fen = amount_fen;
  s.paid_fen = paid_fen;
  s.voided = status == "void";
  s.payer = payer_enum();
  s.due_date = due_date;
  s.reminder_sent = reminder_sent;
  s.overdue_noticed = overdue_noticed;
  return s;
}

v1::Invoice InvoiceRow::to_proto() const {
  v1::Invoice out;
  out.set_invoice_id(invoice_id);
  out.set_unit_id(unit_id);
  if (auto p = domain::parse_period(period)) *out.mutable_period() = p->to_proto();
  out.set_amount_fen(amount_fen);
  out.set_paid_fen(paid_fen);
  *out.mutable_due_date() = domain::to_proto_date(due_date);
  out.set_status(domain::parse_public_name<v1::InvoiceStatus>(status).value_or(
      v1::INVOICE_STATUS_UNSPECIFIED));
  out.set_project_id(project_id);
  out.set_owner_id(owner_id);
  out.set_kind(kind_enum());
  out.set_source_id(source_id);
  out.set_description(description);
  out.set_area_centi_m2(area_centi_m2.value_or(0));
  out.set_fen_per_m2_month(fen_per_m2_month.value_or(0));
  *out.mutable_issued_at() = timestamp_from_us(issued_at_us);
  *out.mutable_updated_at() = timestamp_from_us(updated_at_us);
  out.set_payer(payer_enum());
  for (const auto& l : lines) {
    auto* line = out.add_lines();
    line->set_line_no(l.line_no);
    line->set_kind(domain::parse_public_name<v1::InvoiceLineKind>(l.kind).value_or(
        v1::INVOICE_LINE_KIND_UNSPECIFIED));
    line->set_description(l.description);
    line->set_source_id(l.source_id);
    line->set_amount_fen(l.amount_fen);
    line->set_area_centi_m2(l.area_centi_m2.value_or(0));
    line->set_fen_per_m2_month(l.fen_per_m2_month.value_or(0));
    line->set_billed_days(l.billed_days.value_or(0));
    line->set_days_in_month(l.days_in_month.value_or(0));
  }
  out.set_outstanding_fen(status == "void" ? 0 : amount_fen - paid_fen);
  out.set_settlement_id(settlement_id);
  if (deposit) *out.mutable_deposit() = *deposit;
  return out;
}

bool insert_invoice(pqxx::transaction_base& tx, const InvoiceRow& i, const std::string& issued_by) {
  NullableNumber area(i.area_centi_m2), rate(i.fen_per_m2_month);
  auto r = tx.exec_params(kInsertInvoice, i.invoice_id, i.project_id, i.unit_id, i.owner_id,
                          i.payer, i.kind, i.period, i.source_id, i.description, i.amount_fen,
                          domain::format_day(i.due_date), i.status, area.param(), rate.param(),
                          issued_by);
  if (r.empty()) return false;
  for (const auto& l : i.lines) {
    NullableNumber l_area(l.area_centi_m2), l_rate(l.fen_per_m2_month);
    NullableNumber days(l.billed_days ? std::optional<int64_t>(*l.billed_days) : std::nullopt);
    NullableNumber month(l.days_in_month ? std::optional<int64_t>(*l.days_in_month) : std::nullopt);
    tx.exec_params(kInsertLine, i.invoice_id, l.line_no, l.kind, l.description, l.source_id,
                   l.amount_fen, l_area.param(), l_rate.param(), days.param(), month.param());
  }
  return true;
}

std::optional<InvoiceRow> get_invoice(pqxx::transaction_base& tx, const std::string& invoice_id,
                                      bool for_update) {
  auto r = tx.exec_params(for_update ? kGetInvoiceForUpdate : kGetInvoice, invoice_id);
  auto invoice = one_invoice(r);
  if (invoice) {
    std::vector<InvoiceRow> one{*invoice};
    load_lines(tx, one);
    return one[0];
  }
  return invoice;
}

std::optional<InvoiceRow> find_fee_invoice(pqxx::transaction_base& tx, const std::string& unit_id,
                                           const std::string& period) {
  return one_invoice(tx.exec_params(kFindFeeInvoice, unit_id, period));
}

std::optional<InvoiceRow> find_source_invoice(pqxx::transaction_base& tx,
                                              const std::string& unit_id, const std::string& kind,
                                              const std::string& source_id) {
  return one_invoice(tx.exec_params(kFindSourceInvoice, unit_id, kind, source_id));
}

std::vector<InvoiceRow> fee_invoices(pqxx::transaction_base& tx, const std::string& project_id,
                                     const std::string& period) {
  std::vector<InvoiceRow> out;
  for (const auto& row : tx.exec_params(kFeeInvoices, project_id, period)) {
    out.push_back(invoice_from(row));
  }
  return out;
}

void load_lines(pqxx::transaction_base& tx, std::vector<InvoiceRow>& invoices) {
  if (invoices.empty()) return;
  for (auto& i : invoices) i.lines.clear();
  kit::RowsById<InvoiceRow> by_id(invoices, [](const InvoiceRow& i) { return i.invoice_id; });
  for (const auto& r : tx.exec_params(kLinesOf, by_id.ids())) {
    InvoiceLineRow l;
    l.line_no = r["line_no"].as<int>();
    l.kind = r["kind"].as<std::string>();
    l.description = r["description"].as<std::string>();
    l.source_id = r["source_id"].as<std::string>();
    l.amount_fen = r["amount_fen"].as<int64_t>();
    l.area_centi_m2 = opt_int64(r["area_centi_m2"]);
    l.fen_per_m2_month = opt_int64(r["fen_per_m2_month"]);
    l.billed_days = opt_int(r["billed_days"]);
    l.days_in_month = opt_int(r["days_in_month"]);
    if (InvoiceRow* i = by_id.find(r["invoice_id"].as<std::string>()))
      i->lines.push_back(std::move(l));
  }
  load_deposits(tx, invoices);
}

std::vector<InvoiceRow> list_invoices(pqxx::transaction_base& tx, const InvoiceFilter& f) {
  std::vector<InvoiceRow> out;
  for (const auto& row :
       tx.exec_params(kListInvoices, f.project_id, f.unit_id, f.period, f.status, f.kind,
                      text_array(f.projects), text_array(f.units), f.owner_payer_only,
                      f.after_issued_us, f.after_id, f.limit)) {
    out.push_back(invoice_from(row));
  }
  load_lines(tx, out);
  return out;
}

void update_invoice_amounts(pqxx::transaction_base& tx, const std::string& invoice_id,
                            int64_t paid_fen, const std::string& status) {
  tx.exec_params(kUpdateInvoiceAmounts, invoice_id, paid_fen, status);
}

void mark_invoice_void(pqxx::transaction_base& tx, const std::string& invoice_id,
                       const std::string& reason) {
  tx.exec_params(kMarkVoid, invoice_id, reason);
}

// ---- payments and refunds --------------------------------------------------------------------

v1::Payment PaymentRow::to_proto() const {
  v1::Payment out;
  out.set_payment_id(payment_id);
  out.set_invoice_id(invoice_id);
  out.set_amount_fen(amount_fen);
  out.set_reference(reference);
  *out.mutable_paid_at() = timestamp_from_us(paid_at_us);
  out.set_refunded_fen(refunded_fen);
  *out.mutable_recorded_at() = timestamp_from_us(recorded_at_us);
  out.set_receipt_no(receipt_no);
  out.set_unit_id(unit_id);
  out.set_project_id(project_id);
  return out;
}

std::optional<PaymentRow> find_payment_by_reference(pqxx::transaction_base& tx,
                                                    const std::string& reference) {
  auto r = tx.exec_params(kFindPaymentByReference, reference);
  if (r.empty()) return std::nullopt;
  return payment_from(r[0]);
}

std::optional<PaymentRow> get_payment(pqxx::transaction_base& tx, const std::string& payment_id) {
  auto r = tx.exec_params(kGetPayment, payment_id);
  if (r.empty()) return std::nullopt;
  return payment_from(r[0]);
}

bool insert_payment(pqxx::transaction_base& tx, PaymentRow& p, const std::string& by) {
  auto r = tx.exec_params(kInsertPayment, p.payment_id, p.invoice_id, p.project_id, p.unit_id,
                          p.amount_fen, p.reference, p.paid_at_us, by);
  if (r.empty()) return false;
  p.receipt_no = r[0][0].as<std::string>();
  p.recorded_at_us = r[0][1].as<int64_t>();
  return true;
}

std::optional<RefundRow> find_refund_by_reference(pqxx::transaction_base& tx,
                                                  const std::string& refund_reference) {
  auto r = tx.exec_params(kFindRefundByReference, refund_reference);
  if (r.empty()) return std::nullopt;
  return RefundRow{r[0][0].as<std::string>(), r[0][1].as<std::string>(), r[0][2].as<std::string>(),
                   r[0][3].as<int64_t>(),     r[0][4].as<std::string>(), r[0][5].as<std::string>()};
}

bool insert_refund(pqxx::transaction_base& tx, const RefundRow& f, const std::string& by) {
  return !tx.exec_params(kInsertRefund, f.refund_id, f.payment_id, f.invoice_id, f.amount_fen,
                         f.reason, f.refund_reference, by)
              .empty();
}

// ---- ledger ----------------------------------------------------------------------------------

bool post(pqxx::transaction_base& tx, const domain::Posting& posting) {
  if (!posting.balanced()) {
    throw std::logic_error("unbalanced posting " + posting.kind + " " + posting.source_id);
  }
  std::vector<std::string> accounts, amounts;
  for (const auto& e : posting.entries) {
    accounts.push_back(e.account);
    amounts.push_back(std::to_string(e.amount_fen));
  }
  return !kit::exec_prepared(tx, "billing_post", kPost, posting.project_id, posting.kind,
                             posting.source_id, posting.memo, kit::text_array(accounts),
                             kit::text_array(amounts))
              .empty();
}

TrialBalance trial_balance(pqxx::transaction_base& tx, const std::string& project_id) {
  TrialBalance out;
  for (const auto& row : tx.exec_params(kTrialBalanceAccounts, project_id)) {
    out.accounts.emplace_back(row[0].as<std::string>(), row[1].as<int64_t>());
  }
  auto totals = tx.exec_params1(kTrialBalanceTotals, project_id);
  out.debits = totals[0].as<int64_t>();
  out.credits = totals[1].as<int64_t>();
  out.transactions = totals[2].as<int64_t>();
  out.unbalanced = tx.exec_params1(kUnbalancedTransactions, project_id)[0].as<int64_t>();
  return out;
}

// ---- sweeper ---------------------------------------------------------------------------------

std::vector<SweepCandidate> sweep_candidates(pqxx::transaction_base& tx, absl::Time now,
                                             int limit) {
  std::vector<SweepCandidate> out;
  for (const auto& row : tx.exec_params(kSweepCandidates, absl::ToUnixMicros(now), limit)) {
    out.push_back({invoice_from(row), domain::parse_day(row["today"].as<std::string>()).value(),
                   row["reminder_days"].as<int>()});
  }
  return out;
}

void mark_reminded(pqxx::transaction_base& tx, const std::string& invoice_id) {
  tx.exec_params(kMarkReminded, invoice_id);
}

void mark_overdue(pqxx::transaction_base& tx, const std::string& invoice_id) {
  tx.exec_params(kMarkOverdue, invoice_id);
}

}  // namespace aftercare::billing::store
