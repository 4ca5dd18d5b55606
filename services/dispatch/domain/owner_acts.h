// Acts of the owner on a work order, and who may record them for an owner without the app
// (issue 23): the owner's sign-off, the decision on a quote, consent to an appointment window and
// the rating of the finished job. The owner acts in person in the app; staff record the same act
// for the owner with how they obtained it (`paper_slip` with the scanned slip, `phone`). The act
// stays the owner's; who recorded it is kept beside it.
//
//   act               owner   agent              dispatcher/admin   assigned party
//   sign-off          yes     on_behalf needed   on_behalf needed   paper_slip only
//   quote decision    yes     phone if unset     on_behalf needed   paper_slip only
//   appointment       yes     phone if unset     on_behalf needed   on_behalf needed (schedule)
//   rating            yes     phone if unset     no                 no (nobody rates their own
//   work)
//   plan approval     yes     phone if unset     on_behalf needed   paper_slip only
//
// Plan approval (保修实施先得到业主确认): when the verifier records a repair plan with the
// verification of warranty work, the owner approves that plan before the work starts. An
// approval is of the plan as it was: a revised plan needs a new one. Emergencies never wait
// (safety first, DOMAIN §2), and paid repairs wait for the quote instead.
//
// Appointments: a window the owner confirmed may change only with the owner's consent. A party
// that reschedules it without `owner_consent` leaves the new window awaiting consent (work cannot
// start on it); the owner confirms it, or refuses it and the order goes back, unassigned, for a
// dispatcher to pass to someone else (若用户不同意,转其他人).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aftercare/v1/common.pb.h"
#include "aftercare/v1/dispatch.pb.h"

namespace aftercare::dispatch::domain {

enum class OwnerAct { kSignOff, kDecideQuote, kAppointmentConsent, kRate, kApprovePlan };

// Who asks, relative to the order (the edge works it out from the caller's role and scope).
enum class Recorder {
  kOwner,       // the unit's owner, in person
  kAgent,       // an agent of the project (hotline, front desk)
  kDispatcher,  // a dispatcher or admin of the project (maintenance)
  kAssignee,    // the assigned party (builder, crew, contractor), on site
  kOther,       // anybody else (a builder, a verifier, another owner...)
};

// The outcome of a check, in the terms of the gRPC edge.
struct Verdict {
  enum Kind { kOk, kInvalid, kForbidden, kPrecondition, kAlreadyExists, kRepeat };
  Kind kind = kOk;
  std::string field;    // kInvalid: the request field
  std::string message;  // why; kForbidden: follows "role <role> " ("may not rate work orders")
  bool ok() const { return kind == kOk; }
};

// Whether `who` may do or record `act`, given the request's on_behalf (nullptr = none). On kOk,
// `recorded` is the on-behalf record to keep (unset for the owner in person; an agent without
// one is taken as the phone).
struct OwnerActDecision {
  Verdict verdict;
  std::optional<aftercare::v1::OnBehalf> recorded;
};
OwnerActDecision decide_owner_act(OwnerAct act, Recorder who, const aftercare::v1::OnBehalf* given);

// An attachment named by on_behalf must be one of the order's ticket: `attachment_ticket` is the
// ticket it belongs to (nullopt = unknown). kOk or kInvalid on on_behalf.attachment_id.
Verdict check_slip_attachment(const aftercare::v1::OnBehalf& on_behalf,
                              const std::optional<std::string>& attachment_ticket,
                              std::string_view ticket_id);

// Confirming the current window: the order must be scheduled; a window already confirmed (and
// not changed since) is a repeat (kRepeat: answer the order as it is).
Verdict check_confirm_appointment(const aftercare::v1::WorkOrder& order);
// Refusing: the order must be scheduled with a window the owner has not agreed to.
Verdict check_refuse_appointment(const aftercare::v1::WorkOrder& order);
// Whether a new window booked now waits for the owner: the current window was confirmed (or was
// itself waiting) and the caller brings no owner consent.
bool new_window_awaits_consent(const aftercare::v1::WorkOrder& order, bool owner_consent_given);

// Ratings: 1-5 (kInvalid on "score"); once per order (kAlreadyExists); only for work done
// (completed or signed_off, else kPrecondition).
Verdict check_score(int score);
Verdict check_rating(const aftercare::v1::WorkOrder& order);

// Whether the order's current repair plan still waits for the owner's approval: a plan was
// recorded, the order is free warranty work (not paid), not an emergency, and no approval of
// that very plan exists.
bool plan_awaits_approval(const aftercare::v1::WorkOrder& order);
// Approving: the order must have a plan and not be finished (kPrecondition); the plan already
// approved is a repeat (kRepeat: answer the order as it is).
Verdict check_approve_plan(const aftercare::v1::WorkOrder& order);

}  // namespace aftercare::dispatch::domain
