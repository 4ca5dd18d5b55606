// Loyalty policy: documented defaults, overrides from intake and SetProjectRules, all-or-nothing.
#include <gtest/gtest.h>

#include "loyalty/domain/policy.h"

namespace aftercare::loyalty::domain {
namespace {

namespace v1 = aftercare::v1;

TEST(Policy, Defaults) {
  const LoyaltyPolicy p = LoyaltyPolicy::defaults();
  EXPECT_EQ(p.expiry_months, 24);
  EXPECT_EQ(p.hold_minutes, 1440);
  EXPECT_EQ(p.tier_window_months, 12);
  EXPECT_EQ(p.rule_of(v1::EARN_REASON_SURVEY).points, 50);
  EXPECT_EQ(p.rule_of(v1::EARN_REASON_REFERRAL).max_points, 10000);
  EXPECT_EQ(p.rule_of(v1::EARN_REASON_UNSPECIFIED).max_points, 0);
  EXPECT_EQ(p.validate(), "");
}

TEST(Policy, IntakeOverridesOnlyTheFieldsItSets) {
  LoyaltyPolicy p;
  v1::LoyaltyPolicy in;
  in.set_expiry_months(12);
  in.set_survey_points(80);
  ASSERT_EQ(p.apply(in), "");
  EXPECT_EQ(p.expiry_months, 12);
  EXPECT_EQ(p.rule_of(v1::EARN_REASON_SURVEY).points, 80);
  EXPECT_EQ(p.rule_of(v1::EARN_REASON_SURVEY).max_points, 80);  // the cap follows up
  EXPECT_EQ(p.silver_at_points, 1000);
}

TEST(Policy, BadOverrideChangesNothing) {
  LoyaltyPolicy p;
  v1::SetProjectRulesRequest r;
  r.set_expiry_months(6);
  r.set_gold_at_points(500);  // below silver
  EXPECT_EQ(p.apply(r), "gold_at_points must be > silver_at_points");
  EXPECT_EQ(p.expiry_months, 24);
  r.clear_gold_at_points();
  auto* rule = r.add_earning_rules();
  rule->set_reason(v1::EARN_REASON_ACTIVITY);
  rule->set_points(-1);
  EXPECT_NE(p.apply(r), "");
  rule->set_points(300);
  rule->set_max_points(300);
  EXPECT_EQ(p.apply(r), "");
  EXPECT_EQ(p.expiry_months, 6);
  EXPECT_EQ(p.rule_of(v1::EARN_REASON_ACTIVITY).points, 300);
  r.set_hold_minutes(0);
  EXPECT_NE(p.apply(r), "");
}

TEST(Policy, RoundTripsToProto) {
  LoyaltyPolicy p;
  v1::ProjectRules out;
  p.to_proto(&out);
  EXPECT_EQ(out.earning_rules_size(), 5);
  EXPECT_EQ(out.expiry_months(), 24);
  EXPECT_EQ(out.timezone(), "Asia/Shanghai");
}

}  // namespace
}  // namespace aftercare::loyalty::domain
