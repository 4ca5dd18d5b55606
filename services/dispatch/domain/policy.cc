#include "dispatch/domain/policy.h"

#include "common/policy_defaults.h"

namespace aftercare::dispatch::domain {
namespace {

// Bounds of an override: they exclude nonsense (a zero-hour deadline, a negative threshold),
// not choices a real project might make.
constexpr int kMaxOnsiteHours = 30 * 24;
constexpr int64_t kMaxThresholdFen = 100'000'000'00;  // 100 million yuan
constexpr int kMaxSweepSeconds = 24 * 3600;
constexpr int kMaxReminderLeadHours = 7 * 24;

constexpr int kMaxTechnicianDailyCap = 100;

}  // namespace

std::string DispatchPolicy::apply_overrides(const aftercare::v1::Policy& policy) {
  const aftercare::v1::DispatchPolicy& d = policy.dispatch();
  DispatchPolicy next = *this;
  std::string error;
  if (d.has_builder_onsite_hours()) {
    error = kit::check_range("dispatch.builder_onsite_hours", d.builder_onsite_hours(), 1,
                             kMaxOnsiteHours);
    if (!error.empty()) return error;
    next.builder_onsite_hours = d.builder_onsite_hours();
  }
  if (d.has_large_job_threshold_fen()) {
    error = kit::check_range("dispatch.large_job_threshold_fen", d.large_job_threshold_fen(), 1,
                             kMaxThresholdFen);
    if (!error.empty()) return error;
    next.large_job_threshold_fen = d.large_job_threshold_fen();
  }
  if (d.has_sweep_interval_seconds()) {
    error = kit::check_range("dispatch.sweep_interval_seconds", d.sweep_interval_seconds(), 1,
                             kMaxSweepSeconds);
    if (!error.empty()) return error;
    next.sweep_interval_seconds = d.sweep_interval_seconds();
  }
  if (d.has_appointment_reminder_lead_hours()) {
    error = kit::check_range("dispatch.appointment_reminder_lead_hours",
                             d.appointment_reminder_lead_hours(), 1, kMaxReminderLeadHours);
    if (!error.empty()) return error;
    next.appointment_reminder_lead_hours = d.appointment_reminder_lead_hours();
  }
  if (d.has_technician_daily_cap()) {
    error = kit::check_range("dispatch.technician_daily_cap", d.technician_daily_cap(), 1,
                             kMaxTechnicianDailyCap);
    if (!error.empty()) return error;
    next.technician_daily_cap = d.technician_daily_cap();
  }
  *this = next;
  return "";
}

void DispatchPolicy::to_proto(aftercare::v1::DispatchPolicy* out) const {
  out->set_builder_onsite_hours(builder_onsite_hours);
  out->set_large_job_threshold_fen(large_job_threshold_fen);
  out->set_sweep_interval_seconds(sweep_interval_seconds);
  out->set_appointment_reminder_lead_hours(appointment_reminder_lead_hours);
  out->set_technician_daily_cap(technician_daily_cap);
}

}  // namespace aftercare::dispatch::domain
