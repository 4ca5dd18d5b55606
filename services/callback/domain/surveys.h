// Survey campaigns (issue 20, seeds 001: 每季回访1次, 发放住户调查问卷): who is asked, what an
// answer is worth, and the satisfaction index they add up to. Pure: no I/O, time passed in.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "aftercare/v1/callback.pb.h"

namespace aftercare::callback::domain {

inline constexpr int kMaxCampaignTitle = 100;
inline constexpr int kMaxCampaignBuildings = 200;
inline constexpr int kMaxSurveyComment = 500;

bool is_campaign_kind(const std::string& kind);  // quarterly_satisfaction, home_visit

// "" or the first bad field of a new campaign (kind, title, buildings).
std::string check_campaign(const aftercare::v1::StartSurveyCampaignRequest& in);
// "" or the bad field of an answer (score 1-5, comment length).
std::string check_answer(const aftercare::v1::AnswerSurveyRequest& in);

// A unit of the project as callback knows it (intake.UnitUpserted).
struct SurveyUnit {
  std::string unit_id, building, owner_id;
};
struct Recipient {
  std::string owner_id, unit_id, building;
};
// One questionnaire per current owner of a unit in scope (empty buildings = every building); an
// owner of several units in scope is asked once, for the first unit by id. Units without an owner
// are skipped.
std::vector<Recipient> campaign_recipients(const std::vector<SurveyUnit>& units,
                                           const std::vector<std::string>& buildings);

// The cause of the points: one per owner and campaign, whatever the number of answers tried.
std::string survey_reference(const std::string& campaign_id, const std::string& owner_id);

// The figures of a campaign from its questionnaires (answered ones have a score 1-5).
struct Questionnaire {
  std::string building;
  int score = 0;  // 0 = not answered
};
struct CampaignFigures {
  int64_t recipients = 0, answered = 0, satisfied = 0, score_sum = 0;
  std::map<std::string, CampaignFigures> by_building;  // only filled at the top level
};
CampaignFigures campaign_figures(const std::vector<Questionnaire>& questionnaires);
void fill_figures(const CampaignFigures& figures, aftercare::v1::SurveyCampaign* out);

}  // namespace aftercare::callback::domain
