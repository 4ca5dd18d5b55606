#include "callback/app/surveys.h"

#include <set>

#include "callback/app/outreach.h"
#include "callback/domain/events.h"
#include "callback/domain/recording.h"
#include "callback/domain/surveys.h"
#include "callback/store/outreach_store.h"
#include "callback/store/survey_store.h"
#include "common/privacy.h"
#include "common/refusal.h"
#include "common/time.h"

namespace aftercare::callback::app {
namespace {

namespace v1 = aftercare::v1;

v1::SurveyCampaign to_proto(pqxx::transaction_base& tx, const store::CampaignRow& c) {
  v1::SurveyCampaign out;
  out.set_campaign_id(c.campaign_id);
  out.set_project_id(c.project_id);
  out.set_kind(c.kind);
  out.set_title(c.title);
  for (const std::string& b : c.buildings) out.add_buildings(b);
  out.set_status("open");
  out.set_started_by(c.started_by);
  *out.mutable_created_at() = kit::to_timestamp(c.created_at);
  std::vector<domain::Questionnaire> qs;
  for (const store::QuestionnaireRow& q : store::campaign_questionnaires(tx, c.campaign_id))
    qs.push_back({q.building, q.score});
  domain::fill_figures(domain::campaign_figures(qs), &out);
  return out;
}

std::string invitation(const std::string& title) {
  return title +
         "：诚邀您为我们的服务打分（1-5分），请在业主端“我的问卷”中作答，也可等待客服来电。"
         "完成问卷可获会员积分。";
}

}  // namespace

v1::SurveyCampaign start_campaign(pqxx::transaction_base& tx,
                                  const v1::StartSurveyCampaignRequest& in,
                                  const std::string& started_by, absl::Time now) {
  if (!store::project_known(tx, in.project_id()))
    throw kit::not_found("project " + in.project_id());
  std::vector<domain::SurveyUnit> units = store::project_units(tx, in.project_id());
  std::set<std::string> known;
  for (const domain::SurveyUnit& u : units) known.insert(u.building);
  for (const std::string& b : in.buildings())
    if (!known.contains(b))
      throw kit::invalid("buildings", "'" + b + "' has no unit in project " + in.project_id());
  std::vector<std::string> scope(in.buildings().begin(), in.buildings().end());
  std::vector<domain::Recipient> recipients = domain::campaign_recipients(units, scope);
  if (recipients.empty())
    throw kit::failed_precondition("no unit in scope has a registered owner to ask");

  store::CampaignRow c{kit::new_uuid(),
                       in.project_id(),
                       in.kind(),
                       in.title(),
                       started_by,
                       scope,
                       kit::truncate_to_micros(now)};
  store::insert_campaign(tx, c);
  for (const domain::Recipient& r : recipients) {
    std::string reference = domain::survey_reference(c.campaign_id, r.owner_id);
    store::insert_questionnaire(tx, {c.campaign_id, r.owner_id, r.unit_id, r.building, reference});
    // The invitation is a notice like an announcement: an owner who turned announcements off
    // is not messaged, but still finds the questionnaire in the portal (and the agent calls).
    enqueue(tx,
            {"survey:" + reference,
             in.project_id(),
             r.unit_id,
             r.owner_id,
             "announcement",
             false,
             {{"text", invitation(in.title())}}},
            now);
  }
  return to_proto(tx, c);
}

v1::SurveyCampaign campaign(pqxx::transaction_base& tx, const std::string& id) {
  auto c = store::load_campaign(tx, id);
  if (!c) throw kit::not_found("survey campaign " + id);
  return to_proto(tx, *c);
}

v1::ListSurveyCampaignsResponse project_campaigns(pqxx::transaction_base& tx,
                                                  const std::string& project_id) {
  v1::ListSurveyCampaignsResponse out;
  for (const store::CampaignRow& c : store::project_campaigns(tx, project_id))
    *out.add_campaigns() = to_proto(tx, c);
  return out;
}

v1::SurveyAnswer answer(pqxx::work& tx, const kit::Outbox& outbox,
                        const v1::AnswerSurveyRequest& in, const std::string& method,
                        const std::string& recorded_by, absl::Time now) {
  auto c = store::load_campaign(tx, in.campaign_id());
  if (!c) throw kit::not_found("survey campaign " + in.campaign_id());
  auto q = store::lock_questionnaire(tx, in.campaign_id(), in.owner_id());
  if (!q) throw kit::not_found("questionnaire of owner " + in.owner_id());
  if (q->score > 0) throw kit::already_exists("owner " + in.owner_id() + " already answered");
  q->score = in.score();
  q->comment = kit::mask_digit_runs(in.comment());
  q->method = method;
  q->recorded_by = recorded_by;
  q->answered_at = kit::truncate_to_micros(now);
  store::record_answer(tx, *q);

  v1::Satisfaction satisfaction = domain::satisfaction_of_score(q->score);
  // Points once per owner and campaign: loyalty awards a reference once.
  v1::Event e;
  e.set_project_id(c->project_id);
  e.set_aggregate_id(q->reference);
  e.set_producer("callback");
  domain::set_timestamp(e.mutable_occurred_at(), now);
  v1::SurveyCompleted* p = e.mutable_survey_completed();
  p->set_callback_id(q->reference);
  p->set_owner_id(q->owner_id);
  p->set_satisfaction(satisfaction);
  outbox.add(tx, e);

  v1::SurveyAnswer out;
  out.set_campaign_id(q->campaign_id);
  out.set_owner_id(q->owner_id);
  out.set_unit_id(q->unit_id);
  out.set_building(q->building);
  out.set_score(q->score);
  out.set_satisfaction(satisfaction);
  out.set_comment(q->comment);
  out.set_method(method);
  out.set_recorded_by(recorded_by);
  *out.mutable_answered_at() = kit::to_timestamp(*q->answered_at);
  return out;
}

v1::ListOwnerSurveysResponse owner_surveys(pqxx::transaction_base& tx,
                                           const std::string& owner_id) {
  v1::ListOwnerSurveysResponse out;
  for (const auto& [c, q] : store::owner_questionnaires(tx, owner_id)) {
    v1::OwnerSurvey* s = out.add_surveys();
    s->set_campaign_id(c.campaign_id);
    s->set_project_id(c.project_id);
    s->set_kind(c.kind);
    s->set_title(c.title);
    s->set_status(q.score > 0 ? "answered" : "pending");
    s->set_score(q.score);
    *s->mutable_created_at() = kit::to_timestamp(c.created_at);
  }
  return out;
}

}  // namespace aftercare::callback::app
