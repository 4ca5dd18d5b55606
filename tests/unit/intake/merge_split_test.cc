// Which tickets may be merged or split, and how a merge gives back the source's report.
#include <gtest/gtest.h>

#include "intake/domain/merge_split.h"

namespace aftercare::intake::domain {
namespace {

namespace v1 = aftercare::v1;

v1::Ticket ticket(const std::string& id, v1::TicketStatus status, const std::string& unit = "U-1",
                  const std::string& project = "P01") {
  v1::Ticket t;
  t.set_ticket_id(id);
  t.set_project_id(project);
  t.set_unit_id(unit);
  t.set_status(status);
  t.set_category(v1::TICKET_CATEGORY_HOUSE_QUALITY);
  t.set_component(v1::COMPONENT_PLUMBING);
  return t;
}

bool starts(const std::string& error, const std::string& field) {
  return error.rfind(field + " ", 0) == 0;
}

TEST(Merge, ActiveTicketsOfOneUnitMerge) {
  for (auto source : {v1::TICKET_STATUS_OPEN, v1::TICKET_STATUS_DISPATCHED,
                      v1::TICKET_STATUS_IN_PROGRESS, v1::TICKET_STATUS_REOPENED}) {
    for (auto survivor :
         {v1::TICKET_STATUS_OPEN, v1::TICKET_STATUS_DISPATCHED, v1::TICKET_STATUS_IN_PROGRESS,
          v1::TICKET_STATUS_REOPENED, v1::TICKET_STATUS_RESOLVED}) {
      EXPECT_EQ(check_merge(ticket("a", survivor), ticket("b", source)), "")
          << survivor << " <- " << source;
    }
  }
}

TEST(Merge, OtherUnitsProjectsAndItselfAreRefused) {
  auto a = ticket("a", v1::TICKET_STATUS_OPEN);
  EXPECT_TRUE(
      starts(check_merge(a, ticket("b", v1::TICKET_STATUS_OPEN, "U-2")), "source_ticket_id"));
  EXPECT_TRUE(starts(check_merge(a, ticket("b", v1::TICKET_STATUS_OPEN, "U-1", "P02")),
                     "source_ticket_id"));
  EXPECT_TRUE(starts(check_merge(a, a), "source_ticket_id"));
}

TEST(Merge, ASourceThatCannotEndCancelledIsRefused) {
  auto a = ticket("a", v1::TICKET_STATUS_OPEN);
  for (auto status :
       {v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_CANCELLED, v1::TICKET_STATUS_RESOLVED}) {
    std::string error = check_merge(a, ticket("b", status));
    EXPECT_TRUE(starts(error, "source_ticket_id")) << error;
  }
  auto merged = ticket("b", v1::TICKET_STATUS_OPEN);
  merged.set_merged_into_ticket_id("c");
  EXPECT_TRUE(starts(check_merge(a, merged), "source_ticket_id"));
}

TEST(Merge, AFinalSurvivorIsRefused) {
  for (auto status : {v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_CANCELLED})
    EXPECT_TRUE(
        starts(check_merge(ticket("a", status), ticket("b", v1::TICKET_STATUS_OPEN)), "ticket_id"));
}

TEST(Merge, OnlyACountedReportIsTakenBack) {
  auto source = ticket("b", v1::TICKET_STATUS_OPEN);
  EXPECT_TRUE(merge_uncounts_source(source));
  source.set_duplicate_of("a");  // linked duplicates never counted
  EXPECT_FALSE(merge_uncounts_source(source));
  EXPECT_EQ(reports_after_merge(3), 2);
  EXPECT_EQ(reports_after_merge(1), 0);
  EXPECT_EQ(reports_after_merge(0), 0);
}

TEST(Split, OnlyReportsThatAreNotFinalSplit) {
  for (auto status :
       {v1::TICKET_STATUS_OPEN, v1::TICKET_STATUS_DISPATCHED, v1::TICKET_STATUS_IN_PROGRESS,
        v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_REOPENED})
    EXPECT_EQ(check_splittable(ticket("a", status)), "") << status;
  for (auto status : {v1::TICKET_STATUS_CLOSED, v1::TICKET_STATUS_CANCELLED})
    EXPECT_TRUE(starts(check_splittable(ticket("a", status)), "ticket_id"));
}

TEST(Split, TheSecondProblemIsAnotherIssue) {
  auto a = ticket("a", v1::TICKET_STATUS_OPEN);
  EXPECT_TRUE(
      starts(check_split_issue(a, v1::TICKET_CATEGORY_HOUSE_QUALITY, v1::COMPONENT_PLUMBING),
             "component"));
  EXPECT_EQ(check_split_issue(a, v1::TICKET_CATEGORY_HOUSE_QUALITY, v1::COMPONENT_ELECTRICAL), "");
  EXPECT_EQ(check_split_issue(a, v1::TICKET_CATEGORY_OTHER, v1::COMPONENT_PLUMBING), "");
}

}  // namespace
}  // namespace aftercare::intake::domain
