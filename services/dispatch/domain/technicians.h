// Technicians of crews and contractors, and the automatic assignment of work orders to them
// (issue 4: "by trade, availability and current load, balanced, no technician over a
// configurable daily cap; dispatchers can override"):
//   - eligible: active, of the order's party, covering the order's category, not on a day off on
//     the order's day (project time zone), the appointment (if any) inside the working hours and
//     not overlapping another appointment of theirs, under the daily cap that day;
//   - among the eligible the least loaded wins: fewest open work orders that day, then fewest
//     that week (Monday-Sunday), then the smallest technician_id (deterministic);
//   - a named technician (manual) must pass every rule except the cap, which a dispatcher may
//     exceed with a reason.
// Pure: loads, days and time zones are parameters.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "dispatch/domain/work_order.h"

namespace aftercare::dispatch::domain {

// "08:30" -> 510 (minutes after local midnight); nullopt unless exactly HH:MM, 00-23 and 00-59.
std::optional<int> parse_clock(std::string_view text);
std::string format_clock(int minutes);  // 510 -> "08:30"
// "2026-11-23" -> that day; nullopt for any other form and for days that do not exist.
std::optional<absl::CivilDay> parse_day(std::string_view text);
std::string format_day(absl::CivilDay day);
// Monday of the week of `day` (weeks run Monday to Sunday).
absl::CivilDay week_start(absl::CivilDay day);

// What assignment knows of a technician.
struct TechnicianInfo {
  std::string technician_id;
  std::string party_id;
  std::set<aftercare::v1::TicketCategory> trades;
  bool active = true;
  int daily_cap = 0;  // effective: the technician's own cap or the project's default
  std::set<absl::CivilDay> days_off;
  int work_start = 0;  // minutes after local midnight
  int work_end = 0;
};

// A technician's work orders that count on the job's day and week. Withdrawn orders
// (cancelled, declined, rerouted) and the order being assigned are not counted.
struct TechnicianLoad {
  int assigned_on_day = 0;   // against the daily cap
  int open_on_day = 0;       // of those, still to do: the balance criterion
  int assigned_in_week = 0;  // Monday-Sunday of the day: the tie-break
  bool busy = false;         // holds another appointment overlapping the job's window
};

// The work to staff.
struct Job {
  std::string party_id;  // the order's assignee party
  aftercare::v1::TicketCategory category = aftercare::v1::TICKET_CATEGORY_UNSPECIFIED;
  absl::CivilDay day;  // the appointment's local day, else the local day of the assignment
  // The appointment in minutes after the local midnight of `day` (end > 1440 past midnight).
  std::optional<std::pair<int, int>> window;
};

// The job's day and window: the appointment's, in `zone`, or today (at `now`) without window.
Job job_for(std::string party_id, aftercare::v1::TicketCategory category,
            const std::optional<Window>& appointment, absl::Time now, absl::TimeZone zone);

struct Candidate {
  TechnicianInfo technician;
  TechnicianLoad load;
};

// Why a technician cannot take the job, checked in this order; kFits when it can.
enum class Unfit { kFits, kInactive, kOtherParty, kTrade, kDayOff, kOutsideHours, kBusy, kAtCap };
Unfit unfit(const Candidate& candidate, const Job& job);
// "tech-1 has the day off on 2026-11-23", "tech-2 already has 6 work orders on 2026-11-23 (daily
// cap 6)"...; "" for kFits.
std::string describe(Unfit reason, const Candidate& candidate, const Job& job);

// The automatic choice. technician_id "" = nobody fits and `error` says why for each candidate
// ("no technician of C-crew can take a decoration job on 2026-11-23: ...").
struct AutoChoice {
  std::string technician_id;
  int load_before = 0;  // assigned_on_day of the chosen one
  std::string error;
};
AutoChoice choose_technician(const std::vector<Candidate>& candidates, const Job& job);

// A named technician: every rule but the cap must hold (error otherwise). At the cap the
// assignment needs `may_exceed_cap` (dispatcher or admin) and a reason; then over_cap is true.
struct ManualCheck {
  std::string error;
  bool over_cap = false;
};
ManualCheck check_manual(const Candidate& candidate, const Job& job, bool may_exceed_cap,
                         bool has_reason);

// Upsert input. Each returns "" or "<field> why".
std::string check_clock(std::string_view value, std::string_view field);
// Start strictly before end, both HH:MM (no overnight shifts).
std::string check_hours(std::string_view start, std::string_view end);
// Valid, distinct days, at most max_days of them.
std::string check_days_off(const std::vector<std::string>& days, size_t max_days);
// 1..max_cap.
std::string check_daily_cap(int cap, int max_cap);

}  // namespace aftercare::dispatch::domain
