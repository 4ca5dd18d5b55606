#include "callback/domain/surveys.h"

#include <algorithm>
#include <set>

#include "callback/domain/outreach.h"
#include "callback/domain/recording.h"
#include "callback/domain/stats.h"

namespace aftercare::callback::domain {

bool is_campaign_kind(const std::string& kind) {
  return kind == "quarterly_satisfaction" || kind == "home_visit";
}

namespace {
// Characters, not bytes: Chinese titles count one per character.
size_t utf8_length(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

std::string check_campaign(const aftercare::v1::StartSurveyCampaignRequest& in) {
  if (!is_campaign_kind(in.kind())) return "kind must be quarterly_satisfaction or home_visit";
  size_t title = utf8_length(in.title());
  if (title == 0 || title > kMaxCampaignTitle)
    return "title must be 1-" + std::to_string(kMaxCampaignTitle) + " characters";
  if (in.buildings_size() > kMaxCampaignBuildings)
    return "buildings has at most " + std::to_string(kMaxCampaignBuildings) + " entries";
  std::set<std::string> seen;
  for (const std::string& b : in.buildings()) {
    if (b.empty() || utf8_length(b) > 64) return "buildings entries must be 1-64 characters";
    if (!seen.insert(b).second) return "buildings lists '" + b + "' twice";
  }
  return "";
}

std::string check_answer(const aftercare::v1::AnswerSurveyRequest& in) {
  if (in.score() < 1 || in.score() > 5) return "score must be 1-5";
  if (utf8_length(in.comment()) > kMaxSurveyComment)
    return "comment has at most " + std::to_string(kMaxSurveyComment) + " characters";
  return "";
}

std::vector<Recipient> campaign_recipients(const std::vector<SurveyUnit>& units,
                                           const std::vector<std::string>& buildings) {
  std::set<std::string> scope(buildings.begin(), buildings.end());
  std::vector<SurveyUnit> sorted = units;
  std::sort(sorted.begin(), sorted.end(),
            [](const SurveyUnit& a, const SurveyUnit& b) { return a.unit_id < b.unit_id; });
  std::set<std::string> asked;
  std::vector<Recipient> out;
  for (const SurveyUnit& u : sorted) {
    if (u.owner_id.empty()) continue;
    if (!scope.empty() && !scope.contains(u.building)) continue;
    if (!asked.insert(u.owner_id).second) continue;
    out.push_back({u.owner_id, u.unit_id, u.building});
  }
  return out;
}

std::string survey_reference(const std::string& campaign_id, const std::string& owner_id) {
  return message_id_for("survey:" + campaign_id + ":" + owner_id);
}

CampaignFigures campaign_figures(const std::vector<Questionnaire>& questionnaires) {
  CampaignFigures all;
  auto add = [](CampaignFigures& f, const Questionnaire& q) {
    ++f.recipients;
    if (q.score < 1) return;
    ++f.answered;
    f.score_sum += q.score;
    if (satisfaction_of_score(q.score) != aftercare::v1::SATISFACTION_UNSATISFIED) ++f.satisfied;
  };
  for (const Questionnaire& q : questionnaires) {
    add(all, q);
    add(all.by_building[q.building], q);
  }
  return all;
}

void fill_figures(const CampaignFigures& f, aftercare::v1::SurveyCampaign* out) {
  out->set_recipients(f.recipients);
  out->set_answered(f.answered);
  *out->mutable_satisfaction_index() = ratio(f.satisfied, f.answered);
  *out->mutable_average_score() = ratio(f.score_sum, f.answered);
  out->clear_by_building();
  for (const auto& [building, b] : f.by_building) {
    aftercare::v1::BuildingSatisfaction* row = out->add_by_building();
    row->set_building(building);
    row->set_recipients(b.recipients);
    row->set_answered(b.answered);
    *row->mutable_satisfaction_index() = ratio(b.satisfied, b.answered);
  }
}

}  // namespace aftercare::callback::domain
