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
  if (!c->has_quiet_hours_start()) c->set_quiet_hours_start("21:00");
  if (!c->has_quiet_hours_end()) c->set_quiet_hours_end("08:00");
  if (!c->has_owner_daily_message_cap()) c->set_owner_daily_message_cap(10);
  auto* l = policy->mutable_loyalty();
  if (!l->has_expiry_months()) l->set_expiry_months(24);
  if (!l->has_survey_points()) l->set_survey_points(50);
  if (!l->has_silver_at_points()) l->set_silver_at_points(1000);
  if (!l->has_gold_at_points()) l->set_gold_at_points(5000);
  if (!l->has_platinum_at_points()) l->set_platinum_at_points(20000);
  auto* b = policy->mutable_billing();
  if (!b->has_reminder_days_before_due()) b->set_reminder_days_before_due(3);
}

std::optional<int> minute_of_day(std::string_view hh_mm) {
  auto digit = [&](size_t i) { return hh_mm[i] >= '0' && hh_mm[i] <= '9'; };
  if (hh_mm.size() != 5 || hh_mm[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
    return std::nullopt;
  int hours = (hh_mm[0] - '0') * 10 + (hh_mm[1] - '0');
  int minutes = (hh_mm[3] - '0') * 10 + (hh_mm[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

std::string check_platform_overrides(const aftercare::v1::Policy& policy) {
  const aftercare::v1::CallbackPolicy& c = policy.callback();
  if (c.has_quiet_hours_start() && !minute_of_day(c.quiet_hours_start()))
    return "callback.quiet_hours_start must be HH:MM (00:00-23:59)";
  if (c.has_quiet_hours_end() && !minute_of_day(c.quiet_hours_end()))
    return "callback.quiet_hours_end must be HH:MM (00:00-23:59)";
  if (c.has_owner_daily_message_cap() &&
      (c.owner_daily_message_cap() < 1 || c.owner_daily_message_cap() > kMaxDailyMessageCap))
    return "callback.owner_daily_message_cap must be between 1 and " +
           std::to_string(kMaxDailyMessageCap);
  return "";
}

}  // namespace aftercare::kit
