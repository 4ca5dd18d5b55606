#include "callback/domain/events.h"

#include "callback/domain/validation.h"

namespace aftercare::callback::domain {
namespace {

// The outbox names the event's type after its payload.
aftercare::v1::Event envelope(const aftercare::v1::Callback& cb, absl::Time at) {
  aftercare::v1::Event e;
  e.set_project_id(cb.project_id());
  e.set_aggregate_id(cb.callback_id());
  e.set_producer("callback");
  set_timestamp(e.mutable_occurred_at(), at);
  return e;
}

}  // namespace

void set_timestamp(google::protobuf::Timestamp* out, absl::Time t) {
  int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

absl::Time from_timestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

aftercare::v1::Event callback_scheduled(const aftercare::v1::Callback& cb, absl::Time at) {
  aftercare::v1::Event e = envelope(cb, at);
  aftercare::v1::CallbackScheduled* p = e.mutable_callback_scheduled();
  p->set_callback_id(cb.callback_id());
  p->set_ticket_id(cb.ticket_id());
  p->set_work_order_id(cb.work_order_id());
  p->set_unit_id(cb.unit_id());
  p->set_owner_id(cb.owner_id());
  p->set_reason(cb.reason());
  *p->mutable_due_at() = cb.due_at();
  p->set_assigned_agent(cb.assigned_agent());
  return e;
}

aftercare::v1::Event callback_attempted(const aftercare::v1::Callback& cb, int attempt_no,
                                        const std::string& agent_id, bool gave_up, absl::Time at) {
  aftercare::v1::Event e = envelope(cb, at);
  aftercare::v1::CallbackAttempted* p = e.mutable_callback_attempted();
  p->set_callback_id(cb.callback_id());
  p->set_ticket_id(cb.ticket_id());
  p->set_attempt_no(attempt_no);
  p->set_agent_id(agent_id);
  if (!gave_up && cb.has_next_attempt_at()) *p->mutable_next_attempt_at() = cb.next_attempt_at();
  p->set_gave_up(gave_up);
  return e;
}

aftercare::v1::Event callback_recorded(const aftercare::v1::Callback& cb, bool on_time,
                                       absl::Time at) {
  aftercare::v1::Event e = envelope(cb, at);
  aftercare::v1::CallbackRecorded* p = e.mutable_callback_recorded();
  const aftercare::v1::CallbackOutcome& o = cb.outcome();
  p->set_callback_id(cb.callback_id());
  p->set_ticket_id(cb.ticket_id());
  p->set_work_order_id(cb.work_order_id());
  p->set_unit_id(cb.unit_id());
  p->set_owner_id(cb.owner_id());
  p->set_reason(cb.reason());
  p->set_reached(o.reached());
  p->set_satisfaction(o.satisfaction());
  p->set_score(o.score());
  p->set_attitude(o.attitude());
  p->set_timely(o.timely());
  p->set_charge_ok(o.charge_ok());
  p->set_owner_confirmed(o.owner_confirmed());
  p->set_comment(mask_digit_runs(o.comment()));
  p->set_agent_id(o.recorded_by());
  p->set_on_time(on_time);
  return e;
}

aftercare::v1::Event rework_requested(const aftercare::v1::Callback& cb, const std::string& reason,
                                      absl::Time return_due, absl::Time at) {
  aftercare::v1::Event e = envelope(cb, at);
  aftercare::v1::ReworkRequested* p = e.mutable_rework_requested();
  p->set_callback_id(cb.callback_id());
  p->set_ticket_id(cb.ticket_id());
  p->set_work_order_id(cb.work_order_id());
  p->set_unit_id(cb.unit_id());
  p->set_reason(reason);
  set_timestamp(p->mutable_return_due(), return_due);
  return e;
}

aftercare::v1::Event survey_completed(const aftercare::v1::Callback& cb, absl::Time at) {
  aftercare::v1::Event e = envelope(cb, at);
  aftercare::v1::SurveyCompleted* p = e.mutable_survey_completed();
  p->set_callback_id(cb.callback_id());
  p->set_owner_id(cb.owner_id());
  p->set_ticket_id(cb.ticket_id());
  p->set_satisfaction(cb.outcome().satisfaction());
  return e;
}

aftercare::v1::Event callback_reviewed(const aftercare::v1::Callback& cb, absl::Time at) {
  aftercare::v1::Event e = envelope(cb, at);
  aftercare::v1::CallbackReviewed* p = e.mutable_callback_reviewed();
  p->set_callback_id(cb.callback_id());
  p->set_reviewer_id(cb.review().reviewer_id());
  p->set_approved(cb.review().approved());
  return e;
}

aftercare::v1::Event warranty_expiry_reminder_due(const aftercare::v1::Callback& cb,
                                                  aftercare::v1::Component component,
                                                  absl::Time at) {
  aftercare::v1::Event e = envelope(cb, at);
  e.set_aggregate_id(cb.unit_id());
  aftercare::v1::WarrantyExpiryReminderDue* p = e.mutable_warranty_expiry_reminder_due();
  p->set_unit_id(cb.unit_id());
  p->set_owner_id(cb.owner_id());
  p->set_component(component);
  *p->mutable_warranty_ends() = cb.warranty_ends();
  p->set_callback_id(cb.callback_id());
  return e;
}

}  // namespace aftercare::callback::domain
