// Owner outreach decisions (issue 18): urgency, opt-out, quiet hours, daily cap, templates,
// retries, receipts and message ids. Pure: the clock and the zone are passed in.
#include <gtest/gtest.h>

#include "callback/app/outreach.h"
#include "callback/domain/outreach.h"

namespace aftercare::callback::domain {
namespace {

absl::TimeZone shanghai() {
  absl::TimeZone z;
  absl::LoadTimeZone("Asia/Shanghai", &z);
  return z;
}
absl::Time local(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), shanghai());
}
PlanInput input(const std::string& kind, absl::Time now, int planned_today = 0) {
  PlanInput in;
  in.kind = kind;
  in.now = now;
  in.zone = shanghai();
  in.planned_on = [planned_today, now](absl::CivilDay day) {
    return day == absl::ToCivilDay(now, shanghai()) ? planned_today : 0;
  };
  return in;
}

TEST(Outreach, EveryContractKindHasADefaultTemplate) {
  EXPECT_EQ(message_kinds().size(), 12u);  // key_collection_reminder (issue 19) the 12th
  for (const auto& k : message_kinds()) EXPECT_FALSE(default_template(k).empty()) << k;
  EXPECT_TRUE(default_template("nonsense").empty());
}

TEST(Outreach, BillingRemindersNameWhatIsOwed) {
  // Issue 19: a decoration deposit or fee is not a property fee; events without a kind are.
  const std::string tmpl = default_template("payment_reminder");
  auto text = [&](int kind) {
    return render(tmpl, {{"unit", "3-0901"},
                         {"item", invoice_item_zh(kind)},
                         {"amount", "3000.00"},
                         {"due_date", "2026年12月23日"}});
  };
  EXPECT_EQ(text(0), "【物业服务】3-0901的物业费3000.00元将于2026年12月23日到期，请按时缴纳。");
  EXPECT_EQ(text(1), text(0));
  EXPECT_NE(text(4).find("装修押金3000.00元"), std::string::npos);
  EXPECT_NE(text(5).find("装修管理费"), std::string::npos);
  EXPECT_NE(render(default_template("invoice_overdue"), {{"item", invoice_item_zh(6)}})
                .find("装修违章扣款"),
            std::string::npos);
}

TEST(Outreach, DaytimeNonUrgentMessageIsQueuedAtOnce) {
  Plan p = plan_message(input("appointment_scheduled", local(2026, 12, 3, 10)), {});
  EXPECT_EQ(p.status, "queued");
  EXPECT_EQ(p.send_at, local(2026, 12, 3, 10));
  EXPECT_FALSE(p.urgent);
}

TEST(Outreach, QuietHoursHoldUntilEightLocal) {
  Plan late = plan_message(input("payment_reminder", local(2026, 12, 3, 22, 30)), {});
  EXPECT_EQ(late.status, "held");
  EXPECT_EQ(late.send_at, local(2026, 12, 4, 8));
  Plan early = plan_message(input("payment_reminder", local(2026, 12, 4, 6, 59)), {});
  EXPECT_EQ(early.status, "held");
  EXPECT_EQ(early.send_at, local(2026, 12, 4, 8));
  EXPECT_EQ(plan_message(input("payment_reminder", local(2026, 12, 4, 8, 0)), {}).status, "queued");
  EXPECT_EQ(plan_message(input("payment_reminder", local(2026, 12, 4, 21, 0)), {}).status, "held");
}

TEST(Outreach, UrgentGoesAtOnceInQuietHoursPastTheCapAndDespiteOptOut) {
  PlanInput in = input("incident_notice", local(2026, 12, 3, 23), 50);
  in.opted_out = true;
  Plan p = plan_message(in, {});
  EXPECT_EQ(p.status, "queued");
  EXPECT_EQ(p.send_at, local(2026, 12, 3, 23));
  EXPECT_TRUE(p.urgent);
  PlanInput emergency = input("technician_late", local(2026, 12, 3, 23));
  emergency.urgent = true;
  EXPECT_EQ(plan_message(emergency, {}).status, "queued");
  EXPECT_TRUE(is_urgent_kind("incident_notice"));
  EXPECT_FALSE(is_urgent_kind("announcement"));
}

TEST(Outreach, OptedOutNonUrgentKindIsSuppressed) {
  PlanInput in = input("quote_issued", local(2026, 12, 3, 10));
  in.opted_out = true;
  EXPECT_EQ(plan_message(in, {}).status, "suppressed");
}

TEST(Outreach, DailyCapHoldsTheEleventhToTheNextMorning) {
  EXPECT_EQ(plan_message(input("announcement", local(2026, 12, 3, 10), 9), {}).status, "queued");
  Plan p = plan_message(input("announcement", local(2026, 12, 3, 10), 10), {});
  EXPECT_EQ(p.status, "held");
  EXPECT_EQ(p.send_at, local(2026, 12, 4, 8));
  OutreachPolicy three;
  three.daily_cap = 3;
  EXPECT_EQ(plan_message(input("announcement", local(2026, 12, 3, 10), 3), three).status, "held");
}

TEST(Outreach, RetriesAfterOneFiveThirtyMinutesAndTwoHoursThenFails) {
  absl::Time t = local(2026, 12, 3, 10);
  EXPECT_EQ(after_attempt(1, true, t, {}).status, "sent");
  EXPECT_EQ(*after_attempt(1, false, t, {}).next_at, t + absl::Minutes(1));
  EXPECT_EQ(*after_attempt(2, false, t, {}).next_at, t + absl::Minutes(5));
  EXPECT_EQ(*after_attempt(3, false, t, {}).next_at, t + absl::Minutes(30));
  EXPECT_EQ(*after_attempt(4, false, t, {}).next_at, t + absl::Hours(2));
  AttemptEffects last = after_attempt(5, false, t, {});
  EXPECT_EQ(last.status, "failed");
  EXPECT_FALSE(last.next_at.has_value());
}

TEST(Outreach, ReceiptsNeverMoveBackwards) {
  EXPECT_EQ(after_receipt("sent", "delivered"), "delivered");
  EXPECT_EQ(after_receipt("sent", "failed"), "failed");
  EXPECT_EQ(after_receipt("queued", "delivered"), "delivered");
  EXPECT_FALSE(after_receipt("delivered", "failed").has_value());
  EXPECT_FALSE(after_receipt("failed", "delivered").has_value());
  EXPECT_FALSE(after_receipt("suppressed", "delivered").has_value());
  EXPECT_FALSE(after_receipt("sent", "sent").has_value());
}

TEST(Outreach, TemplatesRenderFactsInLocalTime) {
  absl::TimeZone z = shanghai();
  std::string window = format_window(local(2026, 12, 4, 9), local(2026, 12, 4, 11), z);
  EXPECT_EQ(window, "12月4日 09:00-11:00");
  EXPECT_EQ(
      render(default_template("appointment_scheduled"), {{"unit", "3-1203"}, {"window", window}}),
      "【物业服务】您好，3-1203的报修已预约上门时间：12月4日 09:00-11:00。如需改约请联系客服。");
  EXPECT_EQ(format_yuan(123450), "1234.50");
  EXPECT_EQ(format_yuan(5), "0.05");
  EXPECT_EQ(format_date(absl::CivilDay(2027, 1, 9)), "2027年1月9日");
  EXPECT_EQ(render("{a}-{b}-{Not a name}", {{"a", "1"}}), "1--{Not a name}");
}

TEST(Outreach, MessageIdIsDerivedFromTheCause) {
  std::string a = message_id_for("appointment_scheduled:WO-1:123");
  EXPECT_EQ(a, message_id_for("appointment_scheduled:WO-1:123"));
  EXPECT_NE(a, message_id_for("appointment_scheduled:WO-1:124"));
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '5');
}

TEST(Outreach, SignatureIsHexHmacSha256OfTheBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(app::signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(app::signature_matches("Jefe", "what do ya want for nothing?",
                                     app::signature("Jefe", "what do ya want for nothing?")));
  EXPECT_FALSE(app::signature_matches("Jefe", "what do ya want for nothing!",
                                      app::signature("Jefe", "what do ya want for nothing?")));
  EXPECT_FALSE(app::signature_matches("Jefe", "x", ""));
}

}  // namespace
}  // namespace aftercare::callback::domain
