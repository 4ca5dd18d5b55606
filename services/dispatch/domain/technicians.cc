#include "dispatch/domain/technicians.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "dispatch/domain/names.h"

namespace aftercare::dispatch::domain {
namespace {

constexpr int kMinutesPerDay = 24 * 60;

bool digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

}  // namespace

std::optional<int> parse_clock(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  std::string_view h = text.substr(0, 2), m = text.substr(3, 2);
  if (!digits(h) || !digits(m)) return std::nullopt;
  int hours = number(h), minutes = number(m);
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

std::string format_clock(int minutes) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minutes / 60) % 100, minutes % 60);
  return buf;
}

std::optional<absl::CivilDay> parse_day(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  std::string_view y = text.substr(0, 4), m = text.substr(5, 2), d = text.substr(8, 2);
  if (!digits(y) || !digits(m) || !digits(d)) return std::nullopt;
  absl::CivilDay day(number(y), number(m), number(d));
  // CivilDay normalises 2026-02-30 to 2026-03-02: such a day does not exist.
  if (day.year() != number(y) || day.month() != number(m) || day.day() != number(d))
    return std::nullopt;
  return day;
}

std::string format_day(absl::CivilDay day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(day.year() % 10000),
                day.month(), day.day());
  return buf;
}

absl::CivilDay week_start(absl::CivilDay day) {
  // absl::GetWeekday: Monday is the first weekday.
  return absl::PrevWeekday(day + 1, absl::Weekday::monday);
}

Job job_for(std::string party_id, aftercare::v1::TicketCategory category,
            const std::optional<Window>& appointment, absl::Time now, absl::TimeZone zone) {
  Job job;
  job.party_id = std::move(party_id);
  job.category = category;
  if (!appointment) {
    job.day = absl::CivilDay(absl::ToCivilMinute(now, zone));
    return job;
  }
  absl::CivilMinute start = absl::ToCivilMinute(appointment->start, zone);
  job.day = absl::CivilDay(start);
  absl::CivilMinute midnight(job.day);
  // The end rounds up to the minute: a window ending at 17:30:30 ends after 17:30.
  absl::CivilMinute end = absl::ToCivilMinute(appointment->end, zone);
  if (absl::FromCivil(end, zone) < appointment->end) end += 1;
  job.window =
      std::pair<int, int>(static_cast<int>(start - midnight), static_cast<int>(end - midnight));
  return job;
}

Unfit unfit(const Candidate& c, const Job& job) {
  const TechnicianInfo& t = c.technician;
  if (!t.active) return Unfit::kInactive;
  if (t.party_id != job.party_id) return Unfit::kOtherParty;
  if (!t.trades.contains(job.category)) return Unfit::kTrade;
  if (t.days_off.contains(job.day)) return Unfit::kDayOff;
  if (job.window && (job.window->first < t.work_start || job.window->second > t.work_end ||
                     job.window->second > kMinutesPerDay))
    return Unfit::kOutsideHours;
  if (c.load.busy) return Unfit::kBusy;
  if (c.load.assigned_on_day >= t.daily_cap) return Unfit::kAtCap;
  return Unfit::kFits;
}

std::string describe(Unfit reason, const Candidate& c, const Job& job) {
  const TechnicianInfo& t = c.technician;
  const std::string& id = t.technician_id;
  switch (reason) {
    case Unfit::kFits:
      return "";
    case Unfit::kInactive:
      return id + " is inactive";
    case Unfit::kOtherParty:
      return id + " belongs to " + t.party_id + ", not " + job.party_id;
    case Unfit::kTrade:
      return id + " does not cover " + public_name(job.category);
    case Unfit::kDayOff:
      return id + " has the day off on " + format_day(job.day);
    case Unfit::kOutsideHours:
      return id + " works " + format_clock(t.work_start) + "-" + format_clock(t.work_end) +
             ", the appointment is outside";
    case Unfit::kBusy:
      return id + " has another appointment at that time";
    case Unfit::kAtCap:
      return id + " already has " + std::to_string(c.load.assigned_on_day) + " work orders on " +
             format_day(job.day) + " (daily cap " + std::to_string(t.daily_cap) + ")";
  }
  return "";
}

AutoChoice choose_technician(const std::vector<Candidate>& candidates, const Job& job) {
  AutoChoice out;
  const Candidate* best = nullptr;
  auto key = [](const Candidate& c) {
    return std::tie(c.load.open_on_day, c.load.assigned_in_week, c.technician.technician_id);
  };
  std::vector<const Candidate*> sorted;
  for (const Candidate& c : candidates) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](const Candidate* a, const Candidate* b) {
    return a->technician.technician_id < b->technician.technician_id;
  });
  std::string reasons;
  for (const Candidate* c : sorted) {
    Unfit u = unfit(*c, job);
    if (u == Unfit::kFits) {
      if (best == nullptr || key(*c) < key(*best)) best = c;
      continue;
    }
    // Technicians of other parties are not worth mentioning.
    if (u == Unfit::kOtherParty) continue;
    reasons += (reasons.empty() ? "" : "; ") + describe(u, *c, job);
  }
  if (best != nullptr) {
    out.technician_id = best->technician.technician_id;
    out.load_before = best->load.assigned_on_day;
    return out;
  }
  out.error = "no technician of " + job.party_id + " can take a " + public_name(job.category) +
              " job on " + format_day(job.day) + ": " +
              (reasons.empty() ? "the party has no technicians" : reasons);
  return out;
}

ManualCheck check_manual(const Candidate& c, const Job& job, bool may_exceed_cap, bool has_reason) {
  ManualCheck out;
  Unfit u = unfit(c, job);
  if (u == Unfit::kFits) return out;
  if (u != Unfit::kAtCap) {
    out.error = describe(u, c, job);
    return out;
  }
  if (!may_exceed_cap) {
    out.error = describe(u, c, job) + "; only a dispatcher may exceed the cap";
  } else if (!has_reason) {
    out.error = describe(u, c, job) + "; a reason is required to exceed the cap";
  } else {
    out.over_cap = true;
  }
  return out;
}

std::string check_clock(std::string_view value, std::string_view field) {
  if (parse_clock(value)) return "";
  return std::string(field) + " must be a local time HH:MM (00:00-23:59)";
}

std::string check_hours(std::string_view start, std::string_view end) {
  if (std::string e = check_clock(start, "work_start"); !e.empty()) return e;
  if (std::string e = check_clock(end, "work_end"); !e.empty()) return e;
  if (*parse_clock(end) <= *parse_clock(start)) return "work_end must be after work_start";
  return "";
}

std::string check_days_off(const std::vector<std::string>& days, size_t max_days) {
  if (days.size() > max_days)
    return "days_off must list at most " + std::to_string(max_days) + " days";
  std::set<absl::CivilDay> seen;
  for (const std::string& d : days) {
    std::optional<absl::CivilDay> day = parse_day(d);
    if (!day) return "days_off must hold dates YYYY-MM-DD, got '" + d.substr(0, 20) + "'";
    if (!seen.insert(*day).second) return "days_off lists " + d + " twice";
  }
  return "";
}

std::string check_daily_cap(int cap, int max_cap) {
  if (cap >= 1 && cap <= max_cap) return "";
  return "daily_cap must be between 1 and " + std::to_string(max_cap);
}

}  // namespace aftercare::dispatch::domain
