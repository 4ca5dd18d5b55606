// The numbers of DOMAIN §2 as one value. Every threshold is a platform default that a project
// may override (Policy.dispatch in common.proto, published by intake as PolicyUpdated); domain
// functions take the policy as a parameter so no rule hides a number.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"

namespace aftercare::dispatch::domain {

struct DispatchPolicy {
  // In warranty the builder must acknowledge and be on site within this many hours of the
  // report for a small job (002: 24 h for jobs under 1000 yuan).
  int builder_onsite_hours = 24;
  // An estimate at or above this is a large job: a late builder's order goes to the contractor
  // instead of the property crew (default 1000 yuan).
  int64_t large_job_threshold_fen = 100000;
  // How often the late-builder sweeper runs for this project.
  int sweep_interval_seconds = 30;
  // The owner and technician are reminded this long before the appointment (the day before).
  int appointment_reminder_lead_hours = 24;

  // Not (yet) overridable: common.proto's DispatchPolicy has no field for them. Defaults here so
  // they are still named values and not literals in the rules.
  int quote_valid_days = 7;        // a quote without valid_until holds this long
  int max_appointment_hours = 12;  // an appointment window is at most this long
  absl::Duration clock_skew_allowance = absl::Minutes(5);  // "now" typed on a phone
  // Technicians: work orders one technician may be given per day unless their own cap says
  // otherwise (overridable as dispatch.technician_daily_cap once common.proto has the field),
  // and the working hours of a technician registered without any.
  int technician_daily_cap = 6;
  std::string technician_work_start = "08:30";
  std::string technician_work_end = "17:30";

  static DispatchPolicy defaults() { return DispatchPolicy{}; }

  // Takes every field set in `policy.dispatch()` and keeps the current value of the others.
  // Returns "" or an error naming the first bad field ("dispatch.builder_onsite_hours must be
  // between 1 and 720"); on error *this is unchanged.
  std::string apply_overrides(const aftercare::v1::Policy& policy);

  // The effective values with every field set.
  void to_proto(aftercare::v1::DispatchPolicy* out) const;
};

}  // namespace aftercare::dispatch::domain
