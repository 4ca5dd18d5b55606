// Issue 23: which incident a report links to, when several reports make the platform open one,
// and the checks of incident and announcement requests.
#include "intake/domain/incidents.h"

#include <gtest/gtest.h>

#include "intake/domain/policy.h"
#include "intake/domain/validation.h"

namespace aftercare::intake::domain {
namespace {

namespace v1 = aftercare::v1;

const absl::Time kNoon = absl::FromUnixSeconds(1795000000);

ReportView lift_report(const std::string& unit, const std::string& building = "5栋",
                       absl::Time at = kNoon) {
  return {
      v1::TICKET_KIND_REPAIR, v1::COMPONENT_ELEVATOR, v1::REPAIR_AREA_PUBLIC, unit, building, at};
}

OpenIncident incident(const std::string& id, v1::IncidentKind kind, v1::Component component,
                      std::vector<std::string> buildings, bool has_lead = false,
                      absl::Time created = kNoon - absl::Hours(1)) {
  return {id, kind, component, std::move(buildings), has_lead, created};
}

TEST(IncidentLinking, AReportInScopeLinksAndTheFirstOfAFailureLeadsIt) {
  auto link = link_to_incident(
      lift_report("U-1"),
      {incident("I1", v1::INCIDENT_KIND_FAILURE, v1::COMPONENT_ELEVATOR, {"5栋", "6栋"})});
  ASSERT_TRUE(link);
  EXPECT_EQ(link->incident_id, "I1");
  EXPECT_TRUE(link->lead);
  link = link_to_incident(lift_report("U-2"),
                          {incident("I1", v1::INCIDENT_KIND_FAILURE, v1::COMPONENT_ELEVATOR,
                                    {"5栋"}, /*has_lead=*/true)});
  ASSERT_TRUE(link);
  EXPECT_FALSE(link->lead);
}

TEST(IncidentLinking, OutagesHaveNoLeadAndTheWholeProjectIsEveryBuilding) {
  auto link =
      link_to_incident(lift_report("U-1", "9栋"),
                       {incident("I1", v1::INCIDENT_KIND_OUTAGE, v1::COMPONENT_ELEVATOR, {})});
  ASSERT_TRUE(link);
  EXPECT_FALSE(link->lead);
}

TEST(IncidentLinking, OtherBuildingsComponentsAndKindsGetOrdinaryTickets) {
  std::vector<OpenIncident> open = {
      incident("I1", v1::INCIDENT_KIND_FAILURE, v1::COMPONENT_ELEVATOR, {"5栋"})};
  EXPECT_FALSE(link_to_incident(lift_report("U-1", "6栋"), open));
  ReportView plumbing = lift_report("U-1");
  plumbing.component = v1::COMPONENT_PLUMBING;
  EXPECT_FALSE(link_to_incident(plumbing, open));
  ReportView question = lift_report("U-1");
  question.kind = v1::TICKET_KIND_CONSULTATION;
  EXPECT_FALSE(link_to_incident(question, open));
  ReportView complaint = lift_report("U-1");
  complaint.kind = v1::TICKET_KIND_COMPLAINT;
  EXPECT_TRUE(link_to_incident(complaint, open));
}

TEST(IncidentLinking, TheOldestOfSeveralOpenIncidentsWins) {
  auto link = link_to_incident(
      lift_report("U-1"), {incident("I2", v1::INCIDENT_KIND_FAILURE, v1::COMPONENT_ELEVATOR, {},
                                    false, kNoon - absl::Minutes(5)),
                           incident("I1", v1::INCIDENT_KIND_FAILURE, v1::COMPONENT_ELEVATOR,
                                    {"5栋"}, true, kNoon - absl::Hours(3))});
  ASSERT_TRUE(link);
  EXPECT_EQ(link->incident_id, "I1");
}

TEST(IncidentProposal, TwoUnitsOfOneBuildingWithinTheWindowMakeAnIncident) {
  auto p = propose_incident(lift_report("U-2"), {{"T1", "U-1", kNoon - absl::Minutes(30)}});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->lead_ticket_id, "T1");
  EXPECT_TRUE(p->followers.empty());
}

TEST(IncidentProposal, TheOldestRecentReportLeadsAndTheOthersFollow) {
  IncidentRule three{3, absl::Hours(2)};
  std::vector<RecentReport> recent = {{"T2", "U-2", kNoon - absl::Minutes(10)},
                                      {"T1", "U-1", kNoon - absl::Minutes(50)}};
  auto p = propose_incident(lift_report("U-3"), recent, three);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->lead_ticket_id, "T1");
  EXPECT_EQ(p->followers, std::vector<std::string>{"T2"});
  EXPECT_FALSE(propose_incident(lift_report("U-3"), {recent[0]}, three));
}

TEST(IncidentProposal, TheSameHomeOldReportsAndHomeRepairsDoNot) {
  EXPECT_FALSE(propose_incident(lift_report("U-1"), {{"T1", "U-1", kNoon - absl::Minutes(5)}}));
  EXPECT_FALSE(propose_incident(lift_report("U-2"), {{"T1", "U-1", kNoon - absl::Hours(3)}}));
  ReportView home = lift_report("U-2");
  home.area = v1::REPAIR_AREA_HOME;
  EXPECT_FALSE(propose_incident(home, {{"T1", "U-1", kNoon - absl::Minutes(5)}}));
  ReportView nowhere = lift_report("U-2", "");
  EXPECT_FALSE(propose_incident(nowhere, {{"T1", "U-1", kNoon - absl::Minutes(5)}}));
}

TEST(IncidentProposal, TitleNamesBuildingAndComponent) {
  EXPECT_EQ(proposed_title("5栋", v1::COMPONENT_ELEVATOR), "5栋 电梯故障（多户报修）");
}

TEST(IncidentChecks, RequestsAreCheckedFieldByField) {
  auto check = [](v1::IncidentKind kind, std::optional<absl::Time> start,
                  std::optional<absl::Time> end) {
    return check_incident(kind, v1::TICKET_CATEGORY_PUBLIC_FACILITY, v1::COMPONENT_ELEVATOR,
                          "5栋电梯停运", "", start, end, kNoon);
  };
  EXPECT_EQ(check(v1::INCIDENT_KIND_OUTAGE, kNoon, kNoon + absl::Hours(4)), "");
  EXPECT_NE(check(v1::INCIDENT_KIND_UNSPECIFIED, {}, {}).find("kind"), std::string::npos);
  EXPECT_NE(check(v1::INCIDENT_KIND_OUTAGE, kNoon, kNoon).find("expected_end"), std::string::npos);
  EXPECT_NE(check(v1::INCIDENT_KIND_OUTAGE, absl::FromUnixSeconds(0), {}).find("starts_at"),
            std::string::npos);
  EXPECT_NE(check_incident(v1::INCIDENT_KIND_OUTAGE, v1::TICKET_CATEGORY_PUBLIC_FACILITY,
                           v1::COMPONENT_ELEVATOR, "", "", {}, {}, kNoon)
                .find("title"),
            std::string::npos);
  EXPECT_EQ(check_buildings({"5栋", "6栋"}), "");
  EXPECT_NE(check_buildings({"5栋", "5栋"}).find("twice"), std::string::npos);
  EXPECT_NE(check_buildings({""}).find("buildings"), std::string::npos);
}

TEST(AnnouncementChecks, SendAtDecidesNowOrLater) {
  EXPECT_EQ(check_announcement("停水通知", "12月5日9:00-12:00停水", {}, kNoon), "");
  EXPECT_NE(check_announcement("停水通知", "", {}, kNoon).find("body"), std::string::npos);
  EXPECT_NE(check_announcement("t", "b", kNoon + absl::Hours(24 * 91), kNoon).find("send_at"),
            std::string::npos);
  EXPECT_TRUE(sends_now(std::nullopt, kNoon));
  EXPECT_TRUE(sends_now(kNoon - absl::Minutes(1), kNoon));
  EXPECT_FALSE(sends_now(kNoon + absl::Minutes(1), kNoon));
}

// ---- the remainder of issue 23: the rule is policy, proposals, reopening ---------------------

TEST(IncidentPolicy, TheRuleComesFromTheProjectsPolicyWithDefaults2UnitsAnd120Minutes) {
  IntakePolicy defaults = IntakePolicy::defaults();
  EXPECT_EQ(defaults.incident_proposal_min_units, 2);
  EXPECT_EQ(defaults.incident_proposal_window_minutes, 120);
  v1::Policy p;
  p.mutable_incidents()->set_proposal_min_units(3);
  p.mutable_incidents()->set_proposal_window_minutes(30);
  IntakePolicy set = IntakePolicy::defaults();
  ASSERT_EQ(set.apply_overrides(p), "");
  IncidentRule rule =
      incident_rule(set.incident_proposal_min_units, set.incident_proposal_window_minutes);
  std::vector<RecentReport> two = {{"T1", "U-1", kNoon - absl::Minutes(20)}};
  EXPECT_FALSE(propose_incident(lift_report("U-2"), two, rule));  // 2 units, 3 needed
  two.push_back({"T2", "U-3", kNoon - absl::Minutes(40)});        // past the 30 minutes
  EXPECT_FALSE(propose_incident(lift_report("U-2"), two, rule));
  two.push_back({"T3", "U-4", kNoon - absl::Minutes(25)});
  auto made = propose_incident(lift_report("U-2"), two, rule);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->lead_ticket_id, "T3");
  v1::Policy out;
  set.to_proto(out.mutable_incidents());
  EXPECT_EQ(out.incidents().proposal_min_units(), 3);
  EXPECT_EQ(out.incidents().proposal_window_minutes(), 30);
}

TEST(IncidentPolicy, BadValuesNameTheFieldAndChangeNothing) {
  IntakePolicy policy = IntakePolicy::defaults();
  v1::Policy one;
  one.mutable_incidents()->set_proposal_min_units(1);  // one home is not a spread
  EXPECT_EQ(policy.apply_overrides(one), "incidents.proposal_min_units must be between 2 and 100");
  v1::Policy zero;
  zero.mutable_incidents()->set_proposal_window_minutes(0);
  EXPECT_EQ(policy.apply_overrides(zero),
            "incidents.proposal_window_minutes must be between 5 and 10080");
  EXPECT_EQ(policy.incident_proposal_min_units, 2);
  EXPECT_EQ(policy.incident_proposal_window_minutes, 120);
}

TEST(IncidentProposalDecision, OnlyAPendingProposalOfAnOpenIncidentIsConfirmedOrDismissed) {
  EXPECT_EQ(check_proposal_decision(v1::INCIDENT_STATUS_OPEN, v1::PROPOSAL_STATUS_PENDING), "");
  EXPECT_NE(check_proposal_decision(v1::INCIDENT_STATUS_OPEN, v1::PROPOSAL_STATUS_NOT_PROPOSED),
            "");
  EXPECT_NE(check_proposal_decision(v1::INCIDENT_STATUS_OPEN, v1::PROPOSAL_STATUS_CONFIRMED), "");
  EXPECT_NE(check_proposal_decision(v1::INCIDENT_STATUS_RESOLVED, v1::PROPOSAL_STATUS_PENDING), "");
  EXPECT_EQ(check_dismissal_reason(""), check_text("", "reason", 2000));
  EXPECT_NE(check_dismissal_reason(""), "");
  EXPECT_EQ(check_dismissal_reason("两户各自门厅灯坏，不是同一故障"), "");
}

TEST(IncidentProposalDecision, DismissalDispatchesActiveFollowersAndLeavesTheLeadItsOrder) {
  auto unlinked = unlink_on_dismissal({{"T1", true, true},      // the lead: has its work order
                                       {"T2", true, false},     // an active follower
                                       {"T3", false, false}});  // resolved meanwhile
  ASSERT_EQ(unlinked.size(), 3u);
  EXPECT_FALSE(unlinked[0].dispatch);
  EXPECT_TRUE(unlinked[1].dispatch);
  EXPECT_FALSE(unlinked[2].dispatch);
}

TEST(IncidentReopening, AnUnsatisfiedFollowerReopensAResolvedFailureOnceWithOneRework) {
  ReopenEffects follower =
      after_unsatisfied({v1::INCIDENT_STATUS_RESOLVED, v1::INCIDENT_KIND_FAILURE, false, "WO-1"});
  EXPECT_TRUE(follower.reopen_incident);
  EXPECT_EQ(follower.rework_of, "WO-1");
  // Open again already (another reporter reopened it): the ticket waits with it, no second rework.
  ReopenEffects again =
      after_unsatisfied({v1::INCIDENT_STATUS_OPEN, v1::INCIDENT_KIND_FAILURE, false, "WO-1"});
  EXPECT_FALSE(again.reopen_incident);
  EXPECT_EQ(again.rework_of, "");
  // The lead's own callback sends ReworkRequested: the incident reopens without a second one.
  ReopenEffects lead =
      after_unsatisfied({v1::INCIDENT_STATUS_RESOLVED, v1::INCIDENT_KIND_FAILURE, true, "WO-1"});
  EXPECT_TRUE(lead.reopen_incident);
  EXPECT_EQ(lead.rework_of, "");
  // An outage has nothing to redo.
  ReopenEffects outage =
      after_unsatisfied({v1::INCIDENT_STATUS_RESOLVED, v1::INCIDENT_KIND_OUTAGE, false, ""});
  EXPECT_TRUE(outage.reopen_incident);
  EXPECT_EQ(outage.rework_of, "");
}

}  // namespace
}  // namespace aftercare::intake::domain
