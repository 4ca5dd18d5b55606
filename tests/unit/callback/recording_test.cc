// Recording rules: validation, satisfaction <-> score, and what follows (rework, survey).
#include <gtest/gtest.h>

#include "callback/domain/recording.h"
#include "callback/domain/validation.h"

namespace aftercare::callback::domain {
namespace {

namespace v1 = aftercare::v1;

v1::RecordCallbackRequest reached(v1::Satisfaction s, int score = 0) {
  v1::RecordCallbackRequest r;
  r.set_callback_id("00000000-0000-0000-0000-000000000001");
  r.set_reached(true);
  r.set_satisfaction(s);
  r.set_score(score);
  r.set_charge_ok(true);
  r.set_timely(true);
  return r;
}

std::string field_of(const std::string& error) {
  return error.substr(0, error.find(' '));
}

TEST(Record, ScoreRangeAndSatisfactionEnumAreChecked) {
  v1::CallbackOutcome out;
  EXPECT_EQ(field_of(check_and_derive(reached(v1::SATISFACTION_SATISFIED, 6), &out)), "score");
  EXPECT_EQ(field_of(check_and_derive(reached(v1::SATISFACTION_SATISFIED, -1), &out)), "score");
  EXPECT_EQ(field_of(check_and_derive(reached(static_cast<v1::Satisfaction>(9), 4), &out)),
            "satisfaction");
  EXPECT_EQ(field_of(check_and_derive(reached(v1::SATISFACTION_UNSPECIFIED, 0), &out)),
            "satisfaction");
  auto bad_attitude = reached(v1::SATISFACTION_SATISFIED);
  bad_attitude.set_attitude(6);
  EXPECT_EQ(field_of(check_and_derive(bad_attitude, &out)), "attitude");
  auto long_comment = reached(v1::SATISFACTION_SATISFIED);
  long_comment.set_comment(std::string(2001, 'x'));
  EXPECT_EQ(field_of(check_and_derive(long_comment, &out)), "comment");
  auto bad_utf8 = reached(v1::SATISFACTION_SATISFIED);
  bad_utf8.set_comment("\xC3\x28");
  EXPECT_EQ(field_of(check_and_derive(bad_utf8, &out)), "comment");
  auto unreached = reached(v1::SATISFACTION_SATISFIED);
  unreached.set_reached(false);
  EXPECT_EQ(field_of(check_and_derive(unreached, &out)), "reached");
}

TEST(Record, ChineseCommentCountsCharactersNotBytes) {
  v1::CallbackOutcome out;
  auto r = reached(v1::SATISFACTION_SATISFIED);
  std::string comment;
  for (int i = 0; i < 2000; ++i) comment += "好";  // 6000 bytes, 2000 characters
  r.set_comment(comment);
  EXPECT_EQ(check_and_derive(r, &out), "");
  EXPECT_EQ(out.comment(), comment);
}

TEST(Record, ScoreAloneDecidesSatisfaction) {
  v1::CallbackOutcome out;
  for (auto [score, expected] :
       std::vector<std::pair<int, v1::Satisfaction>>{{1, v1::SATISFACTION_UNSATISFIED},
                                                     {2, v1::SATISFACTION_UNSATISFIED},
                                                     {3, v1::SATISFACTION_BASICALLY_SATISFIED},
                                                     {4, v1::SATISFACTION_SATISFIED},
                                                     {5, v1::SATISFACTION_SATISFIED}}) {
    ASSERT_EQ(check_and_derive(reached(v1::SATISFACTION_UNSPECIFIED, score), &out), "");
    EXPECT_EQ(out.satisfaction(), expected) << score;
    EXPECT_EQ(out.score(), score);
  }
}

TEST(Record, SatisfactionAloneGivesAScore) {
  v1::CallbackOutcome out;
  ASSERT_EQ(check_and_derive(reached(v1::SATISFACTION_SATISFIED), &out), "");
  EXPECT_EQ(out.score(), 5);
  ASSERT_EQ(check_and_derive(reached(v1::SATISFACTION_BASICALLY_SATISFIED), &out), "");
  EXPECT_EQ(out.score(), 3);
  ASSERT_EQ(check_and_derive(reached(v1::SATISFACTION_UNSATISFIED), &out), "");
  EXPECT_EQ(out.score(), 1);
}

TEST(Record, BothGivenSatisfactionDecidesButContradictionsAreRefused) {
  v1::CallbackOutcome out;
  ASSERT_EQ(check_and_derive(reached(v1::SATISFACTION_BASICALLY_SATISFIED, 4), &out), "");
  EXPECT_EQ(out.satisfaction(), v1::SATISFACTION_BASICALLY_SATISFIED);
  EXPECT_EQ(out.score(), 4);
  EXPECT_EQ(field_of(check_and_derive(reached(v1::SATISFACTION_SATISFIED, 1), &out)), "score");
  EXPECT_EQ(field_of(check_and_derive(reached(v1::SATISFACTION_UNSATISFIED, 5), &out)), "score");
}

TEST(Effects, UnsatisfiedOrWrongChargeRequestsRework) {
  v1::CallbackOutcome out;
  ASSERT_EQ(check_and_derive(reached(v1::SATISFACTION_UNSATISFIED, 2), &out), "");
  RecordEffects e = effects_of(out, true);
  EXPECT_TRUE(e.rework);
  EXPECT_FALSE(e.survey_completed);
  EXPECT_EQ(e.rework_reason, "unsatisfied");

  auto wrong_charge = reached(v1::SATISFACTION_SATISFIED, 5);
  wrong_charge.set_charge_ok(false);
  ASSERT_EQ(check_and_derive(wrong_charge, &out), "");
  e = effects_of(out, true);
  EXPECT_TRUE(e.rework);
  EXPECT_EQ(e.rework_reason, "charge not correct");
  EXPECT_TRUE(e.survey_completed);  // the owner still answered the survey, satisfied
}

TEST(Effects, SatisfiedOrBasicallySatisfiedCompletesTheSurvey) {
  v1::CallbackOutcome out;
  for (auto s : {v1::SATISFACTION_SATISFIED, v1::SATISFACTION_BASICALLY_SATISFIED}) {
    ASSERT_EQ(check_and_derive(reached(s), &out), "");
    RecordEffects e = effects_of(out, true);
    EXPECT_FALSE(e.rework);
    EXPECT_TRUE(e.survey_completed);
  }
}

TEST(Effects, NoReworkWithoutAWorkOrder) {
  v1::CallbackOutcome out;
  auto r = reached(v1::SATISFACTION_UNSATISFIED);
  r.set_charge_ok(false);
  ASSERT_EQ(check_and_derive(r, &out), "");
  EXPECT_FALSE(effects_of(out, false).rework);
}

TEST(Effects, ReturnDueAndOnTime) {
  CallbackPolicy p = CallbackPolicy::defaults();
  absl::Time at = absl::FromUnixSeconds(1718000000);
  EXPECT_EQ(rework_return_due(at, p), at + absl::Hours(24));
  p.rework_return_hours = 12;
  EXPECT_EQ(rework_return_due(at, p), at + absl::Hours(12));
  EXPECT_TRUE(recorded_on_time(at, at));
  EXPECT_FALSE(recorded_on_time(at + absl::Seconds(1), at));
}

TEST(Validation, DigitRunsAreMaskedInEventText) {
  EXPECT_EQ(mask_digit_runs("call 13800001111 after 6pm, room 1203"),
            "call *********** after 6pm, room 1203");
  EXPECT_EQ(mask_digit_runs("师傅电话1234567好"), "师傅电话*******好");
}

TEST(Validation, Ids) {
  EXPECT_EQ(check_id("P-1_a", "project_id"), "");
  EXPECT_NE(check_id("", "project_id"), "");
  EXPECT_NE(check_id("a b", "project_id"), "");
  EXPECT_NE(check_id(std::string(65, 'a'), "project_id"), "");
  EXPECT_TRUE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
  EXPECT_FALSE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
  EXPECT_FALSE(is_uuid("0f8fad5bxd9cb-469f-a165-70867728950e"));
}

}  // namespace
}  // namespace aftercare::callback::domain

namespace aftercare::callback::domain {
namespace {

TEST(Record, AnOmittedChargeAnswerIsNoComplaintButAnExplicitFalseIsRework) {
  aftercare::v1::RecordCallbackRequest r;
  r.set_callback_id("00000000-0000-0000-0000-000000000001");
  r.set_reached(true);
  r.set_satisfaction(aftercare::v1::SATISFACTION_SATISFIED);
  aftercare::v1::CallbackOutcome out;
  ASSERT_EQ(check_and_derive(r, &out), "");
  EXPECT_TRUE(out.charge_ok());
  r.set_charge_ok(false);
  ASSERT_EQ(check_and_derive(r, &out), "");
  EXPECT_FALSE(out.charge_ok());
}

}  // namespace
}  // namespace aftercare::callback::domain
