// The platform defaults intake reports (GetPolicy) must be the ones each service applies.
#include "common/policy_defaults.h"

#include <gtest/gtest.h>

#include "billing/domain/policy.h"
#include "callback/domain/policy.h"
#include "dispatch/domain/policy.h"
#include "loyalty/domain/policy.h"

namespace aftercare::kit {
namespace {

TEST(PolicyDefaults, EqualEachServicesOwnDefaults) {
  aftercare::v1::Policy p;
  fill_platform_defaults(&p);
  auto dispatch = dispatch::domain::DispatchPolicy::defaults();
  EXPECT_EQ(p.dispatch().builder_onsite_hours(), dispatch.builder_onsite_hours);
  EXPECT_EQ(p.dispatch().large_job_threshold_fen(), dispatch.large_job_threshold_fen);
  EXPECT_EQ(p.dispatch().sweep_interval_seconds(), dispatch.sweep_interval_seconds);
  EXPECT_EQ(p.dispatch().appointment_reminder_lead_hours(),
            dispatch.appointment_reminder_lead_hours);
  EXPECT_EQ(p.dispatch().technician_daily_cap(), dispatch.technician_daily_cap);
  auto callback = callback::domain::CallbackPolicy::defaults();
  EXPECT_EQ(p.callback().safety_due_days(), callback.safety_due_days);
  EXPECT_EQ(p.callback().leak_due_days(), callback.leak_due_days);
  EXPECT_EQ(p.callback().default_due_days(), callback.default_due_days);
  EXPECT_EQ(std::vector<int>(p.callback().handover_callback_months().begin(),
                             p.callback().handover_callback_months().end()),
            callback.handover_callback_months);
  EXPECT_EQ(p.callback().warranty_reminder_lead_days(), callback.warranty_reminder_lead_days);
  EXPECT_EQ(p.callback().rework_return_hours(), callback.rework_return_hours);
  EXPECT_EQ(p.callback().max_attempts(), callback.max_attempts);
  EXPECT_EQ(p.callback().agent_weekly_target(), callback.agent_weekly_target);
  auto loyalty = loyalty::domain::LoyaltyPolicy::defaults();
  EXPECT_EQ(p.loyalty().expiry_months(), loyalty.expiry_months);
  EXPECT_EQ(p.loyalty().survey_points(),
            loyalty.earning_rules.at(aftercare::v1::EARN_REASON_SURVEY).points);
  EXPECT_EQ(p.loyalty().silver_at_points(), loyalty.silver_at_points);
  EXPECT_EQ(p.loyalty().gold_at_points(), loyalty.gold_at_points);
  EXPECT_EQ(p.loyalty().platinum_at_points(), loyalty.platinum_at_points);
  EXPECT_EQ(p.billing().reminder_days_before_due(),
            billing::domain::BillingPolicy::defaults().reminder_days_before_due);
}

TEST(PolicyDefaults, KeepTheProjectsOverrides) {
  aftercare::v1::Policy p;
  p.mutable_dispatch()->set_builder_onsite_hours(12);
  p.mutable_callback()->add_handover_callback_months(2);
  fill_platform_defaults(&p);
  EXPECT_EQ(p.dispatch().builder_onsite_hours(), 12);
  EXPECT_EQ(p.callback().handover_callback_months_size(), 1);
  EXPECT_EQ(p.dispatch().large_job_threshold_fen(), 100000);
}

}  // namespace
}  // namespace aftercare::kit
