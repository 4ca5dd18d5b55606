// Use cases of owners without the app (issue 23): the owner (or an agent for them) confirms or
// refuses an appointment window and rates the finished job; the helpers the sign-off, quote and
// schedule use cases share to record an owner's act for them (domain/owner_acts.h).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "aftercare/v1/dispatch.pb.h"
#include "common/call.h"
#include "common/pg.h"
#include "dispatch/app/work_orders.h"
#include "dispatch/domain/owner_acts.h"

namespace aftercare::dispatch::app {

// Who the caller is to the order.
domain::Recorder recorder_of(const kit::Caller& caller, const WorkOrder& order);
// Throws the refusal a verdict stands for (kOk and kRepeat return).
void enforce(const domain::Verdict& verdict, const kit::Caller& caller);
// Decides and enforces whether the caller may do or record `act`; returns the on-behalf record
// to keep (nullopt = the owner in person). An attachment it names must be one of the order's
// ticket.
std::optional<aftercare::v1::OnBehalf> owner_act(pqxx::work& tx, const kit::Caller& caller,
                                                 const WorkOrder& order, domain::OwnerAct act,
                                                 const aftercare::v1::OnBehalf* given);
// intake.AttachmentAdded reaches dispatch a moment after the upload: before refusing a slip
// uploaded just now, wait up to `patience` for it (outside any transaction).
void await_attachment(kit::PgPool& db, const aftercare::v1::OnBehalf* given,
                      std::chrono::milliseconds patience = std::chrono::seconds(3));

WorkOrder confirm_appointment(const Context& ctx,
                              const aftercare::v1::ConfirmAppointmentRequest& req);
WorkOrder refuse_appointment(const Context& ctx,
                             const aftercare::v1::RefuseAppointmentRequest& req);
WorkOrder rate_work_order(const Context& ctx, const aftercare::v1::RateWorkOrderRequest& req);
// The owner (or staff for them) approves the current repair plan; the order may then start.
WorkOrder approve_plan(const Context& ctx, const aftercare::v1::ApprovePlanRequest& req);

}  // namespace aftercare::dispatch::app
