// Warranty periods from the handover date, anniversaries and 29 February.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "intake/domain/dates.h"
#include "intake/domain/warranty.h"

namespace aftercare::intake::domain {
namespace {

using absl::CivilDay;
namespace v1 = aftercare::v1;

const IntakePolicy kDefaults = IntakePolicy::defaults();

TEST(Warranty, EachComponentGroupHasItsDomainPeriod) {
  CivilDay handover(2024, 6, 15);
  EXPECT_EQ(warranty_ends(handover, v1::COMPONENT_STRUCTURE, kDefaults), CivilDay(2074, 6, 15));
  for (auto c : {v1::COMPONENT_ROOF_WATERPROOFING, v1::COMPONENT_BATHROOM_WATERPROOFING,
                 v1::COMPONENT_EXTERIOR_WALL}) {
    EXPECT_EQ(warranty_ends(handover, c, kDefaults), CivilDay(2029, 6, 15)) << c;
  }
  for (auto c : {v1::COMPONENT_ELECTRICAL, v1::COMPONENT_PLUMBING, v1::COMPONENT_HEATING,
                 v1::COMPONENT_DECORATION, v1::COMPONENT_DOOR_WINDOW, v1::COMPONENT_ELEVATOR,
                 v1::COMPONENT_FIRE_SAFETY, v1::COMPONENT_GAS}) {
    EXPECT_EQ(warranty_ends(handover, c, kDefaults), CivilDay(2026, 6, 15)) << c;
  }
  EXPECT_EQ(warranty_ends(handover, v1::COMPONENT_OTHER, kDefaults), CivilDay(2025, 6, 15));
}

TEST(Warranty, EveryKnownComponentHasAPeriod) {
  for (int c = 1; c < v1::Component_ARRAYSIZE; ++c) {
    EXPECT_TRUE(kDefaults.warranty_years.contains(static_cast<v1::Component>(c))) << c;
  }
}

TEST(Warranty, TheAnniversaryItselfIsOutOfWarranty) {
  CivilDay ends = warranty_ends(CivilDay(2024, 6, 15), v1::COMPONENT_PLUMBING, kDefaults);
  EXPECT_TRUE(in_warranty(CivilDay(2026, 6, 14), ends));
  EXPECT_FALSE(in_warranty(CivilDay(2026, 6, 15), ends));
  EXPECT_FALSE(in_warranty(CivilDay(2026, 6, 16), ends));
  EXPECT_TRUE(in_warranty(CivilDay(2024, 6, 15), ends));  // handover day
}

TEST(Warranty, TheReportsLocalDayDecides) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  CivilDay ends = warranty_ends(CivilDay(2024, 6, 15), v1::COMPONENT_PLUMBING, kDefaults);
  // 14 June 20:00 UTC is already 15 June 04:00 in Shanghai: out of warranty.
  absl::Time reported_at =
      absl::FromCivil(absl::CivilSecond(2026, 6, 14, 20, 0, 0), absl::UTCTimeZone());
  EXPECT_FALSE(in_warranty(local_day(reported_at, shanghai), ends));
  EXPECT_TRUE(in_warranty(local_day(reported_at, absl::UTCTimeZone()), ends));
}

TEST(Warranty, HandoverOn29FebruaryEndsOn28FebruaryOfACommonYear) {
  CivilDay leap_day(2024, 2, 29);
  EXPECT_EQ(warranty_ends(leap_day, v1::COMPONENT_OTHER, kDefaults), CivilDay(2025, 2, 28));
  EXPECT_EQ(warranty_ends(leap_day, v1::COMPONENT_PLUMBING, kDefaults), CivilDay(2026, 2, 28));
  EXPECT_EQ(warranty_ends(leap_day, v1::COMPONENT_EXTERIOR_WALL, kDefaults), CivilDay(2029, 2, 28));
  EXPECT_EQ(warranty_ends(leap_day, v1::COMPONENT_STRUCTURE, kDefaults), CivilDay(2074, 2, 28));
  EXPECT_TRUE(in_warranty(CivilDay(2026, 2, 27), CivilDay(2026, 2, 28)));
  EXPECT_FALSE(in_warranty(CivilDay(2026, 2, 28), CivilDay(2026, 2, 28)));

  IntakePolicy policy = kDefaults;
  policy.warranty_years[v1::COMPONENT_OTHER] = 4;  // lands on a leap year: stays 29 February
  EXPECT_EQ(warranty_ends(leap_day, v1::COMPONENT_OTHER, policy), CivilDay(2028, 2, 29));
  policy.warranty_years[v1::COMPONENT_STRUCTURE] = 100;  // 2100 is not a leap year
  EXPECT_EQ(warranty_ends(CivilDay(2000, 2, 29), v1::COMPONENT_STRUCTURE, policy),
            CivilDay(2100, 2, 28));
}

TEST(Warranty, ProjectOverrideChangesThePeriod) {
  IntakePolicy policy = kDefaults;
  policy.warranty_years[v1::COMPONENT_ELEVATOR] = 3;
  EXPECT_EQ(warranty_ends(CivilDay(2024, 6, 15), v1::COMPONENT_ELEVATOR, policy),
            CivilDay(2027, 6, 15));
}

}  // namespace
}  // namespace aftercare::intake::domain
