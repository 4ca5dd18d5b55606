// Per-project overrides of the callback policy, as intake publishes them.
#include <gtest/gtest.h>

#include "callback/domain/policy.h"

namespace aftercare::callback::domain {
namespace {

namespace v1 = aftercare::v1;

TEST(Policy, DefaultsAreTheDomainNumbers) {
  CallbackPolicy p = CallbackPolicy::defaults();
  EXPECT_EQ(p.safety_due_days, 2);
  EXPECT_EQ(p.leak_due_days, 3);
  EXPECT_EQ(p.default_due_days, 7);
  EXPECT_EQ(p.handover_callback_months, (std::vector<int>{1, 3, 6}));
  EXPECT_EQ(p.warranty_reminder_lead_days, 30);
  EXPECT_EQ(p.rework_return_hours, 24);
  EXPECT_EQ(p.agent_weekly_target, 18);
  for (int c = 1; c < v1::Component_ARRAYSIZE; ++c) {
    EXPECT_TRUE(p.warranty_years.contains(static_cast<v1::Component>(c))) << c;
  }
}

TEST(Policy, OverridesApplyAndUnsetFieldsKeepTheirValue) {
  v1::Policy policy;
  policy.mutable_callback()->set_safety_due_days(1);
  policy.mutable_callback()->set_max_attempts(5);
  policy.mutable_callback()->add_handover_callback_months(2);
  policy.mutable_callback()->add_handover_callback_months(12);
  auto* w = policy.mutable_ticket()->add_warranty_years();
  w->set_component(v1::COMPONENT_PLUMBING);
  w->set_years(3);
  CallbackPolicy p;
  ASSERT_EQ(p.apply_overrides(policy), "");
  EXPECT_EQ(p.safety_due_days, 1);
  EXPECT_EQ(p.leak_due_days, 3);
  EXPECT_EQ(p.max_attempts, 5);
  EXPECT_EQ(p.handover_callback_months, (std::vector<int>{2, 12}));
  EXPECT_EQ(p.warranty_years_of(v1::COMPONENT_PLUMBING), 3);
  EXPECT_EQ(p.warranty_years_of(v1::COMPONENT_GAS), 2);
}

TEST(Policy, BadOverridesChangeNothing) {
  CallbackPolicy p;
  v1::Policy policy;
  policy.mutable_callback()->set_safety_due_days(1);
  policy.mutable_callback()->set_max_attempts(0);
  EXPECT_EQ(p.apply_overrides(policy).rfind("callback.max_attempts", 0), 0u);
  EXPECT_EQ(p.safety_due_days, 2);

  v1::Policy months;
  months.mutable_callback()->add_handover_callback_months(3);
  months.mutable_callback()->add_handover_callback_months(1);
  EXPECT_NE(p.apply_overrides(months), "");
  v1::Policy too_many;
  for (int m : {1, 2, 3, 4}) too_many.mutable_callback()->add_handover_callback_months(m);
  EXPECT_NE(p.apply_overrides(too_many), "");
  EXPECT_EQ(p.handover_callback_months, (std::vector<int>{1, 3, 6}));
}

}  // namespace
}  // namespace aftercare::callback::domain
