// Life cycle of a work order and the rules of its actions (DOMAIN §2, DESIGN work-order status):
//
//   created -> accepted -> scheduled -> in_progress -> completed -> signed_off
//   accepted -> in_progress            (on site without an appointment, e.g. an emergency)
//   scheduled -> scheduled             (reschedule, recorded)
//   created | accepted -> declined     (the assignee refuses; dispatch routes anew)
//   created | accepted | scheduled -> created   (reassigned to another party, new deadline)
//   created | accepted | scheduled | in_progress -> rerouted   (late builder replaced)
//   created | accepted | scheduled | in_progress -> cancelled
//
// signed_off, rerouted, declined and cancelled are final. A completed order becomes signed_off
// once the owner AND maintenance have signed; the verifier's signature is the acceptance (验收)
// and may come before or after. A refused action names the current state.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "aftercare/v1/dispatch.pb.h"
#include "dispatch/domain/policy.h"

namespace aftercare::dispatch::domain {

using aftercare::v1::WorkOrderStatus;

bool can_transition(WorkOrderStatus from, WorkOrderStatus to);
bool is_final(WorkOrderStatus status);
// Work still to do by the assignee: created, accepted, scheduled, in_progress.
bool is_open(WorkOrderStatus status);

enum class Action {
  kAccept,
  kDecline,
  kSchedule,
  kStart,
  kComplete,
  kSignOff,
  kReassign,
  kCancel,
  kReportLate,
  kVerify,
  kIssueQuote,
  kConfirmQuote,
  kReroute,
  kAssignTechnician,
};
std::string_view action_name(Action action);  // "accept", "sign off", ...
// The statuses in which `action` may be taken.
const std::vector<WorkOrderStatus>& allowed_from(Action action);
// "" when allowed, else e.g. "cannot accept a work order that is completed (accept needs
// created)". Goes out as FAILED_PRECONDITION.
std::string action_error(Action action, WorkOrderStatus current);

// Before work starts on site: a paid repair needs the owner's confirmed quote, and a large job
// (estimate >= threshold) needs the verifier's on-site check first. "" or the reason.
std::string start_error(const aftercare::v1::WorkOrder& order, const DispatchPolicy& policy);

// The verifier's finding on liability decides who pays, as long as work has not started:
// owner -> paid repair (quote first); builder or property -> free to the owner; no defect ->
// unchanged. nullopt = leave `paid` as it is.
std::optional<bool> paid_after_verification(const aftercare::v1::WorkOrder& order,
                                            aftercare::v1::Liability liability);

// Sign-off: which signers make an order signed_off (owner and maintenance).
bool sign_off_complete(const std::set<aftercare::v1::Signer>& signers);
std::set<aftercare::v1::Signer> signers_of(const aftercare::v1::WorkOrder& order);
// Before signing: the order must be completed; the verifier's acceptance may also follow the
// sign-off. A signer who already signed changes nothing (kAlreadySigned), so a retried request
// is harmless.
enum class SignOffCheck { kSign, kAlreadySigned };
struct SignOffVerdict {
  SignOffCheck check = SignOffCheck::kSign;
  std::string error;  // non-empty: refused (FAILED_PRECONDITION)
};
SignOffVerdict check_sign_off(const aftercare::v1::WorkOrder& order, aftercare::v1::Signer signer);

// Appointments: half-open windows [start, end). Two windows of one technician (or of one party
// when no technician is named) must not overlap; touching windows (10-12 and 12-14) do not.
struct Window {
  absl::Time start;
  absl::Time end;
};
bool overlaps(const Window& a, const Window& b);
// Index of the first window of `held` that `wanted` overlaps, nullopt when it fits.
std::optional<size_t> first_conflict(const Window& wanted, const std::vector<Window>& held);
// end after start, at most max_appointment_hours long, not starting in the past. "" or an
// error that names "start" or "end".
std::string check_window(const Window& window, absl::Time now, const DispatchPolicy& policy);
// Who cannot be in two places at once: "technician:<id>", or "party:<id>" without technician.
std::string appointment_resource(std::string_view technician_id, std::string_view party_id);
// When the day-before reminder is due.
absl::Time reminder_due(const Window& window, const DispatchPolicy& policy);

// Quotes for paid repairs. A new quote may replace an issued or declined one, never a
// confirmed one; confirming needs the current, issued, unexpired quote.
std::string issue_quote_error(const aftercare::v1::WorkOrder& order);
std::string confirm_quote_error(const aftercare::v1::WorkOrder& order, std::string_view quote_id,
                                absl::Time now);

// Warranty work that someone else did in the builder's place (reroute, emergency crew, a crew
// standing in for a missing builder): its cost is advanced by the property company and charged
// back to the liable builder (WarrantyCostAdvanced, consumed by billing).
bool advances_warranty_cost(const aftercare::v1::WorkOrder& order);

// For the callback deadlines (DOMAIN §3): safety 2 days, leaks 3 days, the rest 7.
bool is_safety_related(aftercare::v1::Component component, aftercare::v1::Urgency urgency);
bool is_leak(aftercare::v1::Component component);

// The rework count of an order that redoes `original` (1 for the first rework).
int rework_count_after(const aftercare::v1::WorkOrder& original);

}  // namespace aftercare::dispatch::domain
