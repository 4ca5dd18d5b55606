#include "dispatch/domain/routing.h"

#include <algorithm>

#include "dispatch/domain/names.h"

namespace aftercare::dispatch::domain {
namespace {

using aftercare::v1::PartyKind;
using aftercare::v1::TicketCategory;

// An unspecified trade matches every party (an emergency takes any on-duty crew).
std::optional<std::string> pick(PartyKind kind, TicketCategory trade,
                                const std::vector<PartyInfo>& parties, bool on_duty_only,
                                const std::set<std::string>& exclude) {
  std::optional<std::string> best;
  for (const PartyInfo& p : parties) {
    if (p.kind != kind || !p.active || p.party_id.empty()) continue;
    if (on_duty_only && !p.on_duty) continue;
    if (trade != aftercare::v1::TICKET_CATEGORY_UNSPECIFIED && !p.trades.contains(trade)) continue;
    if (exclude.contains(p.party_id)) continue;
    if (!best || p.party_id < *best) best = p.party_id;
  }
  return best;
}

std::string or_nobody(const std::optional<std::string>& party) {
  return party.value_or("");
}

}  // namespace

std::string dispatch_skip_reason(const TicketFacts& ticket) {
  if (!ticket.duplicate_of.empty()) {
    return "duplicate of ticket " + ticket.duplicate_of + ": linked, not dispatched";
  }
  if (!ticket.incident_follower_of.empty()) {
    return "linked to incident " + ticket.incident_follower_of +
           ": handled with it, not dispatched";
  }
  switch (ticket.kind) {
    case aftercare::v1::TICKET_KIND_REPAIR:
      return "";
    case aftercare::v1::TICKET_KIND_COMPLAINT:
      if (ticket.recurrence >= 2) return "";
      return "a first complaint is answered by its agent, not dispatched";
    default:
      return "a " + public_name(ticket.kind) + " needs no repair";
  }
}

std::optional<std::string> choose_party(PartyKind kind, TicketCategory trade,
                                        const std::vector<PartyInfo>& parties, bool on_duty_only,
                                        const std::set<std::string>& exclude) {
  if (trade == aftercare::v1::TICKET_CATEGORY_UNSPECIFIED) return std::nullopt;
  return pick(kind, trade, parties, on_duty_only, exclude);
}

bool is_large_job(std::optional<int64_t> estimate_fen, bool verifier_large,
                  const DispatchPolicy& policy) {
  if (verifier_large) return true;
  return estimate_fen.has_value() && *estimate_fen >= policy.large_job_threshold_fen;
}

absl::Time builder_deadline(absl::Time from, absl::Time resolve_due, bool large,
                            const DispatchPolicy& policy) {
  if (large) return resolve_due;
  return from + absl::Hours(policy.builder_onsite_hours);
}

absl::Time replacement_deadline(absl::Time from, absl::Time resolve_due,
                                const DispatchPolicy& policy) {
  return std::max(resolve_due, from + absl::Hours(policy.builder_onsite_hours));
}

Routing route_ticket(const TicketFacts& ticket, const std::vector<PartyInfo>& parties,
                     const DispatchPolicy& policy) {
  using enum aftercare::v1::PartyKind;
  Routing r;
  std::optional<std::string> builder;
  if (ticket.in_warranty) builder = choose_party(PARTY_KIND_BUILDER, ticket.category, parties);
  if (builder) r.builder_party_id = *builder;

  if (ticket.urgency == aftercare::v1::URGENCY_EMERGENCY) {
    // Someone on site at once, whoever is liable: an on-duty crew of the trade, else any
    // on-duty crew, else any crew of the trade. Liability is settled afterwards (verification).
    r.assignee_kind = PARTY_KIND_CREW;
    auto crew = choose_party(PARTY_KIND_CREW, ticket.category, parties, /*on_duty_only=*/true);
    if (!crew)
      crew = pick(PARTY_KIND_CREW, aftercare::v1::TICKET_CATEGORY_UNSPECIFIED, parties,
                  /*on_duty_only=*/true, {});
    if (!crew) crew = choose_party(PARTY_KIND_CREW, ticket.category, parties);
    r.party_id = or_nobody(crew);
    r.deadline = ticket.response_due;
    r.rationale = "emergency: on-duty crew at once";
    if (builder) {
      r.notify.push_back(*builder);
      r.rationale += ", builder " + *builder + " notified";
    }
    return r;
  }

  if (ticket.in_warranty && builder) {
    r.assignee_kind = PARTY_KIND_BUILDER;
    r.party_id = *builder;
    r.deadline = builder_deadline(ticket.reported_at, ticket.resolve_due, /*large=*/false, policy);
    r.rationale = "in warranty: builder first";
    return r;
  }

  r.assignee_kind = PARTY_KIND_CREW;
  r.party_id = or_nobody(choose_party(PARTY_KIND_CREW, ticket.category, parties));
  r.deadline = ticket.resolve_due;
  if (ticket.in_warranty) {
    r.rationale =
        "in warranty, no builder covers " + public_name(ticket.category) + ": property crew";
  } else {
    r.paid = true;
    r.rationale = "out of warranty: paid repair by the property crew";
  }
  return r;
}

Lateness builder_lateness(aftercare::v1::PartyKind assignee_kind,
                          aftercare::v1::WorkOrderStatus status, absl::Time deadline,
                          absl::Time resolve_due, absl::Time as_of) {
  using enum aftercare::v1::WorkOrderStatus;
  if (assignee_kind != aftercare::v1::PARTY_KIND_BUILDER) return Lateness::kOnTime;
  switch (status) {
    case WORK_ORDER_STATUS_CREATED:
    case WORK_ORDER_STATUS_ACCEPTED:
    case WORK_ORDER_STATUS_SCHEDULED:
      return as_of > deadline ? Lateness::kMissedOnsite : Lateness::kOnTime;
    case WORK_ORDER_STATUS_IN_PROGRESS:
      return as_of > resolve_due ? Lateness::kMissedFinish : Lateness::kOnTime;
    default:
      return Lateness::kOnTime;
  }
}

RerouteTarget reroute_target(TicketCategory trade, std::optional<int64_t> estimate_fen,
                             bool verifier_large, const std::vector<PartyInfo>& parties,
                             const DispatchPolicy& policy) {
  using enum aftercare::v1::PartyKind;
  RerouteTarget t;
  t.large = is_large_job(estimate_fen, verifier_large, policy);
  PartyKind preferred = t.large ? PARTY_KIND_CONTRACTOR : PARTY_KIND_CREW;
  PartyKind fallback = t.large ? PARTY_KIND_CREW : PARTY_KIND_CONTRACTOR;
  if (auto p = choose_party(preferred, trade, parties)) {
    t.kind = preferred;
    t.party_id = *p;
  } else if (auto q = choose_party(fallback, trade, parties)) {
    t.kind = fallback;
    t.party_id = *q;
  } else {
    t.kind = preferred;  // unassigned: a dispatcher picks the party
  }
  return t;
}

Routing route_rework(const TicketFacts& ticket, const ReworkSource& original,
                     const std::vector<PartyInfo>& parties, absl::Time requested_at,
                     const DispatchPolicy& policy) {
  using enum aftercare::v1::PartyKind;
  bool still_there = std::any_of(parties.begin(), parties.end(), [&](const PartyInfo& p) {
    return p.party_id == original.party_id && p.kind == original.assignee_kind && p.active &&
           p.trades.contains(ticket.category);
  });
  Routing r;
  r.builder_party_id = original.builder_party_id;
  if (still_there && !original.party_id.empty()) {
    r.assignee_kind = original.assignee_kind;
    r.party_id = original.party_id;
    r.rationale = "rework: back to the party that did the work";
  } else if (ticket.in_warranty && original.assignee_kind == PARTY_KIND_BUILDER) {
    // The builder no longer takes orders: the reroute rule picks its replacement.
    RerouteTarget t = reroute_target(ticket.category, original.estimate_fen,
                                     original.verifier_large, parties, policy);
    r.assignee_kind = t.kind;
    r.party_id = t.party_id;
    r.rationale = "rework: builder " + original.party_id + " takes no orders, " +
                  public_name(t.kind) + " instead";
  } else {
    TicketFacts normal = ticket;
    normal.urgency = aftercare::v1::URGENCY_NORMAL;  // the emergency was handled the first time
    Routing fresh = route_ticket(normal, parties, policy);
    r.assignee_kind = fresh.assignee_kind;
    r.party_id = fresh.party_id;
    if (r.builder_party_id.empty()) r.builder_party_id = fresh.builder_party_id;
    r.rationale = "rework: routed anew";
  }
  if (r.assignee_kind == PARTY_KIND_BUILDER) {
    bool large = is_large_job(original.estimate_fen, original.verifier_large, policy);
    r.deadline = builder_deadline(requested_at, ticket.resolve_due, large, policy);
    // A resolve deadline already behind us gives the builder its on-site window anyway.
    if (large) r.deadline = replacement_deadline(requested_at, ticket.resolve_due, policy);
  } else {
    r.deadline = replacement_deadline(requested_at, ticket.resolve_due, policy);
  }
  r.paid = false;
  return r;
}

}  // namespace aftercare::dispatch::domain
