// Owner outreach (issue 18): who is told what, in which words, and when. Pure decisions with the
// clock and the project's zone passed in; each returns what follows from it (its effects), the
// use cases in app/outreach.cc carry them out.
//
// Rules:
// - Kinds are the public names of the contract (appointment_scheduled ... announcement). Urgent
//   kinds (incident_notice) cannot be opted out; a message about an emergency repair is urgent
//   too. Urgent messages go at once: no quiet hours, no daily cap, no opt-out.
// - Non-urgent: an opted-out kind is suppressed (kept in the log, never posted); in quiet hours
//   (default 21:00-08:00 local) it is held until the end of the window; past the daily cap
//   (default 10 per owner and local day, counting non-urgent messages planned for that day) it
//   is held to the next day's end of quiet hours.
// - A failed post is retried after 1 min, 5 min, 30 min, 2 h, then the message is failed.
// - Receipts move a message forward only: queued/held/sent -> delivered or failed; delivered and
//   failed are final; suppressed never changes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "callback/domain/policy.h"

namespace aftercare::callback::domain {

// Every kind of the contract, in its order.
const std::vector<std::string>& message_kinds();
bool is_message_kind(const std::string& kind);
// Kinds that are always urgent (and so cannot be opted out).
bool is_urgent_kind(const std::string& kind);

inline constexpr const char* kChannels[] = {"sms", "wechat", "app"};
bool is_channel(const std::string& channel);

struct OutreachPolicy {
  int quiet_start_minute = 21 * 60;  // local minute of day the quiet window starts
  int quiet_end_minute = 8 * 60;     // ... and ends (may be earlier: the window spans midnight)
  int daily_cap = 10;                // non-urgent messages per owner and local day
  std::vector<absl::Duration> retry_after = {absl::Minutes(1), absl::Minutes(5), absl::Minutes(30),
                                             absl::Hours(2)};
  std::string default_channel = "sms";
  static OutreachPolicy defaults() { return OutreachPolicy{}; }
  // The platform's delivery settings with the project's quiet window and daily cap.
  static OutreachPolicy of(const CallbackPolicy& project) {
    OutreachPolicy p;
    p.quiet_start_minute = project.quiet_start_minute;
    p.quiet_end_minute = project.quiet_end_minute;
    p.daily_cap = project.owner_daily_message_cap;
    return p;
  }
};

// Is `t` inside the quiet window, and when does that window end.
bool in_quiet_hours(absl::Time t, absl::TimeZone zone, const OutreachPolicy& policy);
absl::Time quiet_end_after(absl::Time t, absl::TimeZone zone, const OutreachPolicy& policy);

// ---- a new message ------------------------------------------------------------------------------

struct PlanInput {
  std::string kind;
  bool urgent = false;  // the kind's or the cause's (emergency repair)
  bool opted_out = false;
  absl::Time now;
  absl::TimeZone zone;
  // Non-urgent messages of this owner already planned to go on a local day.
  std::function<int(absl::CivilDay)> planned_on;
};
struct Plan {
  std::string status;  // queued, held or suppressed
  absl::Time send_at;  // when the worker may post it
  bool urgent = false;
};
Plan plan_message(const PlanInput& in, const OutreachPolicy& policy);

// ---- templates ----------------------------------------------------------------------------------

// The platform's default zh-CN template of a kind ("" for an unknown kind). Placeholders are
// {name}: unit, window, eta, amount, valid_until, deadline, reason, due_date, component,
// warranty_ends, text.
const std::string& default_template(const std::string& kind);
// Fills {name} placeholders from `facts`; unknown placeholders render as empty text, literal
// braces without a known name are kept.
std::string render(const std::string& tmpl, const std::map<std::string, std::string>& facts);

// Facts spelled for owners, in the project's zone.
std::string format_window(absl::Time start, absl::Time end,
                          absl::TimeZone zone);                    // 12月4日 09:00-11:00
std::string format_local_time(absl::Time t, absl::TimeZone zone);  // 12月4日 09:30
std::string format_date(absl::CivilDay day);                       // 2026年12月4日
std::string format_yuan(int64_t fen);                              // 1234.50
std::string component_name_zh(int component);                      // 卫生间防水
// What a payment reminder or overdue notice names (InvoiceKind's number): 物业费 for property
// fees and unknown kinds (events from before the kind was carried), 装修押金 for a decoration
// deposit, ...
std::string invoice_item_zh(int invoice_kind);

// ---- delivery -----------------------------------------------------------------------------------

struct AttemptEffects {
  std::string status;                 // sent, queued (retry) or failed
  std::optional<absl::Time> next_at;  // set when retried
};
// After the `attempt_no`-th post (1 = the first) succeeded or not.
AttemptEffects after_attempt(int attempt_no, bool ok, absl::Time now, const OutreachPolicy& policy);

// The status a receipt leads to, or nullopt when it would move the message backwards (or the
// message is suppressed): the receipt is then accepted and changes nothing.
std::optional<std::string> after_receipt(const std::string& current, const std::string& receipt);

// A UUID-shaped id derived from the message's cause, so that a redelivered event (even
// re-published with a new event id) names the same message.
std::string message_id_for(const std::string& source_key);

// Issue 23: what the owners in scope of a failure incident are told after its title.
std::string failure_notice_text();

}  // namespace aftercare::callback::domain
