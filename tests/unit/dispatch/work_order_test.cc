// The work-order status machine, sign-off, appointments, quotes and warranty costs, pure.
#include "dispatch/domain/work_order.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "dispatch/domain/names.h"

namespace aftercare::dispatch::domain {
namespace {

using enum aftercare::v1::WorkOrderStatus;
using aftercare::v1::WorkOrder;

const std::set<std::pair<WorkOrderStatus, WorkOrderStatus>> kAllowed = {
    {WORK_ORDER_STATUS_CREATED, WORK_ORDER_STATUS_ACCEPTED},
    {WORK_ORDER_STATUS_CREATED, WORK_ORDER_STATUS_DECLINED},
    {WORK_ORDER_STATUS_CREATED, WORK_ORDER_STATUS_CREATED},  // reassigned
    {WORK_ORDER_STATUS_CREATED, WORK_ORDER_STATUS_CANCELLED},
    {WORK_ORDER_STATUS_CREATED, WORK_ORDER_STATUS_REROUTED},
    {WORK_ORDER_STATUS_ACCEPTED, WORK_ORDER_STATUS_SCHEDULED},
    {WORK_ORDER_STATUS_ACCEPTED, WORK_ORDER_STATUS_IN_PROGRESS},
    {WORK_ORDER_STATUS_ACCEPTED, WORK_ORDER_STATUS_DECLINED},
    {WORK_ORDER_STATUS_ACCEPTED, WORK_ORDER_STATUS_CREATED},
    {WORK_ORDER_STATUS_ACCEPTED, WORK_ORDER_STATUS_CANCELLED},
    {WORK_ORDER_STATUS_ACCEPTED, WORK_ORDER_STATUS_REROUTED},
    {WORK_ORDER_STATUS_SCHEDULED, WORK_ORDER_STATUS_SCHEDULED},  // rescheduled
    {WORK_ORDER_STATUS_SCHEDULED, WORK_ORDER_STATUS_IN_PROGRESS},
    {WORK_ORDER_STATUS_SCHEDULED, WORK_ORDER_STATUS_CREATED},
    {WORK_ORDER_STATUS_SCHEDULED, WORK_ORDER_STATUS_CANCELLED},
    {WORK_ORDER_STATUS_SCHEDULED, WORK_ORDER_STATUS_REROUTED},
    {WORK_ORDER_STATUS_IN_PROGRESS, WORK_ORDER_STATUS_COMPLETED},
    {WORK_ORDER_STATUS_IN_PROGRESS, WORK_ORDER_STATUS_CANCELLED},
    {WORK_ORDER_STATUS_IN_PROGRESS, WORK_ORDER_STATUS_REROUTED},
    {WORK_ORDER_STATUS_COMPLETED, WORK_ORDER_STATUS_SIGNED_OFF},
};

TEST(WorkOrderStatus, ExactlyTheDocumentedTransitionsAreAllowed) {
  for (int from = 0; from < aftercare::v1::WorkOrderStatus_ARRAYSIZE; ++from) {
    for (int to = 0; to < aftercare::v1::WorkOrderStatus_ARRAYSIZE; ++to) {
      auto f = static_cast<WorkOrderStatus>(from);
      auto t = static_cast<WorkOrderStatus>(to);
      EXPECT_EQ(can_transition(f, t), kAllowed.contains({f, t}))
          << public_name(f) << " -> " << public_name(t);
    }
  }
}

TEST(WorkOrderStatus, FinalStatusesLeadNowhere) {
  for (auto s : {WORK_ORDER_STATUS_SIGNED_OFF, WORK_ORDER_STATUS_REROUTED,
                 WORK_ORDER_STATUS_DECLINED, WORK_ORDER_STATUS_CANCELLED}) {
    EXPECT_TRUE(is_final(s));
    EXPECT_FALSE(is_open(s));
  }
  EXPECT_FALSE(is_final(WORK_ORDER_STATUS_COMPLETED));
  EXPECT_FALSE(is_open(WORK_ORDER_STATUS_COMPLETED));
  EXPECT_TRUE(is_open(WORK_ORDER_STATUS_IN_PROGRESS));
}

TEST(WorkOrderStatus, ARefusedActionNamesTheCurrentState) {
  EXPECT_EQ(action_error(Action::kAccept, WORK_ORDER_STATUS_CREATED), "");
  EXPECT_EQ(action_error(Action::kAccept, WORK_ORDER_STATUS_COMPLETED),
            "cannot accept a work order that is completed (needs created)");
  EXPECT_EQ(action_error(Action::kStart, WORK_ORDER_STATUS_REROUTED),
            "cannot start a work order that is rerouted (needs accepted or scheduled); rerouted "
            "is final");
  EXPECT_EQ(action_error(Action::kComplete, WORK_ORDER_STATUS_SCHEDULED),
            "cannot complete a work order that is scheduled (needs in_progress)");
  EXPECT_EQ(action_error(Action::kReassign, WORK_ORDER_STATUS_IN_PROGRESS),
            "cannot reassign a work order that is in_progress (needs created, accepted or "
            "scheduled)");
  EXPECT_EQ(action_error(Action::kSchedule, WORK_ORDER_STATUS_SCHEDULED), "");
}

WorkOrder completed_order() {
  WorkOrder o;
  o.set_status(WORK_ORDER_STATUS_COMPLETED);
  return o;
}

void sign(WorkOrder& o, aftercare::v1::Signer s) {
  o.add_sign_offs()->set_signer(s);
}

TEST(SignOff, OwnerAndMaintenanceBothNeeded) {
  using enum aftercare::v1::Signer;
  EXPECT_FALSE(sign_off_complete({}));
  EXPECT_FALSE(sign_off_complete({SIGNER_OWNER}));
  EXPECT_FALSE(sign_off_complete({SIGNER_MAINTENANCE, SIGNER_VERIFIER}));
  EXPECT_TRUE(sign_off_complete({SIGNER_OWNER, SIGNER_MAINTENANCE}));
  EXPECT_TRUE(sign_off_complete({SIGNER_OWNER, SIGNER_MAINTENANCE, SIGNER_VERIFIER}));
}

TEST(SignOff, OnlyCompletedWorkIsSignedAndARepeatChangesNothing) {
  using enum aftercare::v1::Signer;
  WorkOrder o = completed_order();
  EXPECT_EQ(check_sign_off(o, SIGNER_OWNER).check, SignOffCheck::kSign);
  EXPECT_EQ(check_sign_off(o, SIGNER_OWNER).error, "");
  sign(o, SIGNER_OWNER);
  EXPECT_EQ(check_sign_off(o, SIGNER_OWNER).check, SignOffCheck::kAlreadySigned);

  WorkOrder open;
  open.set_status(WORK_ORDER_STATUS_IN_PROGRESS);
  EXPECT_EQ(check_sign_off(open, SIGNER_OWNER).error,
            "cannot sign off a work order that is in_progress (needs completed)");

  // The verifier's acceptance may follow the sign-off; the others cannot sign again.
  WorkOrder done = completed_order();
  sign(done, SIGNER_OWNER);
  sign(done, SIGNER_MAINTENANCE);
  done.set_status(WORK_ORDER_STATUS_SIGNED_OFF);
  EXPECT_EQ(check_sign_off(done, SIGNER_VERIFIER).error, "");
  EXPECT_EQ(check_sign_off(done, SIGNER_OWNER).check, SignOffCheck::kAlreadySigned);
}

const absl::Time kNine = absl::FromUnixSeconds(1'800'000'000);

Window window(int from_h, int to_h) {
  return {kNine + absl::Hours(from_h), kNine + absl::Hours(to_h)};
}

TEST(Appointments, HalfOpenWindowsOverlapOnlyWhenTheyShareTime) {
  EXPECT_TRUE(overlaps(window(0, 2), window(1, 3)));
  EXPECT_TRUE(overlaps(window(1, 3), window(0, 2)));
  EXPECT_TRUE(overlaps(window(0, 4), window(1, 2)));   // inside
  EXPECT_FALSE(overlaps(window(0, 2), window(2, 4)));  // touching
  EXPECT_FALSE(overlaps(window(2, 4), window(0, 2)));
  EXPECT_EQ(first_conflict(window(3, 5), {window(0, 2), window(4, 6)}), 1u);
  EXPECT_EQ(first_conflict(window(2, 4), {window(0, 2), window(4, 6)}), std::nullopt);
}

TEST(Appointments, WindowChecks) {
  DispatchPolicy p;
  EXPECT_EQ(check_window(window(1, 3), kNine, p), "");
  EXPECT_EQ(check_window(window(3, 3), kNine, p), "end must be after start");
  EXPECT_EQ(check_window(window(3, 1), kNine, p), "end must be after start");
  EXPECT_EQ(check_window(window(1, 14), kNine, p), "end must be at most 12 hours after start");
  EXPECT_EQ(check_window(window(-2, 1), kNine, p), "start must not be in the past");
  EXPECT_EQ(appointment_resource("tech-7", "C-crew"), "technician:tech-7");
  EXPECT_EQ(appointment_resource("", "C-crew"), "party:C-crew");
  EXPECT_EQ(reminder_due(window(30, 32), p), kNine + absl::Hours(6));
}

TEST(Quotes, PaidRepairsStartOnlyAfterTheOwnerConfirmed) {
  WorkOrder o;
  o.set_status(WORK_ORDER_STATUS_ACCEPTED);
  EXPECT_EQ(start_error(o, DispatchPolicy{}), "");  // warranty work needs no quote
  o.set_paid(true);
  EXPECT_NE(start_error(o, DispatchPolicy{}).find("no quote was issued"), std::string::npos);
  EXPECT_EQ(issue_quote_error(o), "");
  o.mutable_quote()->set_quote_id("Q1");
  o.mutable_quote()->set_status(aftercare::v1::QUOTE_STATUS_ISSUED);
  *o.mutable_quote()->mutable_valid_until() = google::protobuf::Timestamp();
  o.mutable_quote()->mutable_valid_until()->set_seconds(absl::ToUnixSeconds(kNine));
  EXPECT_NE(start_error(o, DispatchPolicy{}).find("the quote is issued"), std::string::npos);
  EXPECT_EQ(confirm_quote_error(o, "Q1", kNine), "");
  EXPECT_EQ(confirm_quote_error(o, "Q0", kNine), "quote Q0 is not the current quote");
  EXPECT_EQ(confirm_quote_error(o, "Q1", kNine + absl::Seconds(1)),
            "the quote expired; a new one must be issued");
  o.mutable_quote()->set_status(aftercare::v1::QUOTE_STATUS_CONFIRMED);
  EXPECT_EQ(start_error(o, DispatchPolicy{}), "");
  EXPECT_EQ(confirm_quote_error(o, "Q1", kNine), "the quote is already confirmed");
  EXPECT_EQ(issue_quote_error(o), "the owner already confirmed quote Q1");
  WorkOrder free;
  EXPECT_EQ(issue_quote_error(free), "only a paid (out-of-warranty) repair gets a quote");
}

TEST(Verification, LargeJobsStartOnlyAfterTheOnSiteCheck) {
  DispatchPolicy p;
  WorkOrder o;
  o.set_status(WORK_ORDER_STATUS_SCHEDULED);
  o.set_estimate_fen(99'999);
  EXPECT_EQ(start_error(o, p), "");
  o.set_estimate_fen(100'000);
  EXPECT_EQ(start_error(o, p), "a large job starts only after the verifier's on-site check");
  o.mutable_verification()->set_estimate_fen(100'000);
  EXPECT_EQ(start_error(o, p), "");
}

TEST(Verification, LiabilityDecidesWhoPaysBeforeWorkStarts) {
  WorkOrder o;
  o.set_status(WORK_ORDER_STATUS_ACCEPTED);
  EXPECT_EQ(paid_after_verification(o, aftercare::v1::LIABILITY_OWNER), true);
  EXPECT_EQ(paid_after_verification(o, aftercare::v1::LIABILITY_BUILDER), false);
  EXPECT_EQ(paid_after_verification(o, aftercare::v1::LIABILITY_PROPERTY), false);
  EXPECT_EQ(paid_after_verification(o, aftercare::v1::LIABILITY_NONE), std::nullopt);
  o.set_status(WORK_ORDER_STATUS_IN_PROGRESS);
  EXPECT_EQ(paid_after_verification(o, aftercare::v1::LIABILITY_OWNER), std::nullopt);
}

TEST(WarrantyCost, AdvancedWhenSomeoneElseDidTheBuildersWarrantyWork) {
  WorkOrder o;
  o.set_in_warranty(true);
  o.set_assignee_kind(aftercare::v1::PARTY_KIND_CREW);
  o.set_builder_party_id("B-deco");
  o.set_cost_fen(12'000);
  EXPECT_TRUE(advances_warranty_cost(o));
  o.set_assignee_kind(aftercare::v1::PARTY_KIND_CONTRACTOR);
  EXPECT_TRUE(advances_warranty_cost(o));
  WorkOrder by_builder = o;
  by_builder.set_assignee_kind(aftercare::v1::PARTY_KIND_BUILDER);
  EXPECT_FALSE(advances_warranty_cost(by_builder));  // the builder pays its own work
  WorkOrder free = o;
  free.set_cost_fen(0);
  EXPECT_FALSE(advances_warranty_cost(free));
  WorkOrder nobody = o;
  nobody.set_builder_party_id("");
  EXPECT_FALSE(advances_warranty_cost(nobody));  // no builder to charge
  WorkOrder paid = o;
  paid.set_in_warranty(false);
  EXPECT_FALSE(advances_warranty_cost(paid));
}

TEST(Classification, SafetyAndLeaksForCallbackDeadlines) {
  using enum aftercare::v1::Component;
  EXPECT_TRUE(is_safety_related(COMPONENT_GAS, aftercare::v1::URGENCY_NORMAL));
  EXPECT_TRUE(is_safety_related(COMPONENT_DECORATION, aftercare::v1::URGENCY_EMERGENCY));
  EXPECT_FALSE(is_safety_related(COMPONENT_DECORATION, aftercare::v1::URGENCY_NORMAL));
  EXPECT_TRUE(is_leak(COMPONENT_BATHROOM_WATERPROOFING));
  EXPECT_TRUE(is_leak(COMPONENT_PLUMBING));
  EXPECT_FALSE(is_leak(COMPONENT_GAS));
}

TEST(Rework, CountsFromTheOriginal) {
  WorkOrder first;
  EXPECT_EQ(rework_count_after(first), 1);
  first.set_rework_count(1);
  EXPECT_EQ(rework_count_after(first), 2);
}

}  // namespace
}  // namespace aftercare::dispatch::domain
