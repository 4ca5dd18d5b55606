#include "dispatch/domain/work_order.h"

#include <algorithm>
#include <map>

#include "dispatch/domain/names.h"
#include "dispatch/domain/owner_acts.h"

namespace aftercare::dispatch::domain {
namespace {

using enum aftercare::v1::WorkOrderStatus;
using aftercare::v1::Signer;

constexpr WorkOrderStatus kCreated = WORK_ORDER_STATUS_CREATED;
constexpr WorkOrderStatus kAccepted = WORK_ORDER_STATUS_ACCEPTED;
constexpr WorkOrderStatus kScheduled = WORK_ORDER_STATUS_SCHEDULED;
constexpr WorkOrderStatus kInProgress = WORK_ORDER_STATUS_IN_PROGRESS;
constexpr WorkOrderStatus kCompleted = WORK_ORDER_STATUS_COMPLETED;
constexpr WorkOrderStatus kSignedOff = WORK_ORDER_STATUS_SIGNED_OFF;

// The status an action leads to (sign-off only when the last required signer signs).
struct ActionRule {
  std::string_view name;
  std::vector<WorkOrderStatus> from;
  std::optional<WorkOrderStatus> to;
};

const std::map<Action, ActionRule>& rules() {
  static const std::map<Action, ActionRule> table = {
      {Action::kAccept, {"accept", {kCreated}, kAccepted}},
      {Action::kDecline, {"decline", {kCreated, kAccepted}, WORK_ORDER_STATUS_DECLINED}},
      {Action::kSchedule, {"schedule", {kAccepted, kScheduled}, kScheduled}},
      {Action::kStart, {"start", {kAccepted, kScheduled}, kInProgress}},
      {Action::kComplete, {"complete", {kInProgress}, kCompleted}},
      {Action::kSignOff, {"sign off", {kCompleted, kSignedOff}, kSignedOff}},
      {Action::kReassign, {"reassign", {kCreated, kAccepted, kScheduled}, kCreated}},
      {Action::kCancel,
       {"cancel", {kCreated, kAccepted, kScheduled, kInProgress}, WORK_ORDER_STATUS_CANCELLED}},
      {Action::kReportLate, {"report late", {kAccepted, kScheduled}, std::nullopt}},
      {Action::kVerify,
       {"record a verification for",
        {kCreated, kAccepted, kScheduled, kInProgress, kCompleted},
        std::nullopt}},
      {Action::kIssueQuote, {"issue a quote for", {kCreated, kAccepted, kScheduled}, std::nullopt}},
      {Action::kConfirmQuote,
       {"decide on the quote of", {kCreated, kAccepted, kScheduled}, std::nullopt}},
      {Action::kReroute,
       {"reroute", {kCreated, kAccepted, kScheduled, kInProgress}, WORK_ORDER_STATUS_REROUTED}},
      {Action::kAssignTechnician,
       {"assign a technician to", {kCreated, kAccepted, kScheduled}, std::nullopt}},
  };
  return table;
}

bool contains(const std::vector<WorkOrderStatus>& list, WorkOrderStatus s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

bool can_transition(WorkOrderStatus from, WorkOrderStatus to) {
  for (const auto& [action, rule] : rules()) {
    if (!rule.to || *rule.to != to || !contains(rule.from, from)) continue;
    // Signing an already signed-off order is the verifier's acceptance, not a transition.
    if (action == Action::kSignOff && from == kSignedOff) continue;
    return true;
  }
  return false;
}

bool is_final(WorkOrderStatus status) {
  return status == kSignedOff || status == WORK_ORDER_STATUS_REROUTED ||
         status == WORK_ORDER_STATUS_DECLINED || status == WORK_ORDER_STATUS_CANCELLED;
}

bool is_open(WorkOrderStatus status) {
  return status == kCreated || status == kAccepted || status == kScheduled || status == kInProgress;
}

std::string_view action_name(Action action) {
  return rules().at(action).name;
}

const std::vector<WorkOrderStatus>& allowed_from(Action action) {
  return rules().at(action).from;
}

std::string action_error(Action action, WorkOrderStatus current) {
  const ActionRule& rule = rules().at(action);
  if (contains(rule.from, current)) return "";
  std::string needs;
  for (size_t i = 0; i < rule.from.size(); ++i) {
    needs += (i == 0 ? "" : i + 1 == rule.from.size() ? " or " : ", ") + public_name(rule.from[i]);
  }
  std::string message = "cannot " + std::string(rule.name) + " a work order that is " +
                        public_name(current) + " (needs " + needs + ")";
  if (is_final(current)) message += "; " + public_name(current) + " is final";
  return message;
}

std::string start_error(const aftercare::v1::WorkOrder& order, const DispatchPolicy& policy) {
  bool large = order.has_estimate_fen() && order.estimate_fen() >= policy.large_job_threshold_fen;
  if (large && !order.has_verification()) {
    return "a large job starts only after the verifier's on-site check";
  }
  if (plan_awaits_approval(order)) {
    return "the owner has not approved the repair plan yet (approve-plan; 保修实施先得到业主确认)";
  }
  if (order.appointment_change_pending()) {
    return "the owner has not agreed to the changed appointment window yet (confirm-appointment; "
           "refuse-appointment sends the order back)";
  }
  if (!order.paid()) return "";
  if (order.quote().status() == aftercare::v1::QUOTE_STATUS_CONFIRMED) return "";
  if (order.quote().quote_id().empty()) {
    return "a paid repair starts only after the owner confirmed a quote; no quote was issued";
  }
  return "a paid repair starts only after the owner confirmed the quote; the quote is " +
         public_name(order.quote().status());
}

std::optional<bool> paid_after_verification(const aftercare::v1::WorkOrder& order,
                                            aftercare::v1::Liability liability) {
  WorkOrderStatus s = order.status();
  if (s != kCreated && s != kAccepted && s != kScheduled) return std::nullopt;
  switch (liability) {
    case aftercare::v1::LIABILITY_OWNER:
      return true;
    case aftercare::v1::LIABILITY_BUILDER:
    case aftercare::v1::LIABILITY_PROPERTY:
      return false;
    default:
      return std::nullopt;
  }
}

std::set<Signer> signers_of(const aftercare::v1::WorkOrder& order) {
  std::set<Signer> out;
  for (const auto& s : order.sign_offs()) out.insert(s.signer());
  return out;
}

bool sign_off_complete(const std::set<Signer>& signers) {
  return signers.contains(aftercare::v1::SIGNER_OWNER) &&
         signers.contains(aftercare::v1::SIGNER_MAINTENANCE);
}

SignOffVerdict check_sign_off(const aftercare::v1::WorkOrder& order, Signer signer) {
  SignOffVerdict v;
  WorkOrderStatus status = order.status();
  if (signers_of(order).contains(signer) && (status == kCompleted || status == kSignedOff)) {
    v.check = SignOffCheck::kAlreadySigned;
    return v;
  }
  if (status == kCompleted) return v;
  if (status == kSignedOff && signer == aftercare::v1::SIGNER_VERIFIER) return v;
  if (status == kSignedOff) {
    v.error = "the work order is already signed_off";
    return v;
  }
  v.error = "cannot sign off a work order that is " + public_name(status) + " (needs completed)";
  if (is_final(status)) v.error += "; " + public_name(status) + " is final";
  return v;
}

bool overlaps(const Window& a, const Window& b) {
  return a.start < b.end && b.start < a.end;
}

std::optional<size_t> first_conflict(const Window& wanted, const std::vector<Window>& held) {
  for (size_t i = 0; i < held.size(); ++i) {
    if (overlaps(wanted, held[i])) return i;
  }
  return std::nullopt;
}

std::string check_window(const Window& window, absl::Time now, const DispatchPolicy& policy) {
  if (window.end <= window.start) return "end must be after start";
  if (window.end - window.start > absl::Hours(policy.max_appointment_hours)) {
    return "end must be at most " + std::to_string(policy.max_appointment_hours) +
           " hours after start";
  }
  if (window.start < now - policy.clock_skew_allowance) return "start must not be in the past";
  return "";
}

std::string appointment_resource(std::string_view technician_id, std::string_view party_id) {
  if (!technician_id.empty()) return "technician:" + std::string(technician_id);
  return "party:" + std::string(party_id);
}

absl::Time reminder_due(const Window& window, const DispatchPolicy& policy) {
  return window.start - absl::Hours(policy.appointment_reminder_lead_hours);
}

std::string issue_quote_error(const aftercare::v1::WorkOrder& order) {
  if (!order.paid()) return "only a paid (out-of-warranty) repair gets a quote";
  if (order.quote().status() == aftercare::v1::QUOTE_STATUS_CONFIRMED) {
    return "the owner already confirmed quote " + order.quote().quote_id();
  }
  return "";
}

std::string confirm_quote_error(const aftercare::v1::WorkOrder& order, std::string_view quote_id,
                                absl::Time now) {
  const aftercare::v1::Quote& q = order.quote();
  if (q.quote_id().empty()) return "no quote was issued for this work order";
  if (q.quote_id() != quote_id)
    return "quote " + std::string(quote_id) + " is not the current quote";
  if (q.status() != aftercare::v1::QUOTE_STATUS_ISSUED) {
    return "the quote is already " + public_name(q.status());
  }
  if (q.has_valid_until() && now > absl::FromUnixSeconds(q.valid_until().seconds()) +
                                       absl::Nanoseconds(q.valid_until().nanos())) {
    return "the quote expired; a new one must be issued";
  }
  return "";
}

bool advances_warranty_cost(const aftercare::v1::WorkOrder& order) {
  return order.in_warranty() && !order.paid() &&
         order.assignee_kind() != aftercare::v1::PARTY_KIND_BUILDER &&
         !order.builder_party_id().empty() && order.has_cost_fen() && order.cost_fen() > 0;
}

bool is_safety_related(aftercare::v1::Component component, aftercare::v1::Urgency urgency) {
  using enum aftercare::v1::Component;
  if (urgency == aftercare::v1::URGENCY_EMERGENCY) return true;
  return component == COMPONENT_GAS || component == COMPONENT_ELECTRICAL ||
         component == COMPONENT_FIRE_SAFETY || component == COMPONENT_STRUCTURE;
}

bool is_leak(aftercare::v1::Component component) {
  using enum aftercare::v1::Component;
  return component == COMPONENT_ROOF_WATERPROOFING ||
         component == COMPONENT_BATHROOM_WATERPROOFING || component == COMPONENT_EXTERIOR_WALL ||
         component == COMPONENT_PLUMBING;
}

int rework_count_after(const aftercare::v1::WorkOrder& original) {
  return original.rework_count() + 1;
}

}  // namespace aftercare::dispatch::domain
