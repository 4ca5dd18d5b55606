// Survey campaigns and their questionnaires (SQL only).
#pragma once

#include <absl/time/time.h>

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "callback/domain/surveys.h"

namespace aftercare::callback::store {

struct CampaignRow {
  std::string campaign_id, project_id, kind, title, started_by;
  std::vector<std::string> buildings;
  absl::Time created_at;
};
struct QuestionnaireRow {
  std::string campaign_id, owner_id, unit_id, building, reference, comment, method, recorded_by;
  int score = 0;  // 0 = pending
  std::optional<absl::Time> answered_at;
};

// The project's units with their current owners (callback_units, from intake.UnitUpserted).
std::vector<domain::SurveyUnit> project_units(pqxx::transaction_base& tx,
                                              const std::string& project_id);

void insert_campaign(pqxx::transaction_base& tx, const CampaignRow& c);
std::optional<CampaignRow> load_campaign(pqxx::transaction_base& tx, const std::string& id);
std::vector<CampaignRow> project_campaigns(pqxx::transaction_base& tx,
                                           const std::string& project_id);

void insert_questionnaire(pqxx::transaction_base& tx, const QuestionnaireRow& q);
std::vector<QuestionnaireRow> campaign_questionnaires(pqxx::transaction_base& tx,
                                                      const std::string& campaign_id);
// Locked for the answer.
std::optional<QuestionnaireRow> lock_questionnaire(pqxx::transaction_base& tx,
                                                   const std::string& campaign_id,
                                                   const std::string& owner_id);
void record_answer(pqxx::transaction_base& tx, const QuestionnaireRow& answered);
// The owner's questionnaires with their campaign (pending first, then newest first).
std::vector<std::pair<CampaignRow, QuestionnaireRow>> owner_questionnaires(
    pqxx::transaction_base& tx, const std::string& owner_id);

}  // namespace aftercare::callback::store
