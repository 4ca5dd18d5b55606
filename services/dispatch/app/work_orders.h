// The use cases of dispatch's gRPC edge (dispatch_service.cc validates the input and calls
// these): registering a party and every step of a work order's life. Each runs its own
// transaction, checks what depends on stored state (the caller's scope over the order, the
// order's status) and writes its events through Workflows (outbox + partner feeds). Refusals
// are thrown (kit::Refusal) and roll the transaction back. The consumer's event handlers are in
// app/workflows.cc.
#pragma once

#include <optional>

#include "absl/time/time.h"
#include "aftercare/v1/dispatch.pb.h"
#include "common/call.h"
#include "common/pg.h"
#include "dispatch/app/workflows.h"
#include "dispatch/domain/work_order.h"

namespace aftercare::dispatch::app {

using aftercare::v1::WorkOrder;

// One call of a use case: where it reads and writes, who asks, and "now".
struct Context {
  kit::PgPool& db;
  Workflows& workflows;
  const kit::Caller& caller;
  absl::Time now;
};

void upsert_party(const Context& ctx, const aftercare::v1::Party& party);
WorkOrder create_work_order(const Context& ctx, const aftercare::v1::CreateWorkOrderRequest& req,
                            const std::string& source);
WorkOrder accept_work_order(const Context& ctx, const aftercare::v1::AcceptWorkOrderRequest& req);
WorkOrder decline_work_order(const Context& ctx, const aftercare::v1::DeclineWorkOrderRequest& req);
WorkOrder schedule_work_order(const Context& ctx,
                              const aftercare::v1::ScheduleWorkOrderRequest& req,
                              const domain::Window& window);
WorkOrder start_work_order(const Context& ctx, const aftercare::v1::StartWorkOrderRequest& req);
WorkOrder complete_work_order(const Context& ctx,
                              const aftercare::v1::CompleteWorkOrderRequest& req);
WorkOrder sign_off_work_order(const Context& ctx,
                              const aftercare::v1::SignOffWorkOrderRequest& req);
WorkOrder reassign_work_order(const Context& ctx,
                              const aftercare::v1::ReassignWorkOrderRequest& req);
WorkOrder cancel_work_order(const Context& ctx, const aftercare::v1::CancelWorkOrderRequest& req);
WorkOrder report_late(const Context& ctx, const aftercare::v1::ReportLateRequest& req,
                      absl::Time eta);
WorkOrder record_verification(const Context& ctx,
                              const aftercare::v1::RecordVerificationRequest& req);
WorkOrder issue_quote(const Context& ctx, const aftercare::v1::IssueQuoteRequest& req,
                      std::optional<absl::Time> valid_until);
WorkOrder confirm_quote(const Context& ctx, const aftercare::v1::ConfirmQuoteRequest& req);
aftercare::v1::RepairReportResponse repair_report(const Context& ctx,
                                                  const aftercare::v1::RepairReportRequest& req);
// Issue 20: the repair report of many projects from one query over the orders' report columns
// (each project's period in its own time zone; domain::repair_report_from_sums, which gives
// what domain::repair_report gives over the orders: a project's figures are its RepairReport's).
// The request was checked by the edge: `project_ids` the caller sees; empty = every project
// dispatch knows that the caller sees. A requested project dispatch has not heard of gets its
// (empty) report, as RepairReport gives it. Orders of these projects whose report columns are
// not filled yet (written before migration 006) are filled first. (app/reports.cc)
aftercare::v1::GroupRepairReportResponse group_repair_report(
    const Context& ctx, const aftercare::v1::GroupRepairReportRequest& req);
// Fills the report columns of orders written before migration 006, `batch` per transaction,
// until none is left; returns how many (the sweeper's round).
int fill_report_columns(kit::PgPool& db, int batch);

}  // namespace aftercare::dispatch::app
