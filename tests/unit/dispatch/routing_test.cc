// Routing, builder deadlines, lateness and the reroute decision (DOMAIN §2), pure.
#include "dispatch/domain/routing.h"

#include <gtest/gtest.h>

namespace aftercare::dispatch::domain {
namespace {

using enum aftercare::v1::PartyKind;
using enum aftercare::v1::TicketCategory;
using enum aftercare::v1::WorkOrderStatus;

const absl::Time kReported = absl::FromUnixSeconds(1'790'000'000);  // 2026-09-21 14:13:20 UTC

TicketFacts ticket(bool in_warranty = true,
                   aftercare::v1::TicketCategory category = TICKET_CATEGORY_DECORATION) {
  TicketFacts t;
  t.ticket_id = "T-1";
  t.project_id = "P1";
  t.unit_id = "U-101";
  t.kind = aftercare::v1::TICKET_KIND_REPAIR;
  t.category = category;
  t.component = aftercare::v1::COMPONENT_DECORATION;
  t.urgency = aftercare::v1::URGENCY_NORMAL;
  t.in_warranty = in_warranty;
  t.reported_at = kReported;
  t.response_due = kReported + absl::Hours(2);
  t.resolve_due = kReported + absl::Hours(24 * 21);
  return t;
}

PartyInfo party(std::string id, aftercare::v1::PartyKind kind,
                std::set<aftercare::v1::TicketCategory> trades, bool on_duty = false) {
  return PartyInfo{std::move(id), kind, std::move(trades), true, on_duty};
}

std::vector<PartyInfo> parties() {
  return {
      party("B-deco", PARTY_KIND_BUILDER, {TICKET_CATEGORY_DECORATION}),
      party("B-house", PARTY_KIND_BUILDER, {TICKET_CATEGORY_HOUSE_QUALITY}),
      party("C-crew", PARTY_KIND_CREW, {TICKET_CATEGORY_DECORATION, TICKET_CATEGORY_HOUSE_QUALITY}),
      party("C-night", PARTY_KIND_CREW, {TICKET_CATEGORY_PUBLIC_FACILITY}, /*on_duty=*/true),
      party("K-big", PARTY_KIND_CONTRACTOR, {TICKET_CATEGORY_DECORATION}),
  };
}

const DispatchPolicy kDefaults = DispatchPolicy::defaults();

TEST(Routing, InWarrantyGoesToTheBuilderOfTheTradeWithA24HourDeadline) {
  Routing r = route_ticket(ticket(), parties(), kDefaults);
  EXPECT_EQ(r.assignee_kind, PARTY_KIND_BUILDER);
  EXPECT_EQ(r.party_id, "B-deco");
  EXPECT_EQ(r.builder_party_id, "B-deco");
  EXPECT_FALSE(r.paid);
  EXPECT_EQ(r.deadline, kReported + absl::Hours(24));
  EXPECT_TRUE(r.notify.empty());

  r = route_ticket(ticket(true, TICKET_CATEGORY_HOUSE_QUALITY), parties(), kDefaults);
  EXPECT_EQ(r.party_id, "B-house");
}

TEST(Routing, BuilderDeadlineFollowsTheProjectPolicy) {
  DispatchPolicy policy;
  policy.builder_onsite_hours = 48;
  EXPECT_EQ(route_ticket(ticket(), parties(), policy).deadline, kReported + absl::Hours(48));
}

TEST(Routing, InactiveOrOtherTradeBuildersAreNotChosen) {
  auto ps = parties();
  ps[0].active = false;  // B-deco
  Routing r = route_ticket(ticket(), ps, kDefaults);
  // No builder covers decoration any more: the crew does the warranty work, free of charge.
  EXPECT_EQ(r.assignee_kind, PARTY_KIND_CREW);
  EXPECT_EQ(r.party_id, "C-crew");
  EXPECT_FALSE(r.paid);
  EXPECT_EQ(r.builder_party_id, "");
  EXPECT_EQ(r.deadline, ticket().resolve_due);
}

TEST(Routing, SeveralFittingPartiesPickTheSmallestIdDeterministically) {
  auto ps = parties();
  ps.push_back(party("A-deco", PARTY_KIND_BUILDER, {TICKET_CATEGORY_DECORATION}));
  EXPECT_EQ(route_ticket(ticket(), ps, kDefaults).party_id, "A-deco");
}

TEST(Routing, OutOfWarrantyIsAPaidRepairByTheCrew) {
  Routing r = route_ticket(ticket(/*in_warranty=*/false), parties(), kDefaults);
  EXPECT_EQ(r.assignee_kind, PARTY_KIND_CREW);
  EXPECT_EQ(r.party_id, "C-crew");
  EXPECT_TRUE(r.paid);
  EXPECT_EQ(r.builder_party_id, "");
  EXPECT_EQ(r.deadline, ticket().resolve_due);
}

TEST(Routing, EmergencyGoesToTheOnDutyCrewAtOnceAndNotifiesTheBuilder) {
  TicketFacts t = ticket();
  t.urgency = aftercare::v1::URGENCY_EMERGENCY;
  Routing r = route_ticket(t, parties(), kDefaults);
  EXPECT_EQ(r.assignee_kind, PARTY_KIND_CREW);
  // No on-duty crew covers decoration: any on-duty crew goes.
  EXPECT_EQ(r.party_id, "C-night");
  EXPECT_EQ(r.deadline, t.response_due);
  EXPECT_EQ(r.builder_party_id, "B-deco");
  EXPECT_EQ(r.notify, std::vector<std::string>{"B-deco"});
  EXPECT_FALSE(r.paid);

  // An on-duty crew of the trade is preferred.
  auto ps = parties();
  ps[2].on_duty = true;
  EXPECT_EQ(route_ticket(t, ps, kDefaults).party_id, "C-crew");

  // Out of warranty nobody is notified.
  t.in_warranty = false;
  EXPECT_TRUE(route_ticket(t, parties(), kDefaults).notify.empty());
}

TEST(Routing, NobodyFitsGivesAnUnassignedOrder) {
  Routing r = route_ticket(ticket(true, TICKET_CATEGORY_OTHER), parties(), kDefaults);
  EXPECT_EQ(r.assignee_kind, PARTY_KIND_CREW);
  EXPECT_EQ(r.party_id, "");
}

TEST(Routing, DuplicatesAndNonRepairsAreNotDispatched) {
  TicketFacts t = ticket();
  EXPECT_EQ(dispatch_skip_reason(t), "");
  t.duplicate_of = "T-0";
  EXPECT_NE(dispatch_skip_reason(t).find("duplicate of ticket T-0"), std::string::npos);
  t.duplicate_of.clear();
  t.kind = aftercare::v1::TICKET_KIND_CONSULTATION;
  EXPECT_EQ(dispatch_skip_reason(t), "a consultation needs no repair");
  t.kind = aftercare::v1::TICKET_KIND_PRAISE;
  EXPECT_NE(dispatch_skip_reason(t), "");
  t.kind = aftercare::v1::TICKET_KIND_COMPLAINT;
  EXPECT_NE(dispatch_skip_reason(t), "");
  t.recurrence = 3;  // a repair reported a third time became a complaint: still a defect
  EXPECT_EQ(dispatch_skip_reason(t), "");
}

TEST(Deadlines, SmallBuilderJobsHaveTheOnsiteDeadlineLargeOnlyTheResolveDeadline) {
  absl::Time resolve = kReported + absl::Hours(24 * 30);
  EXPECT_EQ(builder_deadline(kReported, resolve, false, kDefaults), kReported + absl::Hours(24));
  EXPECT_EQ(builder_deadline(kReported, resolve, true, kDefaults), resolve);
}

TEST(Deadlines, AnUnknownEstimateIsASmallJob) {
  EXPECT_FALSE(is_large_job(std::nullopt, false, kDefaults));
  EXPECT_FALSE(is_large_job(99'999, false, kDefaults));
  EXPECT_TRUE(is_large_job(100'000, false, kDefaults));      // at the threshold: large
  EXPECT_TRUE(is_large_job(std::nullopt, true, kDefaults));  // the verifier's call
  DispatchPolicy policy;
  policy.large_job_threshold_fen = 50'000;
  EXPECT_TRUE(is_large_job(60'000, false, policy));
}

TEST(Deadlines, AReplacementGetsTheResolveDeadlineOrAtLeastTheOnsiteWindow) {
  absl::Time resolve = kReported + absl::Hours(24 * 30);
  EXPECT_EQ(replacement_deadline(kReported + absl::Hours(25), resolve, kDefaults), resolve);
  absl::Time late = resolve + absl::Hours(3);
  EXPECT_EQ(replacement_deadline(late, resolve, kDefaults), late + absl::Hours(24));
}

TEST(Lateness, BuilderNotOnSiteByTheDeadlineIsLate) {
  absl::Time deadline = kReported + absl::Hours(24);
  absl::Time resolve = kReported + absl::Hours(24 * 30);
  for (auto status :
       {WORK_ORDER_STATUS_CREATED, WORK_ORDER_STATUS_ACCEPTED, WORK_ORDER_STATUS_SCHEDULED}) {
    EXPECT_EQ(builder_lateness(PARTY_KIND_BUILDER, status, deadline, resolve, deadline),
              Lateness::kOnTime);  // met up to and including the instant
    EXPECT_EQ(builder_lateness(PARTY_KIND_BUILDER, status, deadline, resolve,
                               deadline + absl::Seconds(1)),
              Lateness::kMissedOnsite);
  }
  // On site: only the finish deadline counts.
  EXPECT_EQ(builder_lateness(PARTY_KIND_BUILDER, WORK_ORDER_STATUS_IN_PROGRESS, deadline, resolve,
                             deadline + absl::Hours(1)),
            Lateness::kOnTime);
  EXPECT_EQ(builder_lateness(PARTY_KIND_BUILDER, WORK_ORDER_STATUS_IN_PROGRESS, deadline, resolve,
                             resolve + absl::Seconds(1)),
            Lateness::kMissedFinish);
  // Completed or final orders and other assignees are never rerouted.
  for (auto status :
       {WORK_ORDER_STATUS_COMPLETED, WORK_ORDER_STATUS_SIGNED_OFF, WORK_ORDER_STATUS_REROUTED,
        WORK_ORDER_STATUS_DECLINED, WORK_ORDER_STATUS_CANCELLED}) {
    EXPECT_EQ(
        builder_lateness(PARTY_KIND_BUILDER, status, deadline, resolve, resolve + absl::Hours(100)),
        Lateness::kOnTime);
  }
  EXPECT_EQ(builder_lateness(PARTY_KIND_CREW, WORK_ORDER_STATUS_CREATED, deadline, resolve,
                             resolve + absl::Hours(100)),
            Lateness::kOnTime);
}

TEST(Reroute, SmallJobsGoToTheCrewLargeOnesToTheContractor) {
  RerouteTarget small =
      reroute_target(TICKET_CATEGORY_DECORATION, std::nullopt, false, parties(), kDefaults);
  EXPECT_EQ(small.kind, PARTY_KIND_CREW);
  EXPECT_EQ(small.party_id, "C-crew");
  EXPECT_FALSE(small.large);

  RerouteTarget large =
      reroute_target(TICKET_CATEGORY_DECORATION, 100'000, false, parties(), kDefaults);
  EXPECT_EQ(large.kind, PARTY_KIND_CONTRACTOR);
  EXPECT_EQ(large.party_id, "K-big");
  EXPECT_TRUE(large.large);

  RerouteTarget verifier =
      reroute_target(TICKET_CATEGORY_DECORATION, 10'000, true, parties(), kDefaults);
  EXPECT_EQ(verifier.kind, PARTY_KIND_CONTRACTOR);

  DispatchPolicy cheap;
  cheap.large_job_threshold_fen = 5'000;
  EXPECT_EQ(reroute_target(TICKET_CATEGORY_DECORATION, 10'000, false, parties(), cheap).kind,
            PARTY_KIND_CONTRACTOR);
}

TEST(Reroute, FallsBackToTheOtherKindThenToUnassigned) {
  // No contractor covers house quality: the crew takes the large job.
  RerouteTarget t =
      reroute_target(TICKET_CATEGORY_HOUSE_QUALITY, 500'000, false, parties(), kDefaults);
  EXPECT_EQ(t.kind, PARTY_KIND_CREW);
  EXPECT_EQ(t.party_id, "C-crew");
  EXPECT_TRUE(t.large);
  // Nobody covers "other": unassigned order of the preferred kind.
  t = reroute_target(TICKET_CATEGORY_OTHER, std::nullopt, false, parties(), kDefaults);
  EXPECT_EQ(t.kind, PARTY_KIND_CREW);
  EXPECT_EQ(t.party_id, "");
}

TEST(Rework, GoesBackToThePartyThatDidTheWork) {
  ReworkSource original{PARTY_KIND_CREW, "C-crew", "B-deco", std::nullopt, false};
  absl::Time asked = kReported + absl::Hours(24 * 10);
  Routing r = route_rework(ticket(), original, parties(), asked, kDefaults);
  EXPECT_EQ(r.assignee_kind, PARTY_KIND_CREW);
  EXPECT_EQ(r.party_id, "C-crew");
  EXPECT_EQ(r.builder_party_id, "B-deco");
  EXPECT_FALSE(r.paid);
  EXPECT_EQ(r.deadline, ticket().resolve_due);

  // A builder's rework has a fresh on-site window from the request.
  ReworkSource by_builder{PARTY_KIND_BUILDER, "B-deco", "B-deco", std::nullopt, false};
  r = route_rework(ticket(), by_builder, parties(), asked, kDefaults);
  EXPECT_EQ(r.party_id, "B-deco");
  EXPECT_EQ(r.deadline, asked + absl::Hours(24));
}

TEST(Rework, AnInactiveBuilderIsReplacedByTheRerouteRule) {
  auto ps = parties();
  ps[0].active = false;
  ReworkSource by_builder{PARTY_KIND_BUILDER, "B-deco", "B-deco", 200'000, false};
  Routing r = route_rework(ticket(), by_builder, ps, kReported + absl::Hours(48), kDefaults);
  EXPECT_EQ(r.assignee_kind, PARTY_KIND_CONTRACTOR);
  EXPECT_EQ(r.party_id, "K-big");
  EXPECT_EQ(r.builder_party_id, "B-deco");
}

TEST(Rework, APaidRepairIsNotPaidTwice) {
  ReworkSource paid{PARTY_KIND_CREW, "C-gone", "", std::nullopt, false};
  Routing r = route_rework(ticket(false), paid, parties(), kReported + absl::Hours(48), kDefaults);
  EXPECT_EQ(r.party_id, "C-crew");
  EXPECT_FALSE(r.paid);
}

}  // namespace
}  // namespace aftercare::dispatch::domain
