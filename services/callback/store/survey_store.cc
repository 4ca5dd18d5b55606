#include "callback/store/survey_store.h"

#include "callback/store/sql_time.h"

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace aftercare::callback::store {
namespace {

constexpr const char* kProjectUnits =
    "SELECT unit_id, building, owner_id FROM callback_units WHERE project_id = $1 "
    "ORDER BY unit_id";
constexpr const char* kInsertCampaign =
    "INSERT INTO survey_campaigns (campaign_id, project_id, kind, title, buildings, started_by, "
    "created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, " AC_TS("$7") ")";
constexpr const char* kCampaignColumns =
    "c.campaign_id, c.project_id, c.kind, c.title, c.buildings::text, c.started_by, " AC_US(
        "c.created_at");
constexpr const char* kInsertQuestionnaire =
    "INSERT INTO survey_questionnaires (campaign_id, owner_id, unit_id, building, reference) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
constexpr const char* kQuestionnaireColumns =
    "q.campaign_id, q.owner_id, q.unit_id, q.building, q.reference, q.comment, q.method, "
    "q.recorded_by, coalesce(q.score, 0), " AC_US("q.answered_at");
constexpr const char* kRecordAnswer =
    "UPDATE survey_questionnaires SET score = $3, comment = $4, method = $5, recorded_by = $6, "
    "answered_at = " AC_TS("$7") " WHERE campaign_id = $1 AND owner_id = $2 AND score IS NULL";

CampaignRow campaign_of(const pqxx::row& r, int at = 0) {
  CampaignRow c;
  c.campaign_id = r[at].c_str();
  c.project_id = r[at + 1].c_str();
  c.kind = r[at + 2].c_str();
  c.title = r[at + 3].c_str();
  for (const auto& b : nlohmann::json::parse(r[at + 4].c_str()))
    c.buildings.push_back(b.get<std::string>());
  c.started_by = r[at + 5].c_str();
  c.created_at = kit::from_micros(r[at + 6].as<int64_t>());
  return c;
}

QuestionnaireRow questionnaire_of(const pqxx::row& r, int at = 0) {
  QuestionnaireRow q;
  q.campaign_id = r[at].c_str();
  q.owner_id = r[at + 1].c_str();
  q.unit_id = r[at + 2].c_str();
  q.building = r[at + 3].c_str();
  q.reference = r[at + 4].c_str();
  q.comment = r[at + 5].c_str();
  q.method = r[at + 6].c_str();
  q.recorded_by = r[at + 7].c_str();
  q.score = r[at + 8].as<int>();
  if (!r[at + 9].is_null()) q.answered_at = kit::from_micros(r[at + 9].as<int64_t>());
  return q;
}

}  // namespace

std::vector<domain::SurveyUnit> project_units(pqxx::transaction_base& tx,
                                              const std::string& project_id) {
  std::vector<domain::SurveyUnit> out;
  for (const auto& r : tx.exec_params(kProjectUnits, project_id))
    out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str()});
  return out;
}

void insert_campaign(pqxx::transaction_base& tx, const CampaignRow& c) {
  tx.exec_params(kInsertCampaign, c.campaign_id, c.project_id, c.kind, c.title,
                 nlohmann::json(c.buildings).dump(), c.started_by, kit::to_micros(c.created_at));
}

std::optional<CampaignRow> load_campaign(pqxx::transaction_base& tx, const std::string& id) {
  auto r = tx.exec_params(std::string("SELECT ") + kCampaignColumns +
                              " FROM survey_campaigns c WHERE c.campaign_id = $1",
                          id);
  if (r.empty()) return std::nullopt;
  return campaign_of(r[0]);
}

std::vector<CampaignRow> project_campaigns(pqxx::transaction_base& tx,
                                           const std::string& project_id) {
  std::vector<CampaignRow> out;
  for (const auto& r : tx.exec_params(std::string("SELECT ") + kCampaignColumns +
                                          " FROM survey_campaigns c WHERE c.project_id = $1 "
                                          "ORDER BY c.created_at DESC, c.campaign_id LIMIT 200",
                                      project_id))
    out.push_back(campaign_of(r));
  return out;
}

void insert_questionnaire(pqxx::transaction_base& tx, const QuestionnaireRow& q) {
  tx.exec_params(kInsertQuestionnaire, q.campaign_id, q.owner_id, q.unit_id, q.building,
                 q.reference);
}

std::vector<QuestionnaireRow> campaign_questionnaires(pqxx::transaction_base& tx,
                                                      const std::string& campaign_id) {
  std::vector<QuestionnaireRow> out;
  for (const auto& r : tx.exec_params(std::string("SELECT ") + kQuestionnaireColumns +
                                          " FROM survey_questionnaires q WHERE q.campaign_id = $1 "
                                          "ORDER BY q.owner_id",
                                      campaign_id))
    out.push_back(questionnaire_of(r));
  return out;
}

std::optional<QuestionnaireRow> lock_questionnaire(pqxx::transaction_base& tx,
                                                   const std::string& campaign_id,
                                                   const std::string& owner_id) {
  auto r = tx.exec_params(std::string("SELECT ") + kQuestionnaireColumns +
                              " FROM survey_questionnaires q WHERE q.campaign_id = $1 AND "
                              "q.owner_id = $2 FOR UPDATE",
                          campaign_id, owner_id);
  if (r.empty()) return std::nullopt;
  return questionnaire_of(r[0]);
}

void record_answer(pqxx::transaction_base& tx, const QuestionnaireRow& q) {
  tx.exec_params(kRecordAnswer, q.campaign_id, q.owner_id, q.score, q.comment, q.method,
                 q.recorded_by, kit::to_micros(q.answered_at.value_or(absl::UnixEpoch())));
}

std::vector<std::pair<CampaignRow, QuestionnaireRow>> owner_questionnaires(
    pqxx::transaction_base& tx, const std::string& owner_id) {
  std::vector<std::pair<CampaignRow, QuestionnaireRow>> out;
  for (const auto& r :
       tx.exec_params(std::string("SELECT ") + kCampaignColumns + ", " + kQuestionnaireColumns +
                          " FROM survey_questionnaires q JOIN survey_campaigns c USING "
                          "(campaign_id) WHERE q.owner_id = $1 "
                          "ORDER BY q.score IS NOT NULL, c.created_at DESC LIMIT 200",
                      owner_id))
    out.emplace_back(campaign_of(r, 0), questionnaire_of(r, 7));
  return out;
}

}  // namespace aftercare::callback::store
