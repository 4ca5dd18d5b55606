// Callback due dates after a repair or a resolved complaint: safety 2, leak 3, others 7 calendar
// days after the local day of completion, by the end of that day.
#include <gtest/gtest.h>

#include "callback/domain/dates.h"
#include "callback/domain/due.h"

namespace aftercare::callback::domain {
namespace {

namespace v1 = aftercare::v1;
using absl::CivilDay;
using absl::CivilSecond;

absl::TimeZone shanghai() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  return zone;
}

const CallbackPolicy kDefaults = CallbackPolicy::defaults();

v1::CallbackDueKind kind_of(v1::Component c) {
  return classify({c, v1::URGENCY_NORMAL}, kDefaults);
}

TEST(DueKind, SafetyComponents) {
  for (auto c : {v1::COMPONENT_GAS, v1::COMPONENT_ELECTRICAL, v1::COMPONENT_FIRE_SAFETY,
                 v1::COMPONENT_ELEVATOR, v1::COMPONENT_STRUCTURE}) {
    EXPECT_EQ(kind_of(c), v1::CALLBACK_DUE_KIND_SAFETY) << c;
  }
}

TEST(DueKind, LeakComponents) {
  for (auto c : {v1::COMPONENT_ROOF_WATERPROOFING, v1::COMPONENT_BATHROOM_WATERPROOFING,
                 v1::COMPONENT_EXTERIOR_WALL, v1::COMPONENT_PLUMBING}) {
    EXPECT_EQ(kind_of(c), v1::CALLBACK_DUE_KIND_LEAK) << c;
  }
}

TEST(DueKind, EverythingElseIsOther) {
  for (auto c : {v1::COMPONENT_HEATING, v1::COMPONENT_DECORATION, v1::COMPONENT_DOOR_WINDOW,
                 v1::COMPONENT_OTHER, v1::COMPONENT_UNSPECIFIED}) {
    EXPECT_EQ(kind_of(c), v1::CALLBACK_DUE_KIND_OTHER) << c;
  }
}

TEST(DueKind, EmergencyAndDispatchFlagsCount) {
  EXPECT_EQ(classify({v1::COMPONENT_DECORATION, v1::URGENCY_EMERGENCY}, kDefaults),
            v1::CALLBACK_DUE_KIND_SAFETY);
  EXPECT_EQ(classify({v1::COMPONENT_HEATING, v1::URGENCY_NORMAL, false, true}, kDefaults),
            v1::CALLBACK_DUE_KIND_LEAK);
  EXPECT_EQ(classify({v1::COMPONENT_OTHER, v1::URGENCY_NORMAL, true, false}, kDefaults),
            v1::CALLBACK_DUE_KIND_SAFETY);
  // Safety wins over leak: the shorter deadline.
  EXPECT_EQ(classify({v1::COMPONENT_PLUMBING, v1::URGENCY_NORMAL, true, true}, kDefaults),
            v1::CALLBACK_DUE_KIND_SAFETY);
  CallbackPolicy no_emergency = kDefaults;
  no_emergency.emergency_is_safety = false;
  EXPECT_EQ(classify({v1::COMPONENT_DECORATION, v1::URGENCY_EMERGENCY}, no_emergency),
            v1::CALLBACK_DUE_KIND_OTHER);
}

TEST(DueAt, CalendarDaysAfterTheLocalCompletionDayByItsEnd) {
  absl::TimeZone zone = shanghai();
  // Friday 14 June 2024, 15:00 in Shanghai; weekends count (calendar days).
  absl::Time signed_off = absl::FromCivil(CivilSecond(2024, 6, 14, 15, 0, 0), zone);
  EXPECT_EQ(callback_due_at(signed_off, v1::CALLBACK_DUE_KIND_SAFETY, kDefaults, zone),
            absl::FromCivil(CivilSecond(2024, 6, 16, 23, 59, 59), zone));
  EXPECT_EQ(callback_due_at(signed_off, v1::CALLBACK_DUE_KIND_LEAK, kDefaults, zone),
            absl::FromCivil(CivilSecond(2024, 6, 17, 23, 59, 59), zone));
  EXPECT_EQ(callback_due_at(signed_off, v1::CALLBACK_DUE_KIND_OTHER, kDefaults, zone),
            absl::FromCivil(CivilSecond(2024, 6, 21, 23, 59, 59), zone));
}

TEST(DueAt, TheProjectsLocalDayDecides) {
  absl::TimeZone zone = shanghai();
  // 20:00 UTC on 14 June is already 04:00 on 15 June in Shanghai.
  absl::Time signed_off = absl::FromCivil(CivilSecond(2024, 6, 14, 20, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(
      local_day(callback_due_at(signed_off, v1::CALLBACK_DUE_KIND_SAFETY, kDefaults, zone), zone),
      CivilDay(2024, 6, 17));
  EXPECT_EQ(local_day(callback_due_at(signed_off, v1::CALLBACK_DUE_KIND_SAFETY, kDefaults,
                                      absl::UTCTimeZone()),
                      absl::UTCTimeZone()),
            CivilDay(2024, 6, 16));
}

TEST(DueAt, DaysComeFromThePolicy) {
  absl::TimeZone zone = shanghai();
  CallbackPolicy p = kDefaults;
  p.safety_due_days = 1;
  p.leak_due_days = 5;
  p.default_due_days = 10;
  absl::Time t = absl::FromCivil(CivilSecond(2024, 12, 30, 9, 0, 0), zone);
  EXPECT_EQ(local_day(callback_due_at(t, v1::CALLBACK_DUE_KIND_SAFETY, p, zone), zone),
            CivilDay(2024, 12, 31));
  EXPECT_EQ(local_day(callback_due_at(t, v1::CALLBACK_DUE_KIND_LEAK, p, zone), zone),
            CivilDay(2025, 1, 4));
  EXPECT_EQ(local_day(callback_due_at(t, v1::CALLBACK_DUE_KIND_OTHER, p, zone), zone),
            CivilDay(2025, 1, 9));
}

}  // namespace
}  // namespace aftercare::callback::domain
