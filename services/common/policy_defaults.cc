#include "common/policy_defaults.h"

namespace aftercare::kit {

std::string check_range(std::string_view field, int64_t value, int64_t low, int64_t high) {
  if (value >= low && value <= high) return "";
  return std::string(field) + " must be between " + std::to_string(low) + " and " +
         std::to_string(high);
}

std::string apply_int_overrides(std::initializer_list<IntOverride> overrides) {
  for (const IntOverride& o : overrides) {
    if (!o.set) continue;
    if (std::string error = check_range(o.field, o.value, o.low, o.high); !error.empty())
      return error;
    std::visit(
        [&](auto* target) {
          *target = static_cast<std::remove_reference_t<decltype(*target)>>(o.value);
        },
        o.target);
  }
  return "";
}

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
  // Issue 20: the seeds' targets (004, 001), in basis points.
  auto* t = policy->mutable_targets();
  if (!t->has_satisfaction_bp()) t->set_satisfaction_bp(8500);
  if (!t->has_fee_collection_bp()) t->set_fee_collection_bp(8000);
  if (!t->has_complaint_rate_max_bp()) t->set_complaint_rate_max_bp(100);
  if (!t->has_callback_handling_bp()) t->set_callback_handling_bp(10000);
  if (!t->has_response_on_time_bp()) t->set_response_on_time_bp(9500);
  if (!t->has_resolve_on_time_bp()) t->set_resolve_on_time_bp(9000);
  if (!t->has_manager_callback_quota_bp()) t->set_manager_callback_quota_bp(1000);
  if (!t->has_supervisor_callback_quota_bp()) t->set_supervisor_callback_quota_bp(3000);
  if (!t->has_repair_lead_callback_quota_bp()) t->set_repair_lead_callback_quota_bp(6000);
}

std::string check_targets(const aftercare::v1::TargetPolicy& t) {
  const struct {
    bool set;
    int32_t value;
    const char* field;
  } rates[] = {
      {t.has_satisfaction_bp(), t.satisfaction_bp(), "satisfaction_bp"},
      {t.has_fee_collection_bp(), t.fee_collection_bp(), "fee_collection_bp"},
      {t.has_complaint_rate_max_bp(), t.complaint_rate_max_bp(), "complaint_rate_max_bp"},
      {t.has_callback_handling_bp(), t.callback_handling_bp(), "callback_handling_bp"},
      {t.has_response_on_time_bp(), t.response_on_time_bp(), "response_on_time_bp"},
      {t.has_resolve_on_time_bp(), t.resolve_on_time_bp(), "resolve_on_time_bp"},
      {t.has_manager_callback_quota_bp(), t.manager_callback_quota_bp(),
       "manager_callback_quota_bp"},
      {t.has_supervisor_callback_quota_bp(), t.supervisor_callback_quota_bp(),
       "supervisor_callback_quota_bp"},
      {t.has_repair_lead_callback_quota_bp(), t.repair_lead_callback_quota_bp(),
       "repair_lead_callback_quota_bp"},
  };
  for (const auto& r : rates)
    if (r.set && (r.value < 0 || r.value > 10000))
      return std::string("targets.") + r.field + " must be between 0 and 10000";
  const struct {
    const google::protobuf::RepeatedPtrField<std::string>& ids;
    const char* field;
  } lists[] = {{t.managers(), "managers"},
               {t.supervisors(), "supervisors"},
               {t.repair_leads(), "repair_leads"}};
  for (const auto& l : lists) {
    if (l.ids.size() > 1000) return std::string("targets.") + l.field + " has more than 1000 ids";
    for (const std::string& id : l.ids)
      if (id.empty() || id.size() > 128)
        return std::string("targets.") + l.field + " must hold ids of 1-128 characters";
  }
  return "";
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
