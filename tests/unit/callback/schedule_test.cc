// Periodic callbacks after handover (same day-of-month, clamped), warranty-expiry reminders and
// the creation window of the generator.
#include <gtest/gtest.h>

#include "callback/domain/dates.h"
#include "callback/domain/schedule.h"

namespace aftercare::callback::domain {
namespace {

namespace v1 = aftercare::v1;
using absl::CivilDay;

const CallbackPolicy kDefaults = CallbackPolicy::defaults();

TEST(AddMonths, SameDayOfMonthClampedToTheMonthsEnd) {
  EXPECT_EQ(add_months_clamped(CivilDay(2024, 1, 15), 1), CivilDay(2024, 2, 15));
  EXPECT_EQ(add_months_clamped(CivilDay(2024, 1, 31), 1), CivilDay(2024, 2, 29));
  EXPECT_EQ(add_months_clamped(CivilDay(2023, 1, 31), 1), CivilDay(2023, 2, 28));
  EXPECT_EQ(add_months_clamped(CivilDay(2024, 8, 31), 3), CivilDay(2024, 11, 30));
  EXPECT_EQ(add_months_clamped(CivilDay(2024, 10, 31), 3), CivilDay(2025, 1, 31));
  EXPECT_EQ(add_months_clamped(CivilDay(2024, 3, 31), -1), CivilDay(2024, 2, 29));
  EXPECT_EQ(add_months_clamped(CivilDay(2024, 2, 29), 12), CivilDay(2025, 2, 28));
}

TEST(HandoverMilestones, OneThreeAndSixMonthsWithTheirReasons) {
  auto m = handover_milestones(CivilDay(2024, 8, 31), kDefaults);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].reason, v1::CALLBACK_REASON_HANDOVER_1_MONTH);
  EXPECT_EQ(m[0].months, 1);
  EXPECT_EQ(m[0].day, CivilDay(2024, 9, 30));
  EXPECT_EQ(m[1].reason, v1::CALLBACK_REASON_HANDOVER_3_MONTHS);
  EXPECT_EQ(m[1].day, CivilDay(2024, 11, 30));
  EXPECT_EQ(m[2].reason, v1::CALLBACK_REASON_HANDOVER_6_MONTHS);
  EXPECT_EQ(m[2].day, CivilDay(2025, 2, 28));
}

TEST(HandoverMilestones, MonthsComeFromThePolicy) {
  CallbackPolicy p = kDefaults;
  p.handover_callback_months = {2, 12};
  auto m = handover_milestones(CivilDay(2024, 1, 10), p);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].day, CivilDay(2024, 3, 10));
  EXPECT_EQ(m[0].reason, v1::CALLBACK_REASON_HANDOVER_1_MONTH);  // the first periodic callback
  EXPECT_EQ(m[1].day, CivilDay(2025, 1, 10));
  EXPECT_EQ(m[1].months, 12);
}

TEST(WarrantyEnds, SameAsIntakeAnniversaries) {
  EXPECT_EQ(warranty_ends(CivilDay(2024, 6, 15), v1::COMPONENT_PLUMBING, kDefaults),
            CivilDay(2026, 6, 15));
  EXPECT_EQ(warranty_ends(CivilDay(2024, 6, 15), v1::COMPONENT_ROOF_WATERPROOFING, kDefaults),
            CivilDay(2029, 6, 15));
  EXPECT_EQ(warranty_ends(CivilDay(2024, 6, 15), v1::COMPONENT_OTHER, kDefaults),
            CivilDay(2025, 6, 15));
  EXPECT_EQ(warranty_ends(CivilDay(2024, 6, 15), v1::COMPONENT_STRUCTURE, kDefaults),
            CivilDay(2074, 6, 15));
  EXPECT_EQ(warranty_ends(CivilDay(2024, 2, 29), v1::COMPONENT_OTHER, kDefaults),
            CivilDay(2025, 2, 28));
}

TEST(WarrantyReminders, OnePerEndDateThirtyDaysBefore) {
  auto reminders = warranty_reminders(CivilDay(2024, 6, 15), kDefaults);
  ASSERT_EQ(reminders.size(), 4u);  // 1, 2, 5 and 50 years
  EXPECT_EQ(reminders[0].ends, CivilDay(2025, 6, 15));
  EXPECT_EQ(reminders[0].remind_on, CivilDay(2025, 5, 16));
  EXPECT_EQ(reminders[0].components, (std::vector<v1::Component>{v1::COMPONENT_OTHER}));
  EXPECT_EQ(reminders[1].ends, CivilDay(2026, 6, 15));
  EXPECT_EQ(reminders[1].components,
            (std::vector<v1::Component>{v1::COMPONENT_ELECTRICAL, v1::COMPONENT_PLUMBING,
                                        v1::COMPONENT_HEATING, v1::COMPONENT_DECORATION,
                                        v1::COMPONENT_DOOR_WINDOW, v1::COMPONENT_ELEVATOR,
                                        v1::COMPONENT_FIRE_SAFETY, v1::COMPONENT_GAS}));
  EXPECT_EQ(reminders[2].ends, CivilDay(2029, 6, 15));
  EXPECT_EQ(reminders[2].components.size(), 3u);
  EXPECT_EQ(reminders[3].components, (std::vector<v1::Component>{v1::COMPONENT_STRUCTURE}));
}

TEST(WarrantyReminders, PolicyChangesPeriodsAndLead) {
  CallbackPolicy p = kDefaults;
  p.warranty_years[v1::COMPONENT_PLUMBING] = 3;
  p.warranty_reminder_lead_days = 10;
  auto reminders = warranty_reminders(CivilDay(2024, 6, 15), p);
  bool found = false;
  for (const auto& r : reminders) {
    if (r.ends == CivilDay(2027, 6, 15)) {
      found = true;
      EXPECT_EQ(r.components, (std::vector<v1::Component>{v1::COMPONENT_PLUMBING}));
      EXPECT_EQ(r.remind_on, CivilDay(2027, 6, 5));
    }
  }
  EXPECT_TRUE(found);
}

TEST(CreationWindow, FromAWeekAheadToThirtyDaysLate) {
  CivilDay today(2024, 7, 1);
  EXPECT_TRUE(in_creation_window(CivilDay(2024, 7, 8), today, kDefaults));
  EXPECT_FALSE(in_creation_window(CivilDay(2024, 7, 9), today, kDefaults));
  EXPECT_TRUE(in_creation_window(CivilDay(2024, 6, 1), today, kDefaults));
  EXPECT_FALSE(in_creation_window(CivilDay(2024, 5, 31), today, kDefaults));
}

TEST(SourceKeys, StablePerUnitAndMilestone) {
  EXPECT_EQ(handover_source_key("U-1", 3), "handover:U-1:3");
  EXPECT_NE(handover_source_key("U-1", 3), handover_source_key("U-1", 6));
  EXPECT_EQ(warranty_source_key("U-1", CivilDay(2026, 6, 15)), "warranty:U-1:2026-06-15");
  EXPECT_EQ(work_order_source_key("WO-9"), "work_order:WO-9");
}

TEST(Dates, IsoWeekStartsOnMonday) {
  EXPECT_EQ(iso_week_start(CivilDay(2024, 6, 16)), CivilDay(2024, 6, 10));  // Sunday
  EXPECT_EQ(iso_week_start(CivilDay(2024, 6, 10)), CivilDay(2024, 6, 10));  // Monday
  EXPECT_EQ(iso_week_start(CivilDay(2025, 1, 1)), CivilDay(2024, 12, 30));
}

TEST(Dates, ParseDayIsStrict) {
  CivilDay d;
  EXPECT_TRUE(parse_day("2024-02-29", &d));
  EXPECT_EQ(d, CivilDay(2024, 2, 29));
  EXPECT_FALSE(parse_day("2023-02-29", &d));
  EXPECT_FALSE(parse_day("2024-13-01", &d));
  EXPECT_FALSE(parse_day("2024-1-01", &d));
}

TEST(SourceKeys, AReporterOfAReopenedIncidentIsCalledBackAgainEachRound) {
  // Issue 23: the first resolution keeps the key it always had; each later round has its own.
  EXPECT_EQ(incident_source_key("I-1", "T-1"), "incident:I-1:T-1");
  EXPECT_EQ(incident_source_key("I-1", "T-1", 0), "incident:I-1:T-1");
  EXPECT_EQ(incident_source_key("I-1", "T-1", 1), "incident:I-1:T-1:round:1");
  EXPECT_NE(incident_source_key("I-1", "T-1", 1), incident_source_key("I-1", "T-1", 2));
}

}  // namespace
}  // namespace aftercare::callback::domain
