// The gRPC edge of targets, quotas and alerts (issue 20): validate, authorize, call
// app/targets, map.
//
// Who may call:
// - Scorecard (section "targets" of the project report): supervisor, finance, admin, hq;
// - ListKpiAlerts (the supervisors' list): supervisor, admin, hq;
// - AcknowledgeKpiAlert: supervisor, admin (hq reads only);
// - GroupReport (GET /v1/reports/{period}): admin, hq; the projects of the caller's token.
// Staff see only their projects: another project's alert or scorecard is NOT_FOUND.
#include "callback/app/targets.h"
#include "callback/callback_service.h"
#include "callback/domain/stats.h"
#include "callback/domain/validation.h"
#include "common/field_error.h"
#include "common/refusal.h"

namespace aftercare::callback {
namespace {

namespace v1 = aftercare::v1;
using grpc::Status;
using grpc::StatusCode;

bool one_of(const kit::Caller& c, kit::Roles roles) {
  return c.is_any(roles);
}

}  // namespace

Status CallbackServiceImpl::Scorecard(grpc::ServerContext* context, const v1::ScorecardRequest* r,
                                      v1::ScorecardResponse* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (!one_of(call.caller, {kit::Role::supervisor, kit::Role::finance, kit::Role::admin,
                            kit::Role::hq, kit::Role::service}))
    return {StatusCode::PERMISSION_DENIED,
            "scorecards are for supervisors, finance, admins and hq"};
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty())
    return kit::invalid_from_check(e);
  domain::PeriodDays days;
  if (auto e = domain::period_days(r->period(), &days); !e.empty())
    return kit::invalid_from_check(e);
  if (!call.caller.sees_project(r->project_id()))
    return {StatusCode::NOT_FOUND, "project " + r->project_id() + " not found"};
  return kit::guarded("Scorecard", [&] {
    *out = app::scorecard(db_, kpi_sources_, call.caller, r->project_id(), r->period(), clock_());
  });
}

Status CallbackServiceImpl::ListKpiAlerts(grpc::ServerContext* context,
                                          const v1::ListKpiAlertsRequest* r,
                                          v1::ListKpiAlertsResponse* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (!one_of(call.caller, {kit::Role::supervisor, kit::Role::admin, kit::Role::hq}))
    return {StatusCode::PERMISSION_DENIED, "KPI alerts are for supervisors, admins and hq"};
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty())
    return kit::invalid_from_check(e);
  if (!call.caller.sees_project(r->project_id()))
    return {StatusCode::NOT_FOUND, "project " + r->project_id() + " not found"};
  return kit::guarded("ListKpiAlerts", [&] { *out = app::list_alerts(db_, call.caller, *r); });
}

Status CallbackServiceImpl::AcknowledgeKpiAlert(grpc::ServerContext* context,
                                                const v1::AcknowledgeKpiAlertRequest* r,
                                                v1::KpiAlert* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (!one_of(call.caller, {kit::Role::supervisor, kit::Role::admin}))
    return {StatusCode::PERMISSION_DENIED, "KPI alerts are acknowledged by supervisors and admins"};
  if (auto e = domain::check_id(r->alert_id(), "alert_id"); !e.empty())
    return kit::invalid_from_check(e);
  return kit::guarded("AcknowledgeKpiAlert",
                      [&] { *out = app::acknowledge_alert(db_, call.caller, *r, clock_()); });
}

Status CallbackServiceImpl::GroupReport(grpc::ServerContext* context,
                                        const v1::GroupReportRequest* r,
                                        v1::GroupReportResponse* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (!one_of(call.caller, {kit::Role::admin, kit::Role::hq}))
    return {StatusCode::PERMISSION_DENIED, "the group report is for admins and hq"};
  return kit::guarded("GroupReport", [&] {
    *out = app::group_report(db_, kpi_sources_, call.caller, *r, clock_());
  });
}

}  // namespace aftercare::callback
