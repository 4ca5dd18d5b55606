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
  EXPECT_EQ(minute_of_day(p.callback().quiet_hours_start()), callback.quiet_start_minute);
  EXPECT_EQ(minute_of_day(p.callback().quiet_hours_end()), callback.quiet_end_minute);
  EXPECT_EQ(p.callback().owner_daily_message_cap(), callback.owner_daily_message_cap);
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

TEST(PolicyDefaults, MinuteOfDayReadsOnlyHhMm) {
  EXPECT_EQ(minute_of_day("00:00"), 0);
  EXPECT_EQ(minute_of_day("21:00"), 21 * 60);
  EXPECT_EQ(minute_of_day("23:59"), 23 * 60 + 59);
  for (const char* bad : {"", "24:00", "12:60", "9:00", "09:5", "09-00", "0900", "ab:cd", " 9:00"})
    EXPECT_EQ(minute_of_day(bad), std::nullopt) << bad;
}

TEST(PolicyDefaults, QuietHoursAndTheMessageCapAreCheckedBeforeTheyAreStored) {
  aftercare::v1::Policy ok;
  ok.mutable_callback()->set_quiet_hours_start("22:30");
  ok.mutable_callback()->set_quiet_hours_end("07:00");
  ok.mutable_callback()->set_owner_daily_message_cap(kMaxDailyMessageCap);
  EXPECT_EQ(check_platform_overrides(ok), "");
  aftercare::v1::Policy start = ok;
  start.mutable_callback()->set_quiet_hours_start("25:00");
  EXPECT_EQ(check_platform_overrides(start).rfind("callback.quiet_hours_start", 0), 0u);
  aftercare::v1::Policy end = ok;
  end.mutable_callback()->set_quiet_hours_end("7am");
  EXPECT_EQ(check_platform_overrides(end).rfind("callback.quiet_hours_end", 0), 0u);
  for (int cap : {0, -1, kMaxDailyMessageCap + 1}) {
    aftercare::v1::Policy p = ok;
    p.mutable_callback()->set_owner_daily_message_cap(cap);
    EXPECT_EQ(check_platform_overrides(p).rfind("callback.owner_daily_message_cap", 0), 0u) << cap;
  }
}

}  // namespace
}  // namespace aftercare::kit
