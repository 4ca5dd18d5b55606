// Owners without the app (issue 23), the gRPC edge: the owner (or an agent for them) confirms or
// refuses an appointment window and rates the finished job (rules: domain/owner_acts.h).
#include "dispatch/app/owner_acts.h"
#include "dispatch/dispatch_service.h"
#include "dispatch/domain/owner_acts.h"
#include "dispatch/handler_support.h"

namespace aftercare::dispatch {
namespace {

using namespace handlers;  // NOLINT: the shared handler helpers

}  // namespace

Status DispatchServiceImpl::ConfirmAppointment(Ctx* context,
                                               const aftercare::v1::ConfirmAppointmentRequest* req,
                                               WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ConfirmAppointment", [&] {
    check_order_id(req->work_order_id());
    if (req->has_on_behalf()) check_on_behalf(req->on_behalf(), "on_behalf");
    absl::Time now = now_micros();
    *resp = app::confirm_appointment(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::RefuseAppointment(Ctx* context,
                                              const aftercare::v1::RefuseAppointmentRequest* req,
                                              WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RefuseAppointment", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_text(req->reason(), "reason", 1, kMaxReasonChars), "reason");
    if (req->has_on_behalf()) check_on_behalf(req->on_behalf(), "on_behalf");
    absl::Time now = now_micros();
    *resp = app::refuse_appointment(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::RateWorkOrder(Ctx* context,
                                          const aftercare::v1::RateWorkOrderRequest* req,
                                          WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RateWorkOrder", [&] {
    check_order_id(req->work_order_id());
    domain::Verdict score = domain::check_score(req->score());
    if (!score.ok()) throw Refusal{kit::invalid_field(score.field, score.message)};
    check_input(domain::check_text(req->comment(), "comment", 0, kMaxReasonChars), "comment");
    if (req->has_on_behalf()) check_on_behalf(req->on_behalf(), "on_behalf");
    absl::Time now = now_micros();
    *resp = app::rate_work_order(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::ApprovePlan(Ctx* context, const aftercare::v1::ApprovePlanRequest* req,
                                        WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ApprovePlan", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_text(req->comment(), "comment", 0, kMaxReasonChars), "comment");
    if (req->has_on_behalf()) check_on_behalf(req->on_behalf(), "on_behalf");
    absl::Time now = now_micros();
    *resp = app::approve_plan(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

}  // namespace aftercare::dispatch
