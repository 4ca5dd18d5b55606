// Handover and decoration rules (issue 19): rectification deadlines in working days, signatures,
// defects that become tickets, key collection and the decoration deposit arithmetic.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "intake/domain/handover.h"
#include "unit/intake/calendar_fixture.h"

namespace aftercare::intake::domain {
namespace {

using namespace aftercare::v1;

class HandoverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone_)); }
  absl::Time local(int y, int mo, int d, int h, int mi, int s = 0) const {
    return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), zone_);
  }
  absl::TimeZone zone_;
  WorkingDayCalendar calendar_ = testing::china_like_calendar();
};

TEST_F(HandoverTest, RectificationIsDueAtTheEndOfTheFifteenthWorkingDay) {
  // Monday 2 November 2026: three plain weeks later, Monday 23 November, end of day.
  EXPECT_EQ(rectify_due(local(2026, 11, 2, 10, 0), 15, calendar_, zone_),
            local(2026, 11, 23, 23, 59, 59));
}

TEST_F(HandoverTest, RectificationDeadlineSkipsHolidaysAndCountsMakeUpDays) {
  // Wed 30 September: 1-7 October are holidays, Saturday 10 October is worked (day 3), so the
  // 15th working day is Tuesday 27 October.
  EXPECT_EQ(rectify_due(local(2026, 9, 30, 10, 0), 15, calendar_, zone_),
            local(2026, 10, 27, 23, 59, 59));
}

TEST_F(HandoverTest, RectificationCountsFromTheLocalDay) {
  // 23:30 UTC on 1 November is already Monday 2 November in Shanghai.
  absl::Time late = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 23, 30, 0), absl::UTCTimeZone());
  EXPECT_EQ(rectify_due(late, 15, calendar_, zone_), local(2026, 11, 23, 23, 59, 59));
  EXPECT_EQ(rectify_due(late, 1, calendar_, zone_), local(2026, 11, 3, 23, 59, 59));
}

TEST(HandoverRules, ComponentsFallIntoTheirTicketCategories) {
  EXPECT_EQ(category_of(COMPONENT_BATHROOM_WATERPROOFING), TICKET_CATEGORY_HOUSE_QUALITY);
  EXPECT_EQ(category_of(COMPONENT_STRUCTURE), TICKET_CATEGORY_HOUSE_QUALITY);
  EXPECT_EQ(category_of(COMPONENT_DECORATION), TICKET_CATEGORY_DECORATION);
  EXPECT_EQ(category_of(COMPONENT_DOOR_WINDOW), TICKET_CATEGORY_DECORATION);
  EXPECT_EQ(category_of(COMPONENT_ELEVATOR), TICKET_CATEGORY_PUBLIC_FACILITY);
  EXPECT_EQ(category_of(COMPONENT_OTHER), TICKET_CATEGORY_OTHER);
}

TEST(HandoverRules, InspectedAtIsNeitherInTheFutureNorMonthsBack) {
  absl::Time now = absl::FromUnixSeconds(1800000000);
  absl::Duration skew = absl::Minutes(2), back = absl::Hours(24 * 90);
  EXPECT_EQ(check_inspected_at(now + absl::Minutes(1), now, skew, back), "");
  EXPECT_NE(check_inspected_at(now + absl::Hours(1), now, skew, back), "");
  EXPECT_EQ(check_inspected_at(now - absl::Hours(24 * 89), now, skew, back), "");
  EXPECT_NE(check_inspected_at(now - absl::Hours(24 * 91), now, skew, back), "");
}

TEST(HandoverRules, PreHandoverIsSignedByTheInspectorAlone) {
  SignOutcome o = sign({INSPECTION_STAGE_PRE_HANDOVER}, INSPECTION_SIGNER_INSPECTOR);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.status, INSPECTION_STATUS_SIGNED);
  EXPECT_NE(sign({INSPECTION_STAGE_PRE_HANDOVER}, INSPECTION_SIGNER_OWNER).error, "");
}

TEST(HandoverRules, JointNeedsTheInspectorAndTheOwnerInAnyOrder) {
  SignOutcome owner_first = sign({INSPECTION_STAGE_JOINT}, INSPECTION_SIGNER_OWNER);
  EXPECT_EQ(owner_first.error, "");
  EXPECT_EQ(owner_first.status, INSPECTION_STATUS_OPEN);
  SignOutcome then = sign({INSPECTION_STAGE_JOINT, false, true}, INSPECTION_SIGNER_INSPECTOR);
  EXPECT_EQ(then.error, "");
  EXPECT_EQ(then.status, INSPECTION_STATUS_SIGNED);
  EXPECT_TRUE(then.inspector_signed && then.owner_signed);
}

TEST(HandoverRules, NobodySignsTwice) {
  SignOutcome twice = sign({INSPECTION_STAGE_JOINT, true, false}, INSPECTION_SIGNER_INSPECTOR);
  EXPECT_EQ(twice.error, "the inspector has signed already");
  EXPECT_FALSE(twice.owner_signed);
  EXPECT_NE(sign({INSPECTION_STAGE_JOINT, true, true}, INSPECTION_SIGNER_OWNER).error, "");
  EXPECT_NE(sign({INSPECTION_STAGE_JOINT}, INSPECTION_SIGNER_UNSPECIFIED).error, "");
}

Defect defect(Component c, DefectStatus s, const std::string& ticket = "") {
  Defect d;
  d.set_component(c);
  d.set_status(s);
  d.set_ticket_id(ticket);
  d.set_location("客厅");
  d.set_description("墙面空鼓");
  d.set_severity(DEFECT_SEVERITY_MAJOR);
  return d;
}

TEST(HandoverRules, OpenDefectsBecomeOneTicketPerComponent) {
  std::vector<Defect> ds = {defect(COMPONENT_DECORATION, DEFECT_STATUS_RECTIFYING),
                            defect(COMPONENT_DOOR_WINDOW, DEFECT_STATUS_FIXED),
                            defect(COMPONENT_DECORATION, DEFECT_STATUS_OPEN),
                            defect(COMPONENT_PLUMBING, DEFECT_STATUS_OPEN, "t-1")};
  auto groups = open_defects_by_component(ds);
  ASSERT_EQ(groups.size(), 1u);  // the fixed one and the one already ticketed are done
  EXPECT_EQ(groups[COMPONENT_DECORATION], (std::vector<size_t>{0, 2}));
}

TEST(HandoverRules, DefectsDescriptionListsThemAndKeepsWholeCharacters) {
  Defect a = defect(COMPONENT_DECORATION, DEFECT_STATUS_OPEN);
  std::string text = defects_description({&a, &a});
  EXPECT_EQ(text, "验房遗留缺陷: 客厅 墙面空鼓 (major); 客厅 墙面空鼓 (major)");
  EXPECT_EQ(defects_description({&a}, 3), "验房遗");
}

TEST(HandoverRules, HandoverDateIsNotInTheFuture) {
  absl::CivilDay today(2026, 12, 4);
  EXPECT_EQ(check_handover_day(today, today), "");
  EXPECT_NE(check_handover_day(today + 1, today), "");
  EXPECT_NE(check_handover_day(absl::CivilDay(1999, 12, 31), today), "");
}

TEST(HandoverRules, KeysAreOverdueFromTheNoticeDayUntilCollected) {
  absl::CivilDay today(2026, 12, 4);
  EXPECT_EQ(days_overdue(absl::CivilDay(2026, 11, 30), std::nullopt, today), 4);
  EXPECT_EQ(days_overdue(today, std::nullopt, today), 0);
  EXPECT_EQ(days_overdue(today + 1, std::nullopt, today), std::nullopt);
  EXPECT_EQ(days_overdue(absl::CivilDay(2026, 11, 1), today, today), std::nullopt);
  EXPECT_EQ(days_overdue(std::nullopt, std::nullopt, today), std::nullopt);
}

TEST(DecorationRules, RefundIsTheDepositMinusTheDeductions) {
  EXPECT_EQ(deposit_refund(500000, 0), 500000);
  EXPECT_EQ(deposit_refund(500000, 80000), 420000);
  EXPECT_EQ(deposit_refund(500000, 500000), 0);
  EXPECT_EQ(deposit_refund(0, 0), 0);
}

TEST(DecorationRules, DeductionsFitInTheDeposit) {
  EXPECT_EQ(check_deduction(500000, 0, 80000), "");
  EXPECT_EQ(check_deduction(500000, 420000, 80000), "");  // exactly what is left
  EXPECT_NE(check_deduction(500000, 420001, 80000), "");
  EXPECT_NE(check_deduction(500000, 0, -1), "");
}

DecorationPermit permit(DecorationPermitStatus s) {
  DecorationPermit p;
  p.set_status(s);
  return p;
}

TEST(DecorationRules, ActionsFollowThePermitsLife) {
  EXPECT_EQ(check_permit_action(permit(DECORATION_PERMIT_STATUS_APPLIED), PermitAction::kApprove),
            "");
  EXPECT_NE(check_permit_action(permit(DECORATION_PERMIT_STATUS_APPROVED), PermitAction::kApprove),
            "");
  EXPECT_NE(check_permit_action(permit(DECORATION_PERMIT_STATUS_REFUSED), PermitAction::kInspect),
            "");
  EXPECT_NE(check_permit_action(permit(DECORATION_PERMIT_STATUS_APPLIED), PermitAction::kViolation),
            "");
  EXPECT_EQ(
      check_permit_action(permit(DECORATION_PERMIT_STATUS_IN_PROGRESS), PermitAction::kViolation),
      "");
  EXPECT_EQ(status_after_works(DECORATION_PERMIT_STATUS_APPROVED),
            DECORATION_PERMIT_STATUS_IN_PROGRESS);
}

TEST(DecorationRules, FinishNeedsAPassedFinalInspection) {
  DecorationPermit p = permit(DECORATION_PERMIT_STATUS_IN_PROGRESS);
  EXPECT_EQ(check_permit_action(p, PermitAction::kFinish),
            "the final inspection has not passed yet");
  p.add_inspections()->set_passed(true);
  p.add_inspections()->set_passed(false);
  EXPECT_NE(check_permit_action(p, PermitAction::kFinish), "");
  p.add_inspections()->set_passed(true);
  EXPECT_EQ(check_permit_action(p, PermitAction::kFinish), "");
  EXPECT_NE(check_permit_action(permit(DECORATION_PERMIT_STATUS_FINISHED), PermitAction::kFinish),
            "");
}

TEST(DecorationRules, AViolationIsReInspectedBeforeTheRefund) {
  DecorationPermit p = permit(DECORATION_PERMIT_STATUS_IN_PROGRESS);
  auto* concealed = p.add_inspections();
  concealed->set_passed(true);
  concealed->mutable_at()->set_seconds(1000);
  auto* v = p.add_violations();
  v->set_violation_id("v1");
  v->mutable_recorded_at()->set_seconds(2000);
  EXPECT_EQ(check_permit_action(p, PermitAction::kFinish),
            "violation v1 has not been re-inspected yet");
  auto* final_one = p.add_inspections();
  final_one->set_passed(true);
  final_one->mutable_at()->set_seconds(3000);
  EXPECT_EQ(check_permit_action(p, PermitAction::kFinish), "");
}

TEST(DecorationRules, WorksDatesAreInOrderAndWithinAYear) {
  EXPECT_EQ(check_works_dates(absl::CivilDay(2026, 12, 10), absl::CivilDay(2027, 2, 10), 366), "");
  EXPECT_NE(check_works_dates(absl::CivilDay(2026, 12, 10), absl::CivilDay(2026, 12, 9), 366), "");
  EXPECT_NE(check_works_dates(absl::CivilDay(2026, 12, 10), absl::CivilDay(2028, 12, 10), 366), "");
}

}  // namespace
}  // namespace aftercare::intake::domain
