// Ticket deadlines in the project's zone (Asia/Shanghai, UTC+8, no DST).
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "intake/domain/dates.h"
#include "intake/domain/deadlines.h"
#include "unit/intake/calendar_fixture.h"

namespace aftercare::intake::domain {
namespace {

using aftercare::v1::TICKET_CATEGORY_DECORATION;
using aftercare::v1::TICKET_CATEGORY_HOUSE_QUALITY;
using aftercare::v1::TICKET_CATEGORY_OTHER;
using aftercare::v1::TICKET_CATEGORY_PUBLIC_FACILITY;
using aftercare::v1::TICKET_KIND_COMPLAINT;
using aftercare::v1::TICKET_KIND_CONSULTATION;
using aftercare::v1::TICKET_KIND_REPAIR;
using aftercare::v1::URGENCY_EMERGENCY;
using aftercare::v1::URGENCY_NORMAL;

class DeadlinesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone_)); }

  absl::Time local(int y, int mo, int d, int h, int mi, int s = 0) const {
    return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), zone_);
  }
  absl::Time end_of(int y, int mo, int d) const { return local(y, mo, d, 23, 59, 59); }

  Deadlines compute(absl::Time reported_at, aftercare::v1::Urgency urgency,
                    aftercare::v1::TicketCategory category = TICKET_CATEGORY_DECORATION,
                    aftercare::v1::TicketKind kind = TICKET_KIND_REPAIR) const {
    return compute_deadlines(reported_at, urgency, category, kind, policy_, calendar_, zone_);
  }

  absl::TimeZone zone_;
  IntakePolicy policy_ = IntakePolicy::defaults();
  WorkingDayCalendar calendar_ = testing::china_like_calendar();
};

TEST_F(DeadlinesTest, EndOfLocalDayIsInTheProjectZone) {
  // 23:59:59 in Shanghai is 15:59:59 UTC.
  EXPECT_EQ(end_of_local_day(absl::CivilDay(2026, 11, 20), zone_),
            absl::FromCivil(absl::CivilSecond(2026, 11, 20, 15, 59, 59), absl::UTCTimeZone()));
}

TEST_F(DeadlinesTest, LocalDayDecidesDayZeroNotTheUtcDay) {
  // Thursday 19 November 23:30 local: day 0 is Thursday, response due end of Friday.
  Deadlines late_thursday = compute(local(2026, 11, 19, 23, 30), URGENCY_NORMAL);
  EXPECT_EQ(late_thursday.response_due, end_of(2026, 11, 20));

  // Friday 20 November 00:30 local is still Thursday 16:30 in UTC; day 0 is Friday, so the
  // response is due end of Monday, not end of Friday.
  absl::Time early_friday = local(2026, 11, 20, 0, 30);
  ASSERT_EQ(absl::ToCivilDay(early_friday, absl::UTCTimeZone()), absl::CivilDay(2026, 11, 19));
  EXPECT_EQ(compute(early_friday, URGENCY_NORMAL).response_due, end_of(2026, 11, 23));
}

TEST_F(DeadlinesTest, NormalResponseSkipsTheHolidayWeek) {
  EXPECT_EQ(compute(local(2026, 9, 30, 10, 0), URGENCY_NORMAL).response_due, end_of(2026, 10, 8));
  // A report on a holiday: day 0 is the holiday, the 1st working day is after the holidays.
  EXPECT_EQ(compute(local(2026, 10, 2, 9, 0), URGENCY_NORMAL).response_due, end_of(2026, 10, 8));
}

TEST_F(DeadlinesTest, EmergencyResponseIsTwoHoursAroundTheClock) {
  absl::Time saturday_night = local(2026, 10, 3, 3, 10);  // holiday and weekend
  Deadlines due = compute(saturday_night, URGENCY_EMERGENCY);
  EXPECT_EQ(due.response_due, saturday_night + absl::Hours(2));
  // Resolution still counts working days.
  EXPECT_EQ(due.resolve_due, end_of(2026, 10, 27));
}

TEST_F(DeadlinesTest, ResolveDueByCategory) {
  // Wednesday 23 September 2026, 10:00 local; the National Day week lies within every deadline.
  absl::Time reported_at = local(2026, 9, 23, 10, 0);
  EXPECT_EQ(compute(reported_at, URGENCY_NORMAL, TICKET_CATEGORY_HOUSE_QUALITY).resolve_due,
            end_of(2026, 11, 9));
  EXPECT_EQ(compute(reported_at, URGENCY_NORMAL, TICKET_CATEGORY_DECORATION).resolve_due,
            end_of(2026, 10, 19));
  EXPECT_EQ(compute(reported_at, URGENCY_NORMAL, TICKET_CATEGORY_PUBLIC_FACILITY).resolve_due,
            end_of(2026, 11, 9));
  EXPECT_EQ(compute(reported_at, URGENCY_NORMAL, TICKET_CATEGORY_OTHER).resolve_due,
            end_of(2026, 10, 19));
  EXPECT_EQ(compute(reported_at, URGENCY_NORMAL).response_due, end_of(2026, 9, 24));
}

TEST_F(DeadlinesTest, PolicyOverridesChangeTheDeadlines) {
  policy_.resolve_working_days[TICKET_CATEGORY_DECORATION] = 1;
  policy_.emergency_response_minutes = 30;
  policy_.normal_response_working_days = 2;
  absl::Time reported_at = local(2026, 9, 23, 10, 0);
  Deadlines normal = compute(reported_at, URGENCY_NORMAL);
  EXPECT_EQ(normal.resolve_due, end_of(2026, 9, 24));
  EXPECT_EQ(normal.response_due, end_of(2026, 9, 25));
  EXPECT_EQ(compute(reported_at, URGENCY_EMERGENCY).response_due, reported_at + absl::Minutes(30));
}

TEST_F(DeadlinesTest, ComplaintReplyIsCappedAt24Hours) {
  // Friday 18:00: the working-day rule would allow until Monday night; the cap says Saturday.
  absl::Time friday_evening = local(2026, 11, 20, 18, 0);
  EXPECT_EQ(compute(friday_evening, URGENCY_NORMAL, TICKET_CATEGORY_OTHER, TICKET_KIND_COMPLAINT)
                .response_due,
            local(2026, 11, 21, 18, 0));
  // Other kinds keep the working-day rule.
  EXPECT_EQ(compute(friday_evening, URGENCY_NORMAL, TICKET_CATEGORY_OTHER, TICKET_KIND_CONSULTATION)
                .response_due,
            end_of(2026, 11, 23));
  // An emergency complaint keeps the shorter emergency deadline.
  EXPECT_EQ(compute(friday_evening, URGENCY_EMERGENCY, TICKET_CATEGORY_OTHER, TICKET_KIND_COMPLAINT)
                .response_due,
            friday_evening + absl::Hours(2));
}

TEST_F(DeadlinesTest, ComplaintTakesTheEarlierOfCapAndWorkingDayRule) {
  // With a 96-hour cap the working-day rule (end of Monday) comes first.
  policy_.complaint_reply_hours = 96;
  absl::Time friday_evening = local(2026, 11, 20, 18, 0);
  EXPECT_EQ(compute(friday_evening, URGENCY_NORMAL, TICKET_CATEGORY_OTHER, TICKET_KIND_COMPLAINT)
                .response_due,
            end_of(2026, 11, 23));
  policy_.complaint_reply_hours = 72;
  EXPECT_EQ(compute(friday_evening, URGENCY_NORMAL, TICKET_CATEGORY_OTHER, TICKET_KIND_COMPLAINT)
                .response_due,
            local(2026, 11, 23, 18, 0));
}

TEST_F(DeadlinesTest, ExtensionCountsWorkingDaysFromTheCurrentDeadline) {
  EXPECT_EQ(extended_resolve_due(end_of(2026, 9, 30), 1, calendar_, zone_), end_of(2026, 10, 8));
  EXPECT_EQ(extended_resolve_due(end_of(2026, 9, 30), 3, calendar_, zone_), end_of(2026, 10, 10));
}

TEST_F(DeadlinesTest, ExtensionMustBeLaterAndNoticedInAdvance) {
  absl::Time due = end_of(2026, 10, 19);
  absl::Time now = local(2026, 10, 15, 12, 0);
  absl::Time notice = local(2026, 10, 15, 11, 0);
  EXPECT_EQ(check_deadline_extension(due, due + absl::Hours(48), notice, now, policy_), "");
  EXPECT_EQ(check_deadline_extension(due, due, notice, now, policy_),
            "new_resolve_due must be after the current resolve_due");
  EXPECT_EQ(check_deadline_extension(due, due + absl::Hours(48), due + absl::Seconds(1),
                                     due + absl::Hours(1), policy_),
            "notice_sent_at must be before the current resolve_due");
  EXPECT_EQ(
      check_deadline_extension(due, due + absl::Hours(48), now + absl::Hours(1), now, policy_),
      "notice_sent_at must not be in the future");
}

TEST_F(DeadlinesTest, ReportedAtNotInTheFutureAndAtMost30DaysBack) {
  absl::Time now = local(2026, 11, 22, 10, 0);
  EXPECT_EQ(check_reported_at(now, now, policy_), "");
  EXPECT_EQ(check_reported_at(now + absl::Minutes(1), now, policy_), "");  // clock skew
  EXPECT_EQ(check_reported_at(now + absl::Minutes(3), now, policy_),
            "reported_at must not be in the future");
  EXPECT_EQ(check_reported_at(now - absl::Hours(24 * 30), now, policy_), "");
  EXPECT_EQ(check_reported_at(now - absl::Hours(24 * 31), now, policy_),
            "reported_at must be at most 30 days back");
  policy_.max_backdate_days = 7;
  EXPECT_EQ(check_reported_at(now - absl::Hours(24 * 8), now, policy_),
            "reported_at must be at most 7 days back");
}

}  // namespace
}  // namespace aftercare::intake::domain
