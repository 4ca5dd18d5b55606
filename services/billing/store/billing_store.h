// Persistence of billing: row types and the SQL that reads and writes them, all inside a
// caller's transaction. No business rules here (they are in domain/); idempotency is enforced
// by unique keys with ON CONFLICT DO NOTHING, and money rows are append-only (migration 001).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/billing.pb.h"
#include "aftercare/v1/events.pb.h"
#include "billing/domain/invoice.h"
#include "billing/domain/ledger.h"
#include "billing/domain/period.h"
#include "billing/domain/policy.h"

namespace aftercare::billing::store {

// ---- projects --------------------------------------------------------------------------------

struct ProjectSettings {
  std::string project_id;
  std::string timezone_name = "Asia/Shanghai";
  absl::TimeZone zone;
  domain::BillingPolicy policy;
};
// The project's settings, or the defaults when billing has not heard of it.
ProjectSettings load_project(pqxx::transaction_base& tx, const std::string& project_id);
void upsert_project_timezone(pqxx::transaction_base& tx, const std::string& project_id,
                             const std::string& timezone);
void upsert_project_reminder_days(pqxx::transaction_base& tx, const std::string& project_id,
                                  int reminder_days);

// ---- units (projection of intake.UnitUpserted) -----------------------------------------------

struct UnitRow {
  std::string unit_id;
  std::string project_id;
  std::string building;
  std::string room;
  int64_t area_centi_m2 = 0;
  std::string owner_id;
  std::string owner_phone_masked;
  std::optional<absl::CivilDay> handover_date;

  domain::UnitInfo info() const { return {unit_id, owner_id, area_centi_m2, handover_date}; }
};
// Applies the event unless a newer one was applied already (occurred_at order).
void upsert_unit(pqxx::transaction_base& tx, const std::string& project_id,
                 const aftercare::v1::UnitUpserted& unit, absl::Time occurred_at);
std::optional<UnitRow> find_unit(pqxx::transaction_base& tx, const std::string& unit_id);
std::optional<std::string> project_of_unit(pqxx::transaction_base& tx, const std::string& unit_id);
std::vector<UnitRow> project_units(pqxx::transaction_base& tx, const std::string& project_id);

// ---- fee rates -------------------------------------------------------------------------------

// effective_from "0000-01" = every period until a later dated rate.
inline constexpr const char* kAlwaysEffective = "0000-01";

struct FeeRateRow {
  std::string project_id;
  std::string effective_from;
  int64_t fen_per_m2_month = 0;
  int due_day = 1;
  bool prorate_handover_month = false;
  std::string billing_cycle;
  int64_t updated_at_us = 0;

  domain::FeeRateInfo info() const { return {fen_per_m2_month, due_day, prorate_handover_month}; }
  aftercare::v1::FeeRate to_proto() const;
};
FeeRateRow upsert_fee_rate(pqxx::transaction_base& tx, const FeeRateRow& rate,
                           const std::string& set_by);
// The rate in force for `period`: the latest effective_from <= period.
std::optional<FeeRateRow> rate_for(pqxx::transaction_base& tx, const std::string& project_id,
                                   const std::string& period);

// ---- invoices --------------------------------------------------------------------------------

struct InvoiceLineRow {
  int line_no = 1;
  std::string kind;
  std::string description;
  std::string source_id;
  int64_t amount_fen = 0;
  std::optional<int64_t> area_centi_m2;
  std::optional<int64_t> fen_per_m2_month;
  std::optional<int> billed_days;
  std::optional<int> days_in_month;
};

struct InvoiceRow {
  std::string invoice_id;
  std::string project_id;
  std::string unit_id;
  std::string owner_id;
  std::string payer;  // owner | developer
  std::string kind;   // property_fee | paid_repair | paid_service | decoration_*
  std::string period;
  std::string source_id;
  std::string description;
  int64_t amount_fen = 0;
  int64_t paid_fen = 0;
  absl::CivilDay due_date;
  std::string status;
  std::optional<int64_t> area_centi_m2;
  std::optional<int64_t> fen_per_m2_month;
  std::string settlement_id;
  bool reminder_sent = false;
  bool overdue_noticed = false;
  int64_t issued_at_us = 0;
  int64_t updated_at_us = 0;
  std::vector<InvoiceLineRow> lines;
  std::optional<aftercare::v1::DecorationDeposit> deposit;  // decoration_deposit invoices

  aftercare::v1::InvoiceKind kind_enum() const;
  aftercare::v1::InvoicePayer payer_enum() const;
  domain::InvoiceState state() const;
  aftercare::v1::Invoice to_proto() const;
};

// Inserts the invoice and its lines unless its key exists (property fee: unit+period;
// otherwise unit+kind+source_id). Returns false when it existed: nothing was written.
bool insert_invoice(pqxx::transaction_base& tx, const InvoiceRow& invoice,
                    const std::string& issued_by);
std::optional<InvoiceRow> get_invoice(pqxx::transaction_base& tx, const std::string& invoice_id,
                                      bool for_update = false);
std::optional<InvoiceRow> find_fee_invoice(pqxx::transaction_base& tx, const std::string& unit_id,
                                           const std::string& period);
std::optional<InvoiceRow> find_source_invoice(pqxx::transaction_base& tx,
                                              const std::string& unit_id, const std::string& kind,
                                              const std::string& source_id);
// Property-fee invoices of a project and period, by unit.
std::vector<InvoiceRow> fee_invoices(pqxx::transaction_base& tx, const std::string& project_id,
                                     const std::string& period);
// Fills `lines` of each invoice (and `deposit` of decoration deposits).
void load_lines(pqxx::transaction_base& tx, std::vector<InvoiceRow>& invoices);

struct InvoiceFilter {
  std::string project_id;             // "" = any
  std::string unit_id;                // "" = any
  std::string period;                 // "" = any
  std::string status;                 // "" = any
  std::string kind;                   // "" = any
  std::vector<std::string> projects;  // scope: allowed projects; empty = all
  std::vector<std::string> units;     // scope: allowed units; empty = all
  bool owner_payer_only = false;      // owners see only what they pay
  int64_t after_issued_us = -1;       // cursor
  std::string after_id;
  int limit = 50;
};
std::vector<InvoiceRow> list_invoices(pqxx::transaction_base& tx, const InvoiceFilter& filter);

void update_invoice_amounts(pqxx::transaction_base& tx, const std::string& invoice_id,
                            int64_t paid_fen, const std::string& status);
void mark_invoice_void(pqxx::transaction_base& tx, const std::string& invoice_id,
                       const std::string& reason);

// ---- payments and refunds --------------------------------------------------------------------

struct PaymentRow {
  std::string payment_id;
  std::string receipt_no;
  std::string invoice_id;
  std::string project_id;
  std::string unit_id;
  int64_t amount_fen = 0;
  std::string reference;
  int64_t paid_at_us = 0;
  int64_t recorded_at_us = 0;
  int64_t refunded_fen = 0;

  aftercare::v1::Payment to_proto() const;
};
std::optional<PaymentRow> find_payment_by_reference(pqxx::transaction_base& tx,
                                                    const std::string& reference);
std::optional<PaymentRow> get_payment(pqxx::transaction_base& tx, const std::string& payment_id);
// Inserts unless the reference exists (returns false then). Assigns payment_id and receipt_no
// into `payment` when inserted.
bool insert_payment(pqxx::transaction_base& tx, PaymentRow& payment, const std::string& by);

struct RefundRow {
  std::string refund_id;
  std::string payment_id;
  std::string invoice_id;
  int64_t amount_fen = 0;
  std::string reason;
  std::string refund_reference;
};
std::optional<RefundRow> find_refund_by_reference(pqxx::transaction_base& tx,
                                                  const std::string& refund_reference);
bool insert_refund(pqxx::transaction_base& tx, const RefundRow& refund, const std::string& by);

// ---- ledger ----------------------------------------------------------------------------------

// Writes a balanced posting once per (kind, source_id); returns false when it was already
// there. Throws std::logic_error for an unbalanced posting (the database would refuse it too).
bool post(pqxx::transaction_base& tx, const domain::Posting& posting);

struct TrialBalance {
  std::vector<std::pair<std::string, int64_t>> accounts;  // account, debits - credits
  int64_t debits = 0;
  int64_t credits = 0;
  int64_t transactions = 0;
  int64_t unbalanced = 0;
};
TrialBalance trial_balance(pqxx::transaction_base& tx, const std::string& project_id);

// ---- sweeper ---------------------------------------------------------------------------------

struct SweepCandidate {
  InvoiceRow invoice;
  absl::CivilDay today;
  int reminder_days = 3;
};
// Owner invoices that may need a reminder or an overdue notice on their project's local day at
// `now`, locked (SKIP LOCKED: another sweeper or a payment holding one leaves it to next time).
std::vector<SweepCandidate> sweep_candidates(pqxx::transaction_base& tx, absl::Time now, int limit);
void mark_reminded(pqxx::transaction_base& tx, const std::string& invoice_id);
void mark_overdue(pqxx::transaction_base& tx, const std::string& invoice_id);

// ---- outbox helper ---------------------------------------------------------------------------

// An envelope with project and aggregate set (the outbox fills the rest, the type from the
// payload).
aftercare::v1::Event envelope(const std::string& project_id, const std::string& aggregate_id);

// ---- conversions -----------------------------------------------------------------------------

google::protobuf::Timestamp timestamp_from_us(int64_t us);
int64_t us_from_timestamp(const google::protobuf::Timestamp& ts);

}  // namespace aftercare::billing::store
