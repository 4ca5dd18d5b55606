// Persistence of the developer side of billing (warranty costs, settlements, chargebacks,
// retention deposits), escalation fines, and the read models (arrears, collection, reports).
#pragma once

#include <pqxx/pqxx>

#include <map>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/billing.pb.h"

namespace aftercare::billing::store {

// ---- warranty costs and chargebacks ----------------------------------------------------------

struct WarrantyCostRow {
  std::string work_order_id;
  std::string project_id;
  std::string ticket_id;
  std::string unit_id;
  std::string builder_party_id;
  std::string performed_by_kind;
  std::string performed_by_party_id;
  int64_t cost_fen = 0;
  std::string period;
  std::optional<int64_t> signed_off_at_us;
  std::string source_event_id;
};
// The cost, unless the work order's cost is recorded already (returns false then), and with it a
// pending chargeback of the cost to its builder (once per work order), in one statement.
bool insert_warranty_cost_and_chargeback(pqxx::transaction_base& tx,
                                         const std::string& chargeback_id,
                                         const WarrantyCostRow& c);

struct ChargebackRow {
  std::string chargeback_id;
  std::string project_id;
  std::string builder_party_id;
  std::string work_order_id;
  std::string ticket_id;
  int64_t amount_fen = 0;
  std::string period;
  std::string settlement_id;
  bool deducted = false;
  int64_t recorded_at_us = 0;
  aftercare::v1::Chargeback to_proto() const;
};
struct ChargebackPage {
  std::vector<ChargebackRow> rows;
  int64_t total_fen = 0;
};
ChargebackPage list_chargebacks(pqxx::transaction_base& tx, const std::string& project_id,
                                const std::string& builder_party_id, const std::string& period,
                                int64_t after_recorded_us, const std::string& after_id, int limit);

// ---- settlements -----------------------------------------------------------------------------

struct SettlementItemRow {
  std::string kind;  // warranty_repair | property_fee
  std::string source_id;
  int64_t amount_fen = 0;
  std::string unit_id;
  std::string builder_party_id;
  std::string period;
};

struct SettlementRow {
  std::string settlement_id;
  std::string project_id;
  std::string period;
  int64_t warranty_repair_fen = 0;
  int64_t property_fee_fen = 0;
  int64_t total_fen = 0;
  int64_t paid_fen = 0;
  std::string status;
  int64_t work_order_count = 0;
  int64_t fee_invoice_count = 0;
  int64_t issued_at_us = 0;
  int64_t updated_at_us = 0;
  std::vector<SettlementItemRow> items;
  aftercare::v1::Settlement to_proto() const;
};

std::optional<SettlementRow> find_settlement(pqxx::transaction_base& tx,
                                             const std::string& project_id,
                                             const std::string& period);
std::optional<SettlementRow> get_settlement(pqxx::transaction_base& tx,
                                            const std::string& settlement_id,
                                            bool for_update = false);
std::vector<SettlementRow> list_settlements(pqxx::transaction_base& tx,
                                            const std::string& project_id,
                                            const std::string& status);
// Creates an empty statement unless the project already has one for the period (false then).
bool insert_settlement(pqxx::transaction_base& tx, const std::string& settlement_id,
                       const std::string& project_id, const std::string& period,
                       const std::string& issued_by);
// Claims every not-yet-settled warranty cost and developer fee invoice of the project up to and
// including `period` for the statement, records them as its items and returns them. A source
// already claimed by another statement is skipped (row locks + re-check), so none is counted twice.
std::vector<SettlementItemRow> claim_settlement_sources(pqxx::transaction_base& tx,
                                                        const std::string& settlement_id,
                                                        const std::string& project_id,
                                                        const std::string& period);
void set_settlement_totals(pqxx::transaction_base& tx, const SettlementRow& totals);
void set_settlement_paid(pqxx::transaction_base& tx, const std::string& settlement_id,
                         int64_t paid_fen, const std::string& status);
// Marks the statement's chargebacks deducted and returns them.
std::vector<ChargebackRow> deduct_chargebacks(pqxx::transaction_base& tx,
                                              const std::string& settlement_id);

struct SettlementPaymentRow {
  std::string payment_id;
  std::string settlement_id;
  int64_t amount_fen = 0;
  std::string reference;
};
std::optional<SettlementPaymentRow> find_settlement_payment(pqxx::transaction_base& tx,
                                                            const std::string& reference);
bool insert_settlement_payment(pqxx::transaction_base& tx, const SettlementPaymentRow& payment,
                               int64_t paid_at_us, const std::string& by);

// Developer invoices on a statement (locked), in allocation order: oldest period first.
struct AllocationRow {
  std::string invoice_id;
  int64_t amount_fen = 0;
  int64_t paid_fen = 0;
  bool overdue_noticed = false;
};
std::vector<AllocationRow> settlement_invoices(pqxx::transaction_base& tx,
                                               const std::string& settlement_id);

// ---- retention deposits ----------------------------------------------------------------------

struct RetentionEntryRow {
  int64_t entry_id = 0;
  std::string builder_party_id;
  std::string kind;
  int64_t amount_fen = 0;
  int64_t balance_after_fen = 0;
  std::string source_id;
  std::string settlement_id;
  int64_t recorded_at_us = 0;
};
// Inserts unless (project, kind, source_id) exists; returns the entry id, or nullopt.
std::optional<int64_t> insert_retention_entry(
    pqxx::transaction_base& tx, const std::string& project_id, const std::string& builder_party_id,
    const std::string& kind, int64_t amount_fen, const std::string& source_id,
    const std::string& settlement_id, const std::string& by);
std::optional<RetentionEntryRow> find_retention_entry(pqxx::transaction_base& tx,
                                                      const std::string& project_id,
                                                      const std::string& kind,
                                                      const std::string& source_id);
// Entries of a builder's deposit with the running balance, oldest first.
std::vector<RetentionEntryRow> retention_entries(pqxx::transaction_base& tx,
                                                 const std::string& project_id,
                                                 const std::string& builder_party_id);
int64_t pending_chargebacks_fen(pqxx::transaction_base& tx, const std::string& project_id,
                                const std::string& builder_party_id);

// ---- fines -----------------------------------------------------------------------------------

struct FineRow {
  std::string fine_id;
  std::string project_id;
  std::string ticket_id;
  int level = 0;
  std::string fault_party;  // agent | crew | builder
  std::string party_id;
  int64_t amount_fen = 0;
  std::string reason;
  std::string source_event_id;
  int64_t recorded_at_us = 0;
  aftercare::v1::Fine to_proto() const;
};
// Inserts unless the ticket already has a fine at that level (returns false then).
bool insert_fine(pqxx::transaction_base& tx, const FineRow& fine);
// period "" = any; else the month of recorded_at in the project's zone.
std::vector<FineRow> list_fines(pqxx::transaction_base& tx, const std::string& project_id,
                                const std::string& party_id, const std::string& period);

// ---- read models -----------------------------------------------------------------------------

// An owner invoice with something outstanding.
struct OutstandingRow {
  std::string unit_id;
  std::string owner_id;
  std::string period;
  absl::CivilDay due_date;
  int64_t outstanding_fen = 0;
  std::string building;
  std::string room;
  std::string owner_phone_masked;
};
std::vector<OutstandingRow> outstanding_invoices(pqxx::transaction_base& tx,
                                                 const std::string& project_id,
                                                 const std::string& unit_id);

// Property-fee owner invoices of a project and period, with what was collected for each by
// `as_of_us` (payments paid before it minus refunds recorded before it).
struct CollectionRow {
  int64_t amount_fen = 0;
  int64_t collected_fen = 0;
};
std::vector<CollectionRow> collection_rows(pqxx::transaction_base& tx,
                                           const std::string& project_id, const std::string& period,
                                           int64_t as_of_us);

struct ReportFigures {
  int64_t fee_billed_fen = 0;
  int64_t fee_collected_fen = 0;
  int64_t arrears_fen = 0;
  int64_t paid_repair_fen = 0;
  int64_t paid_service_fen = 0;
  int64_t warranty_cost_fen = 0;
  int64_t chargebacks_fen = 0;
  int64_t fines_fen = 0;
  int64_t settlement_outstanding_fen = 0;
  // Decoration permits (issue 19; decoration_store.h).
  int64_t decoration_held_fen = 0;        // deposits paid and not settled at the period's end
  int64_t decoration_refunded_fen = 0;    // settled in the period: paid back
  int64_t decoration_deductions_fen = 0;  // settled in the period: deducted or billed
  int64_t decoration_fees_fen = 0;        // fee invoices issued in the period, not void
};
// Figures of a project for the local days [first, last] (instants [from_us, to_us)).
ReportFigures report_figures(pqxx::transaction_base& tx, const std::string& project_id,
                             absl::CivilDay first, absl::CivilDay last, int64_t from_us,
                             int64_t to_us);
// Issue 20, the group view: report_figures of many projects at once. The local days are the
// same for every project; the instants are each project's own (its time zone). The same
// statements grouped by project (report_figures is this with one window); one entry per window.
struct ReportWindow {
  std::string project_id;
  int64_t from_us = 0, to_us = 0;
};
std::map<std::string, ReportFigures> group_report_figures(pqxx::transaction_base& tx,
                                                          const std::vector<ReportWindow>& windows,
                                                          absl::CivilDay first,
                                                          absl::CivilDay last);
// The projects billing knows (settings announced or units) with their time zone names ("" =
// none announced): those of `only`, or all when `all`.
std::vector<std::pair<std::string, std::string>> project_timezones(
    pqxx::transaction_base& tx, const std::vector<std::string>& only, bool all);

}  // namespace aftercare::billing::store
