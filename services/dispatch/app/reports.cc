// The repair reports (use cases of RepairReport and GroupRepairReport, declared in
// work_orders.h): one project's from its orders' documents (domain::repair_report), many
// projects' from the orders' report columns summed per project (domain::repair_report_from_sums),
// and the filling of those columns for orders written before migration 006.
#include <map>

#include "dispatch/access.h"
#include "dispatch/app/work_orders.h"
#include "dispatch/domain/report.h"
#include "dispatch/store/dispatch_store.h"
#include "dispatch/store/report_store.h"

namespace aftercare::dispatch::app {

aftercare::v1::RepairReportResponse repair_report(const Context& ctx,
                                                  const aftercare::v1::RepairReportRequest& req) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(store::project_timezone(tx, req.project_id()), &zone)) {
      zone = absl::UTCTimeZone();
    }
    domain::PeriodBounds bounds = domain::period_bounds(req.period(), zone);
    return domain::repair_report(
        store::report_orders(tx, req.project_id(), bounds.start, bounds.end), bounds, ctx.now);
  });
}

aftercare::v1::GroupRepairReportResponse group_repair_report(
    const Context& ctx, const aftercare::v1::GroupRepairReportRequest& req) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    std::vector<std::string> ids(req.project_ids().begin(), req.project_ids().end());
    std::map<std::string, std::string> zones;  // project -> time zone name, by project id
    for (auto& [id, zone] : store::project_timezones(tx, ids, ids.empty())) {
      if (ids.empty() && !in_scope(ctx.caller, id)) continue;
      zones[id] = zone.empty() ? store::kDefaultProjectTimezone : zone;
    }
    for (const std::string& id : ids) zones.try_emplace(id, store::kDefaultProjectTimezone);
    std::vector<store::ReportWindow> windows;
    std::vector<std::string> projects;
    for (const auto& [id, name] : zones) {
      absl::TimeZone zone;
      if (!absl::LoadTimeZone(name, &zone)) zone = absl::UTCTimeZone();
      domain::PeriodBounds b = domain::period_bounds(req.period(), zone);
      windows.push_back({id, b.start, b.end});
      projects.push_back(id);
    }
    // Orders written before migration 006 that the sweeper has not reached yet (none once it
    // has): filled here, in this transaction, so the sums never miss them.
    if (!projects.empty()) {
      while (store::fill_report_columns(tx, projects, 1000, false) == 1000) {
      }
    }
    std::map<std::string, std::vector<domain::ReportSums>> sums =
        store::group_report_sums(tx, windows, ctx.now);
    aftercare::v1::GroupRepairReportResponse out;
    for (const std::string& id : projects) {
      auto* report = out.add_projects();
      *report = domain::repair_report_from_sums(sums[id]);
      report->set_project_id(id);
      *report->mutable_period() = req.period();
    }
    return out;
  });
}

int fill_report_columns(kit::PgPool& db, int batch) {
  int total = 0;
  for (;;) {
    int filled = db.in_transaction(
        [&](pqxx::work& tx) { return store::fill_report_columns(tx, {}, batch, true); });
    total += filled;
    if (filled < batch) return total;
  }
}

}  // namespace aftercare::dispatch::app
