// The numbers of DOMAIN §3 as one value: due days by kind, handover months, warranty reminder
// lead, rework return time, attempts, the agents' weekly norm. Every one is a platform default
// a project may override (Policy.callback in common.proto, published by intake as
// intake.PolicyUpdated); domain functions take the policy as a parameter so no rule hides a
// number.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "aftercare/v1/common.pb.h"

namespace aftercare::callback::domain {

struct CallbackPolicy {
  // Calendar days after completion (sign-off) or resolution by which the callback is due (001).
  int safety_due_days = 2;
  int leak_due_days = 3;
  int default_due_days = 7;
  // Periodic callbacks after the unit's handover (000). The n-th entry gets the n-th periodic
  // reason (HANDOVER_1_MONTH, _3_MONTHS, _6_MONTHS), so at most three entries.
  std::vector<int> handover_callback_months = {1, 3, 6};
  // Warranty-expiry reminder this many days before the warranty ends (003: "1 month").
  int warranty_reminder_lead_days = 30;
  // An unsatisfied callback goes back to the repair side within this many hours (001).
  int rework_return_hours = 24;
  // Unanswered calls before the callback is given up (status failed).
  int max_attempts = 3;
  // Callbacks per agent per week (001).
  int agent_weekly_target = 18;
  // Owner messages (issue 18): the quiet window in local minutes of the day (it may span
  // midnight; start == end: none) and the non-urgent messages per owner and local day.
  int quiet_start_minute = 21 * 60;
  int quiet_end_minute = 8 * 60;
  int owner_daily_message_cap = 10;

  // --- Not (yet) in the shared Policy proto: defaults of this service, see the README. ---
  // Minutes until the next try after the n-th unanswered call; the last entry repeats. Default:
  // two hours later on the same day (another time of day), then the next day.
  std::vector<int> retry_after_minutes = {120, 24 * 60};
  // Components whose repair is safety-related (2 days): gas, electrical, fire safety, elevator,
  // and the main structure.
  std::set<aftercare::v1::Component> safety_components = {
      aftercare::v1::COMPONENT_GAS, aftercare::v1::COMPONENT_ELECTRICAL,
      aftercare::v1::COMPONENT_FIRE_SAFETY, aftercare::v1::COMPONENT_ELEVATOR,
      aftercare::v1::COMPONENT_STRUCTURE};
  // Components whose repair is a leak (3 days): roof, bathroom and exterior-wall waterproofing,
  // water supply and drainage.
  std::set<aftercare::v1::Component> leak_components = {
      aftercare::v1::COMPONENT_ROOF_WATERPROOFING, aftercare::v1::COMPONENT_BATHROOM_WATERPROOFING,
      aftercare::v1::COMPONENT_EXTERIOR_WALL, aftercare::v1::COMPONENT_PLUMBING};
  // An emergency (threatens safety or basic living) is called back like a safety repair.
  bool emergency_is_safety = true;
  // Periodic and warranty callbacks are created this many days before they are due, so they
  // appear on the pool early enough to plan, and handover corrections before then still count.
  int create_ahead_days = 7;
  // ... and up to this many days after their day, for units registered late; older milestones
  // are not created at all (a unit handed over years ago needs no "1 month" call).
  int backfill_days = 30;

  // Warranty periods in years from the handover date (DOMAIN §1), from Policy.ticket.
  std::map<aftercare::v1::Component, int> warranty_years = {
      {aftercare::v1::COMPONENT_STRUCTURE, 50},
      {aftercare::v1::COMPONENT_ROOF_WATERPROOFING, 5},
      {aftercare::v1::COMPONENT_BATHROOM_WATERPROOFING, 5},
      {aftercare::v1::COMPONENT_EXTERIOR_WALL, 5},
      {aftercare::v1::COMPONENT_ELECTRICAL, 2},
      {aftercare::v1::COMPONENT_PLUMBING, 2},
      {aftercare::v1::COMPONENT_HEATING, 2},
      {aftercare::v1::COMPONENT_DECORATION, 2},
      {aftercare::v1::COMPONENT_DOOR_WINDOW, 2},
      {aftercare::v1::COMPONENT_ELEVATOR, 2},
      {aftercare::v1::COMPONENT_FIRE_SAFETY, 2},
      {aftercare::v1::COMPONENT_GAS, 2},
      {aftercare::v1::COMPONENT_OTHER, 1},
  };

  static CallbackPolicy defaults() { return CallbackPolicy{}; }

  // Takes every field set in policy.callback() and policy.ticket().warranty_years() and keeps the
  // current value of the others. Returns "" or an error naming the first bad field (e.g.
  // "callback.max_attempts must be between 1 and 20"); on error *this is unchanged.
  std::string apply_overrides(const aftercare::v1::Policy& policy);

  // Unknown components (only possible for an unvalidated enum) fall back to `other`.
  int warranty_years_of(aftercare::v1::Component component) const;
};

}  // namespace aftercare::callback::domain
