// Per-project overrides of the dispatch numbers.
#include "dispatch/domain/policy.h"

#include <gtest/gtest.h>

#include "dispatch/domain/validation.h"

namespace aftercare::dispatch::domain {
namespace {

TEST(Policy, DefaultsAreTheDomainNumbers) {
  DispatchPolicy p = DispatchPolicy::defaults();
  EXPECT_EQ(p.builder_onsite_hours, 24);
  EXPECT_EQ(p.large_job_threshold_fen, 100'000);
  EXPECT_EQ(p.sweep_interval_seconds, 30);
  EXPECT_EQ(p.appointment_reminder_lead_hours, 24);
}

TEST(Policy, OverridesApplyOnlySetFields) {
  aftercare::v1::Policy proto;
  proto.mutable_dispatch()->set_large_job_threshold_fen(50'000);
  DispatchPolicy p;
  EXPECT_EQ(p.apply_overrides(proto), "");
  EXPECT_EQ(p.large_job_threshold_fen, 50'000);
  EXPECT_EQ(p.builder_onsite_hours, 24);
  aftercare::v1::DispatchPolicy out;
  p.to_proto(&out);
  EXPECT_EQ(out.large_job_threshold_fen(), 50'000);
  EXPECT_EQ(out.builder_onsite_hours(), 24);
}

TEST(Policy, ABadOverrideChangesNothing) {
  aftercare::v1::Policy proto;
  proto.mutable_dispatch()->set_builder_onsite_hours(48);
  proto.mutable_dispatch()->set_large_job_threshold_fen(0);
  DispatchPolicy p;
  EXPECT_EQ(p.apply_overrides(proto),
            "dispatch.large_job_threshold_fen must be between 1 and 10000000000");
  EXPECT_EQ(p.builder_onsite_hours, 24);
}

TEST(Validation, IdsTextAndMoney) {
  EXPECT_EQ(check_id("B-deco_1", "party_id"), "");
  EXPECT_EQ(check_id("", "party_id"), "party_id is required");
  EXPECT_EQ(check_id("a/b", "party_id"), "party_id may contain only letters, digits, '_' and '-'");
  EXPECT_EQ(check_text("万科物业维修部", "name", 1, 7), "");
  EXPECT_EQ(check_text("万科物业维修部", "name", 1, 6), "name must be at most 6 characters");
  EXPECT_EQ(check_text("", "reason", 1, 500), "reason is required");
  EXPECT_EQ(check_text("\xff", "notes", 0, 500), "notes is not valid UTF-8");
  EXPECT_EQ(check_fen(-1, "cost_fen", 0), "cost_fen must be between 0 and 1000000000000 fen");
  EXPECT_EQ(check_enum(aftercare::v1::PARTY_KIND_UNSPECIFIED, "kind"),
            "kind must be one of builder, crew, contractor");
  EXPECT_EQ(check_enum(aftercare::v1::PARTY_KIND_CREW, "kind"), "");
}

}  // namespace
}  // namespace aftercare::dispatch::domain
