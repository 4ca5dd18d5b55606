// Issue 20, the group view's repair figures from columns (migration 006): the report columns of
// an order as bound parameters (written with the doc by insert_work_order/update_work_order),
// filling them for orders written before the migration, and the grouped sums.
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/dispatch.pb.h"
#include "dispatch/domain/report.h"
#include "dispatch/store/dispatch_store.h"

namespace aftercare::dispatch::store {

// The ten report columns of an order as text parameters, in this order: started_at, rerouted,
// rating_at, rating_score, rating_technician, quote_confirmed_at, quote_fen,
// verifier_signed_at, owner_signs_on_behalf, warranty_advanced (SQL: kReportColumnsSet).
struct ReportColumnParams {
  std::optional<std::string> started_at, rating_at, rating_technician, quote_confirmed_at,
      verifier_signed_at;  // NULL when none
  std::string rerouted, rating_score, quote_fen, owner_signs_on_behalf, warranty_advanced;
  static const char* get(const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; }
};
ReportColumnParams report_column_params(const aftercare::v1::WorkOrder& order);

// Fills the report columns of up to `limit` orders written before migration 006, from their
// docs; project_ids empty = any project. skip_locked: leave orders another transaction holds
// (the background worker); else wait for them (a report must not read an unfilled row).
// Returns how many it filled.
int fill_report_columns(pqxx::work& tx, const std::vector<std::string>& project_ids, int limit,
                        bool skip_locked);

// Every window's project: the sums repair_report_from_sums makes its report of (the orders of
// the same selection as report_orders), by project id.
std::map<std::string, std::vector<domain::ReportSums>> group_report_sums(
    pqxx::work& tx, const std::vector<ReportWindow>& windows, absl::Time as_of);

}  // namespace aftercare::dispatch::store
