// Per-project overrides of the callback policy, as intake publishes them.
#include <gtest/gtest.h>

#include "callback/domain/outreach.h"
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

TEST(Policy, QuietHoursAndTheDailyCapAreTheProjects) {
  CallbackPolicy defaults;
  OutreachPolicy platform = OutreachPolicy::of(defaults);
  EXPECT_EQ(platform.quiet_start_minute, OutreachPolicy::defaults().quiet_start_minute);
  EXPECT_EQ(platform.quiet_end_minute, OutreachPolicy::defaults().quiet_end_minute);
  EXPECT_EQ(platform.daily_cap, OutreachPolicy::defaults().daily_cap);

  v1::Policy policy;
  policy.mutable_callback()->set_quiet_hours_start("23:00");
  policy.mutable_callback()->set_quiet_hours_end("06:30");
  policy.mutable_callback()->set_owner_daily_message_cap(2);
  CallbackPolicy p;
  ASSERT_EQ(p.apply_overrides(policy), "");
  OutreachPolicy project = OutreachPolicy::of(p);
  EXPECT_EQ(project.quiet_start_minute, 23 * 60);
  EXPECT_EQ(project.quiet_end_minute, 6 * 60 + 30);
  EXPECT_EQ(project.daily_cap, 2);

  // 22:00 in Shanghai is quiet by default and not for this project; 06:00 is quiet for both.
  absl::TimeZone zone;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  absl::Time ten_pm = absl::FromCivil(absl::CivilMinute(2026, 3, 2, 22, 0), zone);
  absl::Time six_am = absl::FromCivil(absl::CivilMinute(2026, 3, 3, 6, 0), zone);
  EXPECT_TRUE(in_quiet_hours(ten_pm, zone, platform));
  EXPECT_FALSE(in_quiet_hours(ten_pm, zone, project));
  EXPECT_TRUE(in_quiet_hours(six_am, zone, project));
  EXPECT_EQ(quiet_end_after(six_am, zone, project),
            absl::FromCivil(absl::CivilMinute(2026, 3, 3, 6, 30), zone));
}

TEST(Policy, BadQuietHoursOrCapChangeNothing) {
  CallbackPolicy p;
  v1::Policy policy;
  policy.mutable_callback()->set_safety_due_days(1);
  policy.mutable_callback()->set_quiet_hours_start("21:60");
  EXPECT_EQ(p.apply_overrides(policy).rfind("callback.quiet_hours_start", 0), 0u);
  v1::Policy cap;
  cap.mutable_callback()->set_owner_daily_message_cap(0);
  EXPECT_EQ(p.apply_overrides(cap).rfind("callback.owner_daily_message_cap", 0), 0u);
  EXPECT_EQ(p.safety_due_days, 2);
  EXPECT_EQ(p.quiet_start_minute, 21 * 60);
  EXPECT_EQ(p.owner_daily_message_cap, 10);
}

}  // namespace
}  // namespace aftercare::callback::domain
