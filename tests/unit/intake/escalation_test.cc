// Recurrence -> escalation level, kind and fine (投诉上移制, 累计处罚制).
#include <gtest/gtest.h>

#include "intake/domain/escalation.h"

namespace aftercare::intake::domain {
namespace {

namespace v1 = aftercare::v1;

struct Row {
  int recurrence;
  v1::TicketKind kind;
  int level;
  int64_t fine_fen;
};

void expect_table(v1::TicketKind reported, const std::vector<Row>& rows,
                  const IntakePolicy& policy) {
  for (const Row& row : rows) {
    EscalationDecision d = escalate(reported, row.recurrence, policy);
    EXPECT_EQ(d.kind, row.kind) << "recurrence " << row.recurrence;
    EXPECT_EQ(d.level, row.level) << "recurrence " << row.recurrence;
    EXPECT_EQ(d.fine_fen, row.fine_fen) << "recurrence " << row.recurrence;
  }
}

TEST(Escalation, RepairBecomesAComplaintAtTheThirdReport) {
  expect_table(v1::TICKET_KIND_REPAIR,
               {
                   {1, v1::TICKET_KIND_REPAIR, 0, 0},
                   {2, v1::TICKET_KIND_REPAIR, 0, 0},
                   {3, v1::TICKET_KIND_COMPLAINT, 1, 20000},
                   {4, v1::TICKET_KIND_COMPLAINT, 2, 40000},
                   {5, v1::TICKET_KIND_COMPLAINT, 2, 40000},
               },
               IntakePolicy::defaults());
}

TEST(Escalation, ComplaintEscalatesFromTheSecondReport) {
  expect_table(v1::TICKET_KIND_COMPLAINT,
               {
                   {1, v1::TICKET_KIND_COMPLAINT, 0, 0},
                   {2, v1::TICKET_KIND_COMPLAINT, 1, 20000},
                   {3, v1::TICKET_KIND_COMPLAINT, 2, 40000},
                   {4, v1::TICKET_KIND_COMPLAINT, 2, 40000},
               },
               IntakePolicy::defaults());
}

TEST(Escalation, OtherKindsNeverEscalate) {
  for (auto kind :
       {v1::TICKET_KIND_PRAISE, v1::TICKET_KIND_CONSULTATION, v1::TICKET_KIND_SUGGESTION}) {
    for (int recurrence = 1; recurrence <= 10; ++recurrence) {
      EscalationDecision d = escalate(kind, recurrence, IntakePolicy::defaults());
      EXPECT_EQ(d.kind, kind);
      EXPECT_EQ(d.level, 0);
      EXPECT_EQ(d.fine_fen, 0);
    }
  }
}

TEST(Escalation, NonsenseRecurrenceCountsAsAFirstReport) {
  EscalationDecision d = escalate(v1::TICKET_KIND_COMPLAINT, 0, IntakePolicy::defaults());
  EXPECT_EQ(d.level, 0);
  EXPECT_EQ(d.fine_fen, 0);
}

TEST(Escalation, ThresholdsFineAndMultiplierComeFromThePolicy) {
  IntakePolicy policy = IntakePolicy::defaults();
  policy.repair_level1_at_report = 2;
  policy.repair_level2_at_report = 5;
  policy.fine_min_fen = 50000;
  policy.level2_fine_multiplier = 3;
  expect_table(v1::TICKET_KIND_REPAIR,
               {
                   {1, v1::TICKET_KIND_REPAIR, 0, 0},
                   {2, v1::TICKET_KIND_COMPLAINT, 1, 50000},
                   {4, v1::TICKET_KIND_COMPLAINT, 1, 50000},
                   {5, v1::TICKET_KIND_COMPLAINT, 2, 150000},
               },
               policy);
}

TEST(CheckFine, ZeroOrWithinTheRangeOfTheLevel) {
  IntakePolicy policy = IntakePolicy::defaults();
  EXPECT_EQ(check_fine(0, 0, policy), "");
  EXPECT_EQ(check_fine(0, 2, policy), "");
  EXPECT_EQ(check_fine(20000, 1, policy), "");
  EXPECT_EQ(check_fine(100000, 1, policy), "");
  EXPECT_EQ(check_fine(100001, 1, policy),
            "fine_fen must be 0 or between 20000 and 100000 at level 1");
  EXPECT_EQ(check_fine(19999, 1, policy),
            "fine_fen must be 0 or between 20000 and 100000 at level 1");
  EXPECT_EQ(check_fine(200000, 2, policy), "");  // doubled at level 2
  EXPECT_EQ(check_fine(30000, 2, policy),
            "fine_fen must be 0 or between 40000 and 200000 at level 2");
  EXPECT_EQ(check_fine(20000, 0, policy), "fine_fen must be 0 when the ticket is not escalated");
}

}  // namespace
}  // namespace aftercare::intake::domain
