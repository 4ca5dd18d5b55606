// Working-day arithmetic: holidays, make-up weekend days, year ends, and day 0 rules.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "intake/domain/calendar.h"
#include "unit/intake/calendar_fixture.h"

namespace aftercare::intake::domain {
namespace {

using absl::CivilDay;
using testing::china_like_calendar;

TEST(WorkingDayCalendar, FixtureDatesFallOnTheIntendedWeekdays) {
  EXPECT_EQ(absl::GetWeekday(CivilDay(2026, 9, 27)), absl::Weekday::sunday);
  EXPECT_EQ(absl::GetWeekday(CivilDay(2026, 10, 1)), absl::Weekday::thursday);
  EXPECT_EQ(absl::GetWeekday(CivilDay(2026, 10, 7)), absl::Weekday::wednesday);
  EXPECT_EQ(absl::GetWeekday(CivilDay(2026, 10, 10)), absl::Weekday::saturday);
  EXPECT_EQ(absl::GetWeekday(CivilDay(2027, 1, 1)), absl::Weekday::friday);
  EXPECT_EQ(absl::GetWeekday(CivilDay(2027, 1, 9)), absl::Weekday::saturday);
}

TEST(WorkingDayCalendar, PlainWeekWithoutLoadedYear) {
  WorkingDayCalendar calendar;
  EXPECT_TRUE(calendar.is_working_day(CivilDay(2026, 10, 1)));   // Thursday
  EXPECT_FALSE(calendar.is_working_day(CivilDay(2026, 10, 3)));  // Saturday
  EXPECT_FALSE(calendar.is_working_day(CivilDay(2026, 10, 4)));  // Sunday
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 30), 1), CivilDay(2026, 10, 1));
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 10, 2), 1), CivilDay(2026, 10, 5));
}

TEST(WorkingDayCalendar, HolidaysAndMakeUpDaysOverrideTheWeek) {
  WorkingDayCalendar calendar = china_like_calendar();
  EXPECT_FALSE(calendar.is_working_day(CivilDay(2026, 9, 26)));  // ordinary Saturday
  EXPECT_TRUE(calendar.is_working_day(CivilDay(2026, 9, 27)));   // make-up Sunday
  for (int d = 1; d <= 7; ++d) {
    EXPECT_FALSE(calendar.is_working_day(CivilDay(2026, 10, d))) << "October " << d;
  }
  EXPECT_TRUE(calendar.is_working_day(CivilDay(2026, 10, 8)));
  EXPECT_TRUE(calendar.is_working_day(CivilDay(2026, 10, 10)));   // make-up Saturday
  EXPECT_FALSE(calendar.is_working_day(CivilDay(2026, 10, 11)));  // ordinary Sunday
}

TEST(WorkingDayCalendar, CountsAcrossTheHolidayWeek) {
  WorkingDayCalendar calendar = china_like_calendar();
  // Friday 25 September: the next working day is the make-up Sunday.
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 25), 1), CivilDay(2026, 9, 27));
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 25), 2), CivilDay(2026, 9, 28));
  // Wednesday 30 September: the whole holiday week is skipped.
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 30), 1), CivilDay(2026, 10, 8));
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 30), 2), CivilDay(2026, 10, 9));
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 30), 3), CivilDay(2026, 10, 10));
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 30), 4), CivilDay(2026, 10, 12));
  // 15 working days from Wednesday 23 September: 19 October (a plain week would give 14 October).
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 23), 15), CivilDay(2026, 10, 19));
  EXPECT_EQ(WorkingDayCalendar().nth_working_day_after(CivilDay(2026, 9, 23), 15),
            CivilDay(2026, 10, 14));
}

TEST(WorkingDayCalendar, DayZeroNeverCountsEvenWhenItIsAWorkingDay) {
  WorkingDayCalendar calendar = china_like_calendar();
  // Day 0 on a holiday, on a weekend, and on a make-up working day.
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 10, 3), 1), CivilDay(2026, 10, 8));
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 11, 21), 1), CivilDay(2026, 11, 23));
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 9, 27), 1), CivilDay(2026, 9, 28));
  // n = 0 is day 0 itself, even on a holiday.
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 10, 3), 0), CivilDay(2026, 10, 3));
  EXPECT_EQ(calendar.nth_working_day_after(CivilDay(2026, 10, 3), -2), CivilDay(2026, 10, 3));
}

TEST(WorkingDayCalendar, CountsAcrossTheYearEndWithBothYearsLoaded) {
  WorkingDayCalendar calendar = china_like_calendar();
  CivilDay wednesday(2026, 12, 30);
  EXPECT_EQ(calendar.nth_working_day_after(wednesday, 1), CivilDay(2026, 12, 31));
  EXPECT_EQ(calendar.nth_working_day_after(wednesday, 2), CivilDay(2027, 1, 4));  // 1 Jan off
  EXPECT_EQ(calendar.nth_working_day_after(wednesday, 3), CivilDay(2027, 1, 5));
  EXPECT_EQ(calendar.nth_working_day_after(wednesday, 7), CivilDay(2027, 1, 9));  // make-up Sat

  // Only 2026 loaded: 2027 follows the plain week, so New Year's Day counts.
  WorkingDayCalendar only_2026;
  only_2026.set_year(2026, testing::national_day_holidays_2026(), testing::makeup_workdays_2026());
  EXPECT_TRUE(only_2026.has_year(2026));
  EXPECT_FALSE(only_2026.has_year(2027));
  EXPECT_EQ(only_2026.nth_working_day_after(wednesday, 2), CivilDay(2027, 1, 1));
}

TEST(WorkingDayCalendar, SetYearReplacesThatYearOnly) {
  WorkingDayCalendar calendar = china_like_calendar();
  calendar.set_year(2026, {}, {});
  EXPECT_TRUE(calendar.is_working_day(CivilDay(2026, 10, 1)));
  EXPECT_FALSE(calendar.is_working_day(CivilDay(2026, 9, 27)));
  EXPECT_FALSE(calendar.is_working_day(CivilDay(2027, 1, 1)));  // 2027 untouched
}

TEST(CheckYearLists, AcceptsAnOfficialLookingYear) {
  std::vector<CivilDay> holidays = testing::national_day_holidays_2026();
  EXPECT_EQ(check_year_lists(2026, holidays, testing::makeup_workdays_2026()), "");
  EXPECT_EQ(check_year_lists(2026, {}, {}), "");
}

TEST(CheckYearLists, HolidayMayFallOnAWeekend) {
  EXPECT_EQ(check_year_lists(2026, {CivilDay(2026, 10, 3), CivilDay(2026, 10, 4)}, {}), "");
}

TEST(CheckYearLists, RefusesDatesOfAnotherYear) {
  EXPECT_EQ(check_year_lists(2026, {CivilDay(2025, 10, 1)}, {}),
            "holidays[0] 2025-10-01 is not in 2026");
  EXPECT_EQ(check_year_lists(2026, {}, {CivilDay(2026, 9, 27), CivilDay(2027, 1, 9)}),
            "workdays[1] 2027-01-09 is not in 2026");
}

TEST(CheckYearLists, RefusesADateThatIsBothHolidayAndWorkday) {
  EXPECT_EQ(check_year_lists(2026, {CivilDay(2026, 10, 10)}, {CivilDay(2026, 10, 10)}),
            "workdays[0] 2026-10-10 is also listed in holidays");
}

TEST(CheckYearLists, MakeUpWorkdayMustBeAWeekendDay) {
  EXPECT_EQ(check_year_lists(2026, {}, {CivilDay(2026, 10, 9)}),
            "workdays[0] 2026-10-09 is a Friday, not a weekend day");
}

TEST(CheckYearLists, RefusesDuplicatesAndAbsurdYears) {
  EXPECT_EQ(check_year_lists(2026, {CivilDay(2026, 10, 1), CivilDay(2026, 10, 1)}, {}),
            "holidays[1] 2026-10-01 is listed twice");
  EXPECT_EQ(check_year_lists(0, {}, {}), "year must be between 1900 and 9999");
}

}  // namespace
}  // namespace aftercare::intake::domain
