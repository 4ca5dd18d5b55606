#include "common/policy_defaults.h"

namespace aftercare::kit {

void fill_platform_defaults(aftercare::v1::Policy* policy) {
  auto* d = policy->mutable_dispatch();
  if (!d->has_builder_onsite_hours()) d->set_builder_onsite_hours(24);
  if (!d->has_large_job_threshold_fen()) d->set_large_job_threshold_fen(100000);
  if (!d->has_sweep_interval_seconds()) d->set_sweep_interval_seconds(30);
  if (!d->has_appointment_reminder_lead_hours()) d->set_appointment_reminder_lead_hours(24);
  if (!d->has_technician_daily_cap()) d->set_technician_daily_cap(6);
  auto* c = policy->mutable_callback();
  if (!c->has_safety_due_days()) c->set_safety_due_days(2);
  if (!c->has_leak_due_days()) c->set_leak_due_days(3);
  if (!c->has_default_due_days()) c->set_default_due_days(7);
  if (c->handover_callback_months_size() == 0)
    for (int months : {1, 3, 6}) c->add_handover_callback_months(months);
  if (!c->has_warranty_reminder_lead_days()) c->set_warranty_reminder_lead_days(30);
  if (!c->has_rework_return_hours()) c->set_rework_return_hours(24);
  if (!c->has_max_attempts()) c->set_max_attempts(3);
  if (!c->has_agent_weekly_target()) c->set_agent_weekly_target(18);
  auto* l = policy->mutable_loyalty();
  if (!l->has_expiry_months()) l->set_expiry_months(24);
  if (!l->has_survey_points()) l->set_survey_points(50);
  if (!l->has_silver_at_points()) l->set_silver_at_points(1000);
  if (!l->has_gold_at_points()) l->set_gold_at_points(5000);
  if (!l->has_platinum_at_points()) l->set_platinum_at_points(20000);
  auto* b = policy->mutable_billing();
  if (!b->has_reminder_days_before_due()) b->set_reminder_days_before_due(3);
}

}  // namespace aftercare::kit
