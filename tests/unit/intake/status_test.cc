// The ticket status machine and ticket numbers.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "intake/domain/names.h"
#include "intake/domain/ticket_number.h"
#include "intake/domain/ticket_status.h"

namespace aftercare::intake::domain {
namespace {

using enum aftercare::v1::TicketStatus;
using aftercare::v1::TicketStatus;

// Every allowed move; everything else must be refused.
const std::set<std::pair<TicketStatus, TicketStatus>> kAllowed = {
    {TICKET_STATUS_OPEN, TICKET_STATUS_DISPATCHED},
    {TICKET_STATUS_OPEN, TICKET_STATUS_IN_PROGRESS},
    {TICKET_STATUS_OPEN, TICKET_STATUS_RESOLVED},
    {TICKET_STATUS_OPEN, TICKET_STATUS_CANCELLED},
    {TICKET_STATUS_DISPATCHED, TICKET_STATUS_IN_PROGRESS},
    {TICKET_STATUS_DISPATCHED, TICKET_STATUS_RESOLVED},
    {TICKET_STATUS_DISPATCHED, TICKET_STATUS_CANCELLED},
    {TICKET_STATUS_IN_PROGRESS, TICKET_STATUS_DISPATCHED},
    {TICKET_STATUS_IN_PROGRESS, TICKET_STATUS_RESOLVED},
    {TICKET_STATUS_IN_PROGRESS, TICKET_STATUS_CANCELLED},
    {TICKET_STATUS_RESOLVED, TICKET_STATUS_CLOSED},
    {TICKET_STATUS_RESOLVED, TICKET_STATUS_REOPENED},
    {TICKET_STATUS_REOPENED, TICKET_STATUS_DISPATCHED},
    {TICKET_STATUS_REOPENED, TICKET_STATUS_IN_PROGRESS},
    {TICKET_STATUS_REOPENED, TICKET_STATUS_RESOLVED},
    {TICKET_STATUS_REOPENED, TICKET_STATUS_CANCELLED},
};

TEST(TicketStatus, ExactlyTheDocumentedTransitionsAreAllowed) {
  for (int from = 0; from < aftercare::v1::TicketStatus_ARRAYSIZE; ++from) {
    for (int to = 0; to < aftercare::v1::TicketStatus_ARRAYSIZE; ++to) {
      auto f = static_cast<TicketStatus>(from);
      auto t = static_cast<TicketStatus>(to);
      bool expected = kAllowed.contains({f, t});
      EXPECT_EQ(can_transition(f, t), expected) << public_name(f) << " -> " << public_name(t);
      EXPECT_EQ(transition_error(f, t).empty(), expected);
    }
  }
}

TEST(TicketStatus, HappyPathAndReopening) {
  EXPECT_TRUE(can_transition(TICKET_STATUS_OPEN, TICKET_STATUS_DISPATCHED));
  EXPECT_TRUE(can_transition(TICKET_STATUS_DISPATCHED, TICKET_STATUS_IN_PROGRESS));
  EXPECT_TRUE(can_transition(TICKET_STATUS_IN_PROGRESS, TICKET_STATUS_RESOLVED));
  EXPECT_TRUE(can_transition(TICKET_STATUS_RESOLVED, TICKET_STATUS_REOPENED));
  EXPECT_TRUE(can_transition(TICKET_STATUS_REOPENED, TICKET_STATUS_DISPATCHED));
  EXPECT_TRUE(can_transition(TICKET_STATUS_RESOLVED, TICKET_STATUS_CLOSED));
}

TEST(TicketStatus, FinalStatusesAndRefusals) {
  EXPECT_TRUE(is_final(TICKET_STATUS_CLOSED));
  EXPECT_TRUE(is_final(TICKET_STATUS_CANCELLED));
  EXPECT_FALSE(is_final(TICKET_STATUS_RESOLVED));
  EXPECT_EQ(transition_error(TICKET_STATUS_CLOSED, TICKET_STATUS_IN_PROGRESS),
            "cannot go from closed to in_progress (closed is final)");
  EXPECT_EQ(transition_error(TICKET_STATUS_CLOSED, TICKET_STATUS_REOPENED),
            "cannot go from closed to reopened (closed is final)");
  EXPECT_EQ(transition_error(TICKET_STATUS_RESOLVED, TICKET_STATUS_CANCELLED),
            "cannot go from resolved to cancelled");
  EXPECT_EQ(transition_error(TICKET_STATUS_OPEN, TICKET_STATUS_OPEN),
            "cannot go from open to open");
  EXPECT_FALSE(can_transition(TICKET_STATUS_OPEN, TICKET_STATUS_CLOSED));
  EXPECT_FALSE(can_transition(TICKET_STATUS_UNSPECIFIED, TICKET_STATUS_OPEN));
  EXPECT_FALSE(can_transition(TICKET_STATUS_OPEN, static_cast<TicketStatus>(42)));
}

TEST(TicketStatus, ActiveMeansStillBeingHandled) {
  EXPECT_TRUE(is_active(TICKET_STATUS_OPEN));
  EXPECT_TRUE(is_active(TICKET_STATUS_RESOLVED));
  EXPECT_TRUE(is_active(TICKET_STATUS_REOPENED));
  EXPECT_FALSE(is_active(TICKET_STATUS_CLOSED));
  EXPECT_FALSE(is_active(TICKET_STATUS_CANCELLED));
  EXPECT_FALSE(is_active(TICKET_STATUS_UNSPECIFIED));
}

TEST(TicketNumber, ProjectDateAndZeroPaddedSequence) {
  absl::CivilDay day(2026, 11, 22);
  EXPECT_EQ(format_ticket_no("P01", day, 7), "P01-20261122-0007");
  EXPECT_EQ(format_ticket_no("P01", day, 1), "P01-20261122-0001");
  EXPECT_EQ(format_ticket_no("P01", day, 9999), "P01-20261122-9999");
  EXPECT_EQ(format_ticket_no("P01", day, 10000), "P01-20261122-10000");
  EXPECT_EQ(format_ticket_no("sunny-garden", absl::CivilDay(2027, 1, 5), 42),
            "sunny-garden-20270105-0042");
}

}  // namespace
}  // namespace aftercare::intake::domain

#include "intake/domain/report_period.h"

namespace aftercare::intake::domain {
namespace {

aftercare::v1::ReportPeriod period(aftercare::v1::ReportGranularity g, int year, int index) {
  aftercare::v1::ReportPeriod p;
  p.set_granularity(g);
  p.set_year(year);
  p.set_index(index);
  return p;
}

TEST(ReportPeriod, MonthsQuartersAndIsoWeeks) {
  std::string error;
  auto m = period_days(period(aftercare::v1::REPORT_GRANULARITY_MONTH, 2026, 12), &error);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->first, absl::CivilDay(2026, 12, 1));
  EXPECT_EQ(m->second, absl::CivilDay(2027, 1, 1));
  auto q = period_days(period(aftercare::v1::REPORT_GRANULARITY_QUARTER, 2026, 2), &error);
  EXPECT_EQ(q->first, absl::CivilDay(2026, 4, 1));
  EXPECT_EQ(q->second, absl::CivilDay(2026, 7, 1));
  // ISO week 1 of 2026 starts Monday 29 Dec 2025; 2026 has 53 weeks.
  auto w1 = period_days(period(aftercare::v1::REPORT_GRANULARITY_WEEK, 2026, 1), &error);
  EXPECT_EQ(w1->first, absl::CivilDay(2025, 12, 29));
  EXPECT_TRUE(period_days(period(aftercare::v1::REPORT_GRANULARITY_WEEK, 2026, 53), &error));
  EXPECT_FALSE(period_days(period(aftercare::v1::REPORT_GRANULARITY_WEEK, 2027, 53), &error));
  EXPECT_FALSE(period_days(period(aftercare::v1::REPORT_GRANULARITY_MONTH, 2026, 13), &error));
  EXPECT_NE(error.find("period.index"), std::string::npos);
}

TEST(ReportPeriod, RatiosRoundHalfUpWithoutFloats) {
  EXPECT_EQ(ratio(2, 3).basis_points(), 6667);
  EXPECT_EQ(ratio(1, 8).basis_points(), 1250);
  EXPECT_EQ(ratio(1, 20000).basis_points(), 1);  // 0.5 bp rounds up
  EXPECT_EQ(ratio(0, 0).basis_points(), 0);
}

}  // namespace
}  // namespace aftercare::intake::domain
