// Who gets the work and by when (DOMAIN §2 "Routing"):
//   1. in warranty -> the builder of the project covering the ticket's category, who must
//      acknowledge and be on site within builder_onsite_hours (small jobs) and finish by the
//      ticket's resolve deadline;
//   2. a builder that misses its deadline (or declines) is rerouted: small jobs to the property
//      crew, large jobs (estimate >= threshold, or the verifier's call) to the contractor;
//   3. out of warranty -> the property crew as a paid repair (quote, owner confirms, then work);
//   4. emergency -> the on-duty crew at once whoever is liable; the liable builder is notified.
// Pure functions: parties and time are parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "dispatch/domain/policy.h"

namespace aftercare::dispatch::domain {

// What dispatch keeps of a ticket (projection of intake.TicketOpened and later changes).
struct TicketFacts {
  std::string ticket_id;
  std::string project_id;
  std::string unit_id;
  aftercare::v1::TicketKind kind = aftercare::v1::TICKET_KIND_REPAIR;
  aftercare::v1::TicketCategory category = aftercare::v1::TICKET_CATEGORY_OTHER;
  aftercare::v1::Component component = aftercare::v1::COMPONENT_OTHER;
  aftercare::v1::Urgency urgency = aftercare::v1::URGENCY_NORMAL;
  bool in_warranty = false;
  absl::Time reported_at;
  absl::Time response_due;
  absl::Time resolve_due;
  int recurrence = 1;
  std::string duplicate_of;  // set: a duplicate of an open ticket
  std::string
      incident_follower_of;  // set: linked to this incident, whose lead is dispatched (issue 23)
};

// A repair party as routing sees it.
struct PartyInfo {
  std::string party_id;
  aftercare::v1::PartyKind kind = aftercare::v1::PARTY_KIND_UNSPECIFIED;
  std::set<aftercare::v1::TicketCategory> trades;
  bool active = true;
  bool on_duty = false;
};

// Why a ticket gets no work order, or "" when it gets one. Duplicates are linked to the open
// ticket of the same issue, never dispatched twice. Consultations, suggestions and praise need
// no repair. A complaint is answered by its agent, except a repeated one (recurrence >= 2): a
// repair reported again escalates into a complaint (DOMAIN §1) and its defect still needs work.
std::string dispatch_skip_reason(const TicketFacts& ticket);

// The outcome of routing a ticket.
struct Routing {
  aftercare::v1::PartyKind assignee_kind = aftercare::v1::PARTY_KIND_UNSPECIFIED;
  std::string party_id;             // "" = nobody registered fits: a dispatcher must reassign
  bool paid = false;                // out-of-warranty repair: quote first
  absl::Time deadline;              // builder: acknowledge/on site; others: finish
  std::string builder_party_id;     // liable builder in warranty (chargebacks), else ""
  std::vector<std::string> notify;  // parties told besides the assignee (builder of an emergency)
  std::string rationale;            // recorded on the order, e.g. "in warranty: builder first"
};

// Routes a new ticket (see the rules at the top of this file). Among several fitting parties the
// smallest party_id wins, so routing is deterministic. No fitting builder in warranty -> the
// crew does the warranty work (not paid). No fitting party at all -> an unassigned order of the
// intended kind.
Routing route_ticket(const TicketFacts& ticket, const std::vector<PartyInfo>& parties,
                     const DispatchPolicy& policy);

// The party of `kind` that takes a job of `trade`: active, covering the trade, on duty when
// on_duty_only, not in `exclude`; the smallest party_id among several. nullopt when none fits.
std::optional<std::string> choose_party(aftercare::v1::PartyKind kind,
                                        aftercare::v1::TicketCategory trade,
                                        const std::vector<PartyInfo>& parties,
                                        bool on_duty_only = false,
                                        const std::set<std::string>& exclude = {});

// Large job: the verifier said so, or the estimate is at or above the threshold. An unknown
// estimate counts as a small job.
bool is_large_job(std::optional<int64_t> estimate_fen, bool verifier_large,
                  const DispatchPolicy& policy);

// A builder's deadline counted from `from` (the report; for a rework or reassignment, the moment
// the job reached the builder): a small job must be acknowledged and on site within
// builder_onsite_hours; a large job has only the ticket's resolve deadline.
absl::Time builder_deadline(absl::Time from, absl::Time resolve_due, bool large,
                            const DispatchPolicy& policy);

// The finish deadline of a crew or contractor taking over at `from`: the ticket's resolve
// deadline, or — when that has already passed or is too close — builder_onsite_hours from now,
// so the replacement gets a deadline it can still meet.
absl::Time replacement_deadline(absl::Time from, absl::Time resolve_due,
                                const DispatchPolicy& policy);

// Which deadline a builder missed at `as_of`. Not started (created, accepted, scheduled) after
// its acknowledge/on-site deadline -> kMissedOnsite; on site but not finished after the ticket's
// resolve deadline -> kMissedFinish. Anything else (other assignees, completed or final orders,
// deadlines not yet passed: a deadline is met up to and including its instant) -> kOnTime.
enum class Lateness { kOnTime, kMissedOnsite, kMissedFinish };
Lateness builder_lateness(aftercare::v1::PartyKind assignee_kind,
                          aftercare::v1::WorkOrderStatus status, absl::Time deadline,
                          absl::Time resolve_due, absl::Time as_of);

// Where a late or declining builder's job goes: large -> contractor, small -> crew. When no party
// of that kind covers the trade the other kind takes it (the work must be done); when nobody
// does, party_id is "" and a dispatcher assigns it.
struct RerouteTarget {
  aftercare::v1::PartyKind kind = aftercare::v1::PARTY_KIND_UNSPECIFIED;
  std::string party_id;
  bool large = false;
};
RerouteTarget reroute_target(aftercare::v1::TicketCategory trade,
                             std::optional<int64_t> estimate_fen, bool verifier_large,
                             const std::vector<PartyInfo>& parties, const DispatchPolicy& policy);

// The original order a rework redoes, as routing needs it.
struct ReworkSource {
  aftercare::v1::PartyKind assignee_kind = aftercare::v1::PARTY_KIND_UNSPECIFIED;
  std::string party_id;
  std::string builder_party_id;
  std::optional<int64_t> estimate_fen;
  bool verifier_large = false;
};

// A rework goes back to the party whose work was unsatisfactory when it still takes orders of
// that trade; otherwise the ticket is routed anew (a builder gone inactive is replaced by the
// reroute rule). Never paid: the owner does not pay twice for the same repair. Deadlines count
// from requested_at.
Routing route_rework(const TicketFacts& ticket, const ReworkSource& original,
                     const std::vector<PartyInfo>& parties, absl::Time requested_at,
                     const DispatchPolicy& policy);

}  // namespace aftercare::dispatch::domain
