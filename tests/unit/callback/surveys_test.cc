// Survey campaigns' pure rules: who is asked, the reference that keys the points, the index.
#include "callback/domain/surveys.h"

#include <gtest/gtest.h>

namespace aftercare::callback::domain {
namespace {

TEST(SurveyCampaigns, EveryOwnerInScopeIsAskedOnceForTheFirstUnit) {
  std::vector<SurveyUnit> units = {{"U-3", "1", "o-b"},
                                   {"U-1", "1", "o-a"},
                                   {"U-2", "1", "o-b"},
                                   {"U-4", "2", "o-c"},
                                   {"U-5", "1", ""}};
  auto in_one = campaign_recipients(units, {"1"});
  ASSERT_EQ(in_one.size(), 2u);
  EXPECT_EQ(in_one[0].owner_id, "o-a");
  EXPECT_EQ(in_one[1].owner_id, "o-b");
  EXPECT_EQ(in_one[1].unit_id, "U-2");  // the first of o-b's units by id
  EXPECT_EQ(campaign_recipients(units, {}).size(), 3u);
  EXPECT_TRUE(campaign_recipients(units, {"7"}).empty());
}

TEST(SurveyCampaigns, ReferenceIsOnePerOwnerAndCampaign) {
  EXPECT_EQ(survey_reference("C1", "o-a"), survey_reference("C1", "o-a"));
  EXPECT_NE(survey_reference("C1", "o-a"), survey_reference("C2", "o-a"));
  EXPECT_NE(survey_reference("C1", "o-a"), survey_reference("C1", "o-b"));
  EXPECT_EQ(survey_reference("C1", "o-a").size(), 36u);
}

TEST(SurveyCampaigns, IndexCountsSatisfiedAndBasicallySatisfiedOverAnswers) {
  CampaignFigures f =
      campaign_figures({{"1", 5}, {"1", 3}, {"1", 2}, {"1", 0}, {"2", 4}, {"2", 0}});
  EXPECT_EQ(f.recipients, 6);
  EXPECT_EQ(f.answered, 4);
  EXPECT_EQ(f.satisfied, 3);
  EXPECT_EQ(f.score_sum, 14);
  EXPECT_EQ(f.by_building.at("1").answered, 3);
  EXPECT_EQ(f.by_building.at("1").satisfied, 2);
  EXPECT_EQ(f.by_building.at("2").recipients, 2);
  aftercare::v1::SurveyCampaign out;
  fill_figures(f, &out);
  EXPECT_EQ(out.satisfaction_index().basis_points(), 7500);
  EXPECT_EQ(out.average_score().basis_points(), 35000);  // 3.5
  ASSERT_EQ(out.by_building_size(), 2);
  EXPECT_EQ(out.by_building(1).satisfaction_index().basis_points(), 10000);
}

TEST(SurveyCampaigns, BadCampaignsAndAnswersNameTheField) {
  aftercare::v1::StartSurveyCampaignRequest c;
  c.set_kind("quarterly_satisfaction");
  c.set_title("第四季度满意度调查");
  EXPECT_EQ(check_campaign(c), "");
  c.set_kind("weekly");
  EXPECT_EQ(check_campaign(c).rfind("kind ", 0), 0u);
  c.set_kind("home_visit");
  c.set_title(std::string(101 * 3, 'x'));
  EXPECT_EQ(check_campaign(c).rfind("title ", 0), 0u);
  std::string hundred_chinese;
  for (int i = 0; i < 100; ++i) hundred_chinese += "问";
  c.set_title(hundred_chinese);  // 100 characters, 300 bytes: fine
  EXPECT_EQ(check_campaign(c), "");
  c.add_buildings("1");
  c.add_buildings("1");
  EXPECT_EQ(check_campaign(c).rfind("buildings ", 0), 0u);

  aftercare::v1::AnswerSurveyRequest a;
  for (int score : {0, 6, -1}) {
    a.set_score(score);
    EXPECT_EQ(check_answer(a).rfind("score ", 0), 0u) << score;
  }
  a.set_score(3);
  EXPECT_EQ(check_answer(a), "");
}

}  // namespace
}  // namespace aftercare::callback::domain
