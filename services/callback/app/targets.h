// Targets, quotas and period closes (issue 20): a project's scorecard (every KPI of a period
// against its target, from callback's own counts, intake's ticket KPIs and billing's fee
// collection) and the close sweep that raises one KpiTargetMissed and one alert per project and
// period below target. Decisions are domain/targets.h's; SQL is store/targets_store.h's.
#pragma once

#include <grpcpp/grpcpp.h>

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/billing.pb.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/intake.pb.h"
#include "common/call.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::callback::app {

// ---- ports --------------------------------------------------------------------------------

// The figures callback does not count itself. nullopt: the source did not answer (the KPIs are
// left out and reported incomplete); a refusal of the caller (PERMISSION_DENIED, NOT_FOUND,
// INVALID_ARGUMENT) throws kit::Refusal with the source's code.
// The other services' figures of many projects, by project id; nullopt: that source did not
// answer (its KPIs are left out and it is reported incomplete).
struct GroupFigures {
  std::optional<std::map<std::string, aftercare::v1::MonthlyStatsResponse>> tickets;   // intake
  std::optional<std::map<std::string, aftercare::v1::ProjectReportResponse>> billing;  // billing
  std::optional<std::map<std::string, aftercare::v1::RepairReportResponse>> repairs;   // dispatch
};

class KpiSources {
 public:
  virtual ~KpiSources() = default;
  virtual std::optional<aftercare::v1::MonthlyStatsResponse> ticket_stats(
      const kit::Caller& caller, const std::string& project_id,
      const aftercare::v1::ReportPeriod& period) = 0;
  virtual std::optional<aftercare::v1::ProjectReportResponse> billing_report(
      const kit::Caller& caller, const std::string& project_id,
      const aftercare::v1::ReportPeriod& period) = 0;
  // Issue 20, the group view: intake.GroupStats, billing.GroupProjectReport and
  // dispatch.GroupRepairReport for the projects, asked at once. The calls run while the caller
  // does its own work; get() on the answer waits for all three. A refusal throws from get().
  virtual std::future<GroupFigures> group_figures(const kit::Caller& caller,
                                                  const std::vector<std::string>& project_ids,
                                                  const aftercare::v1::ReportPeriod& period) = 0;
};

// intake.MonthlyStats and billing.ProjectReport over gRPC, as the caller; the group calls
// (with dispatch) through gRPC's callback API, the three at once.
class GrpcKpiSources final : public KpiSources {
 public:
  GrpcKpiSources(std::shared_ptr<grpc::Channel> intake, std::shared_ptr<grpc::Channel> billing,
                 std::shared_ptr<grpc::Channel> dispatch = nullptr)
      : intake_(std::move(intake)), billing_(std::move(billing)), dispatch_(std::move(dispatch)) {}
  std::optional<aftercare::v1::MonthlyStatsResponse> ticket_stats(
      const kit::Caller& caller, const std::string& project_id,
      const aftercare::v1::ReportPeriod& period) override;
  std::optional<aftercare::v1::ProjectReportResponse> billing_report(
      const kit::Caller& caller, const std::string& project_id,
      const aftercare::v1::ReportPeriod& period) override;
  std::future<GroupFigures> group_figures(const kit::Caller& caller,
                                          const std::vector<std::string>& project_ids,
                                          const aftercare::v1::ReportPeriod& period) override;

 private:
  std::shared_ptr<grpc::Channel> intake_, billing_, dispatch_;
};

// ---- use cases ------------------------------------------------------------------------------

// The scorecard of a project and period (the period checked by the caller). sources may be
// null: then only callback's own KPIs, and intake and billing are listed as incomplete.
// A project callback has not heard of yet gets the platform targets.
aftercare::v1::ScorecardResponse scorecard(kit::PgPool& db, KpiSources* sources,
                                           const kit::Caller& caller, const std::string& project_id,
                                           const aftercare::v1::ReportPeriod& period,
                                           absl::Time now);

// Closes, for every known project, the last ISO week, month, quarter and year that ended at least
// `grace` before `now` in the project's time zone, were not closed yet and ended after callback
// first heard of the project (a project registered today has no last month to judge): the scorecard
// as the callback service, and for one below target the alert and its KpiTargetMissed, written with
// the close in one transaction. A period whose sources did not all answer stays open until the next
// sweep.
struct CloseResult {
  int closed = 0;
  int alerts = 0;
  int deferred = 0;
};
CloseResult close_periods(kit::PgPool& db, const kit::Outbox& outbox, KpiSources* sources,
                          absl::Time now, absl::Duration grace = absl::Hours(1));

// NOT_FOUND for a project callback does not know (yet).
aftercare::v1::ListKpiAlertsResponse list_alerts(kit::PgPool& db, const kit::Caller& caller,
                                                 const aftercare::v1::ListKpiAlertsRequest& r);
aftercare::v1::KpiAlert acknowledge_alert(kit::PgPool& db, const kit::Caller& caller,
                                          const aftercare::v1::AcknowledgeKpiAlertRequest& r,
                                          absl::Time now);

// The group view (issue 20): the scorecard KPIs of every project callback knows and the caller
// sees, side by side, ranked (most targets met, then the smallest total gap, then the project
// id), with the totals (every project's numerators and denominators summed) against the
// platform targets, and the worst builders and contractors across the projects
// (domain::worst_parties). Grouped: one statement per figure family for callback's own counts,
// and one call each to intake, billing and dispatch for every project, the three at once while
// callback counts. A source that does not answer leaves its KPIs out and is listed in
// `incomplete` ("dispatch": the worst lists are empty). sources null: callback's KPIs only.
aftercare::v1::GroupReportResponse group_report(kit::PgPool& db, KpiSources* sources,
                                                const kit::Caller& caller,
                                                const aftercare::v1::GroupReportRequest& r,
                                                absl::Time now);

}  // namespace aftercare::callback::app
