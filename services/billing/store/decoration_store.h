// Decoration deposits (issue 19): the settlement of a permit's deposit, once per permit (primary
// key), and the deposit shown on its invoice. SQL only.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "billing/store/billing_store.h"
#include "billing/store/settlement_store.h"

namespace aftercare::billing::store {

struct DepositSettlementRow {
  std::string permit_id;
  std::string project_id;
  std::string unit_id;
  std::string owner_id;
  std::string invoice_id;  // the deposit invoice
  int64_t deposit_fen = 0;
  int64_t paid_fen = 0;
  int64_t deductions_fen = 0;
  int64_t refunded_fen = 0;
  int64_t deducted_fen = 0;
  int64_t waived_fen = 0;
  int64_t billed_fen = 0;
  std::string deduction_invoice_id;  // "" when nothing was billed
  std::string reason;                // finished | refused
  std::string source_event_id;
  int64_t settled_at_us = 0;
};

// Inserts unless the permit was settled before (returns false then: nothing was written).
bool insert_deposit_settlement(pqxx::transaction_base& tx, const DepositSettlementRow& row);
std::optional<DepositSettlementRow> find_deposit_settlement(pqxx::transaction_base& tx,
                                                            const std::string& permit_id);

// Fills `deposit` of each decoration_deposit invoice (held, or its settlement).
void load_deposits(pqxx::transaction_base& tx, std::vector<InvoiceRow>& invoices);

// The decoration figures of the report (ReportFigures' decoration_*), added to `out` by project:
// `b` is group_report_figures' CTE of (project_id, f, t), over the arrays $1-$3.
void add_decoration_figures(pqxx::transaction_base& tx, const std::string& b,
                            const std::string& ids, const std::string& froms,
                            const std::string& tos, std::map<std::string, ReportFigures>& out);

// One figure of the report by project: `sql` (b's windows in $1-$3) answers (project_id, sum),
// and each sum goes into `field` of that project's figures.
void add_window_sums(pqxx::transaction_base& tx, const std::string& sql, const std::string& ids,
                     const std::string& froms, const std::string& tos,
                     int64_t ReportFigures::*field, std::map<std::string, ReportFigures>& out);

}  // namespace aftercare::billing::store
