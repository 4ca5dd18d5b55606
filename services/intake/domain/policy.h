// The numbers of DOMAIN §1 as one value: every deadline, warranty, escalation threshold and fine
// is a platform default that a project may override (Policy.ticket in common.proto). Domain
// functions take the policy as a parameter so no rule ever hides a number.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"

namespace aftercare::intake::domain {

struct IntakePolicy {
  // Years from the unit's handover date (保修期); the main structure lasts its design life.
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
  // Working days from the report day to resolve (第十二条).
  std::map<aftercare::v1::TicketCategory, int> resolve_working_days = {
      {aftercare::v1::TICKET_CATEGORY_HOUSE_QUALITY, 30},
      {aftercare::v1::TICKET_CATEGORY_DECORATION, 15},
      {aftercare::v1::TICKET_CATEGORY_PUBLIC_FACILITY, 30},
      {aftercare::v1::TICKET_CATEGORY_OTHER, 15},
  };
  // Emergencies: someone on site within this many minutes, 24 h a day.
  int emergency_response_minutes = 120;
  // Normal requests: the engineer contacts the owner by the end of this working day.
  int normal_response_working_days = 1;
  // Complaints get a reply within this many hours, even over a weekend.
  int complaint_reply_hours = 24;
  // An agent may type in a call taken earlier, but not an arbitrarily old one.
  int max_backdate_days = 30;
  // Report number (recurrence) of the same issue at which escalation starts (投诉上移制).
  int repair_level1_at_report = 3;
  int repair_level2_at_report = 4;
  int complaint_level1_at_report = 2;
  int complaint_level2_at_report = 3;
  // Range of a level-1 fine (累计处罚制); the fine requested automatically is the minimum.
  int64_t fine_min_fen = 20000;
  int64_t fine_max_fen = 100000;
  // Level 2 (HQ) multiplies the fine.
  int level2_fine_multiplier = 2;
  // Defects found at a handover inspection are rectified by the builder within this many working
  // days (issue 19).
  int rectification_working_days = 15;
  // The platform proposes an incident when this many units of one building report the same
  // public component within this many minutes (issue 23, Policy.incidents).
  int incident_proposal_min_units = 2;
  int incident_proposal_window_minutes = 120;
  // Not a business number: clocks of the agent's device and the server differ a little, and a
  // report typed "now" must not be refused as coming from the future. Not overridable.
  absl::Duration clock_skew_allowance = absl::Minutes(2);

  // The DOMAIN defaults (the member initialisers above); named for readability at call sites.
  static IntakePolicy defaults() { return IntakePolicy{}; }

  // Takes every field set in `policy.ticket()` and keeps the current value of the others.
  // Returns "" on success, else an error naming the first bad field (proto field path, e.g.
  // "ticket.resolve_working_days.decoration must be between 1 and 365"); on error *this is
  // left unchanged, so a half-applied policy never exists.
  std::string apply_overrides(const aftercare::v1::Policy& policy);

  // The effective values with every field set, for GetPolicy and PolicyUpdated.
  void to_proto(aftercare::v1::TicketPolicy* out) const;
  void to_proto(aftercare::v1::IncidentPolicy* out) const;

  // A component or category missing from the maps (only possible for an unvalidated enum) gets
  // the catch-all `other` rule rather than undefined behaviour.
  int warranty_years_of(aftercare::v1::Component component) const;
  int resolve_working_days_of(aftercare::v1::TicketCategory category) const;
};

}  // namespace aftercare::intake::domain
