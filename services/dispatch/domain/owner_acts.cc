#include "dispatch/domain/owner_acts.h"

#include "dispatch/domain/names.h"

namespace aftercare::dispatch::domain {
namespace {

using aftercare::v1::OnBehalf;
using aftercare::v1::WorkOrder;

Verdict invalid(std::string field, std::string message) {
  return {Verdict::kInvalid, std::move(field), std::move(message)};
}
Verdict forbidden(std::string message) {
  return {Verdict::kForbidden, "", std::move(message)};
}
Verdict precondition(std::string message) {
  return {Verdict::kPrecondition, "", std::move(message)};
}

std::string_view act_name(OwnerAct act) {
  switch (act) {
    case OwnerAct::kSignOff:
      return "sign off as the owner";
    case OwnerAct::kDecideQuote:
      return "decide on quotes";
    case OwnerAct::kAppointmentConsent:
      return "agree to appointments";
    case OwnerAct::kRate:
      return "rate work orders";
    case OwnerAct::kApprovePlan:
      return "approve repair plans";
  }
  return "act for the owner";
}

// The on_behalf object itself: a known method, and paper_slip needs the slip.
Verdict check_given(const OnBehalf& given) {
  if (given.method() != aftercare::v1::ON_BEHALF_METHOD_PAPER_SLIP &&
      given.method() != aftercare::v1::ON_BEHALF_METHOD_PHONE) {
    return invalid("on_behalf.method", "must be " + one_of<aftercare::v1::OnBehalfMethod>());
  }
  if (given.method() == aftercare::v1::ON_BEHALF_METHOD_PAPER_SLIP &&
      given.attachment_id().empty()) {
    return invalid("on_behalf.attachment_id",
                   "is required for paper_slip (the signed slip, an attachment of the ticket)");
  }
  return {};
}

}  // namespace

OwnerActDecision decide_owner_act(OwnerAct act, Recorder who, const OnBehalf* given) {
  OwnerActDecision d;
  std::string what(act_name(act));
  if (who == Recorder::kOwner) {
    if (given) {
      d.verdict = invalid("on_behalf",
                          "is for staff recording the owner's act; the owner acts "
                          "in person");
    }
    return d;
  }
  bool may = false;        // may record the act at all
  bool implicit = false;   // without on_behalf, taken as the phone
  bool slip_only = false;  // only with the signed paper slip
  switch (who) {
    case Recorder::kAgent:
      may = true;
      implicit = act != OwnerAct::kSignOff;  // the agent heard it on the phone
      break;
    case Recorder::kDispatcher:
      may = act != OwnerAct::kRate;
      break;
    case Recorder::kAssignee:
      may = act != OwnerAct::kRate;
      slip_only = act == OwnerAct::kSignOff || act == OwnerAct::kDecideQuote ||
                  act == OwnerAct::kApprovePlan;
      break;
    default:
      break;
  }
  if (!may) {
    d.verdict = forbidden("may not " + what);
    return d;
  }
  if (!given) {
    if (!implicit) {
      d.verdict =
          forbidden("may " + what + " only with on_behalf (the owner's paper slip or phone call)");
      return d;
    }
    OnBehalf phone;
    phone.set_method(aftercare::v1::ON_BEHALF_METHOD_PHONE);
    d.recorded = phone;
    return d;
  }
  d.verdict = check_given(*given);
  if (!d.verdict.ok()) return d;
  if (slip_only && given->method() != aftercare::v1::ON_BEHALF_METHOD_PAPER_SLIP) {
    d.verdict = invalid("on_behalf.method",
                        "must be paper_slip when the assigned party records the owner's act");
    return d;
  }
  d.recorded = *given;
  return d;
}

Verdict check_slip_attachment(const OnBehalf& on_behalf,
                              const std::optional<std::string>& attachment_ticket,
                              std::string_view ticket_id) {
  if (on_behalf.attachment_id().empty()) return {};
  if (!attachment_ticket || *attachment_ticket != ticket_id) {
    return invalid("on_behalf.attachment_id", "is not an attachment of ticket " +
                                                  std::string(ticket_id) +
                                                  " (upload the signed slip to the ticket first)");
  }
  return {};
}

namespace {

// The owner answers (`verb`: confirm, refuse) only an appointment of a scheduled order; true when
// the owner already agreed to its window and no change of it waits.
std::optional<Verdict> needs_scheduled(const WorkOrder& order, const char* verb, bool* agreed) {
  if (order.status() != aftercare::v1::WORK_ORDER_STATUS_SCHEDULED || !order.has_appointment()) {
    return precondition(std::string("cannot ") + verb +
                        " the appointment of a work order that is " + public_name(order.status()) +
                        " (needs scheduled)");
  }
  *agreed = order.appointment().has_confirmed_at() && !order.appointment_change_pending();
  return std::nullopt;
}

}  // namespace

Verdict check_confirm_appointment(const WorkOrder& order) {
  bool agreed = false;
  if (auto v = needs_scheduled(order, "confirm", &agreed)) return *v;
  if (agreed) return {Verdict::kRepeat, "", "already confirmed"};
  return {};
}

Verdict check_refuse_appointment(const WorkOrder& order) {
  bool agreed = false;
  if (auto v = needs_scheduled(order, "refuse", &agreed)) return *v;
  if (agreed) {
    return precondition(
        "the owner already agreed to this window; a change of it is refused "
        "when the party proposes one");
  }
  return {};
}

bool new_window_awaits_consent(const WorkOrder& order, bool owner_consent_given) {
  if (owner_consent_given) return false;
  return order.appointment().has_confirmed_at() || order.appointment_change_pending();
}

Verdict check_score(int score) {
  if (score < 1 || score > 5) return invalid("score", "must be between 1 and 5");
  return {};
}

Verdict check_rating(const WorkOrder& order) {
  if (order.has_rating()) {
    return {Verdict::kAlreadyExists, "",
            "the owner already rated this work order (" + std::to_string(order.rating().score()) +
                " stars)"};
  }
  if (order.status() != aftercare::v1::WORK_ORDER_STATUS_COMPLETED &&
      order.status() != aftercare::v1::WORK_ORDER_STATUS_SIGNED_OFF) {
    return precondition("cannot rate a work order that is " + public_name(order.status()) +
                        " (needs completed or signed_off)");
  }
  return {};
}

bool plan_awaits_approval(const WorkOrder& order) {
  if (order.verification().plan().empty() || order.paid()) return false;
  if (order.urgency() == aftercare::v1::URGENCY_EMERGENCY) return false;
  return !order.has_plan_approval() || order.plan_approval().plan() != order.verification().plan();
}

Verdict check_approve_plan(const WorkOrder& order) {
  switch (order.status()) {
    case aftercare::v1::WORK_ORDER_STATUS_CREATED:
    case aftercare::v1::WORK_ORDER_STATUS_ACCEPTED:
    case aftercare::v1::WORK_ORDER_STATUS_SCHEDULED:
    case aftercare::v1::WORK_ORDER_STATUS_IN_PROGRESS:
      break;
    default:
      return precondition("cannot approve the plan of a work order that is " +
                          public_name(order.status()));
  }
  if (order.verification().plan().empty()) {
    return precondition(
        "no repair plan awaits the owner's approval (the verifier records it with the "
        "verification)");
  }
  if (order.has_plan_approval() && order.plan_approval().plan() == order.verification().plan()) {
    return {Verdict::kRepeat, "", "already approved"};
  }
  return {};
}

}  // namespace aftercare::dispatch::domain
