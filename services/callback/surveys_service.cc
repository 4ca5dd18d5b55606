// The gRPC edge of survey campaigns (issue 20): validate, authorize, call app/surveys, map.
#include <set>

#include "callback/access.h"
#include "callback/app/outreach.h"
#include "callback/app/surveys.h"
#include "callback/callback_service.h"
#include "callback/domain/surveys.h"
#include "callback/domain/validation.h"
#include "common/field_error.h"
#include "common/refusal.h"

namespace aftercare::callback {
namespace {

namespace v1 = aftercare::v1;
using grpc::Status;
using grpc::StatusCode;

// Survey campaigns are read by the callback staff of their projects.
constexpr kit::Roles kCampaignReaders = kCallbackStaff;

Status denied(const kit::Caller& c, const std::string& what) {
  return {StatusCode::PERMISSION_DENIED, "role " + c.role_name() + " may not " + what};
}

}  // namespace

Status CallbackServiceImpl::StartSurveyCampaign(grpc::ServerContext* context,
                                                const v1::StartSurveyCampaignRequest* r,
                                                v1::SurveyCampaign* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty())
    return kit::invalid_from_check(e);
  if (auto e = domain::check_campaign(*r); !e.empty()) return kit::invalid_from_check(e);
  const kit::Caller& c = call.caller;
  if (!kCampaignStarters.contains(c.role)) return denied(c, "start survey campaigns");
  if (!c.sees_project(r->project_id()))
    return {StatusCode::NOT_FOUND, "project " + r->project_id() + " not found"};
  return kit::guarded("StartSurveyCampaign", [&] {
    *out = db_.in_transaction(
        [&](pqxx::work& tx) { return app::start_campaign(tx, *r, c.sub, clock_()); });
    return Status::OK;
  });
}

Status CallbackServiceImpl::GetSurveyCampaign(grpc::ServerContext* context,
                                              const v1::GetSurveyCampaignRequest* r,
                                              v1::SurveyCampaign* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->campaign_id(), "campaign_id"); !e.empty())
    return kit::invalid_from_check(e);
  const kit::Caller& c = call.caller;
  if (!kCampaignReaders.contains(c.role)) return denied(c, "read survey campaigns");
  return kit::guarded("GetSurveyCampaign", [&] {
    *out = db_.in_transaction([&](pqxx::work& tx) { return app::campaign(tx, r->campaign_id()); });
    if (!c.sees_project(out->project_id())) {
      out->Clear();
      return Status(StatusCode::NOT_FOUND, "survey campaign " + r->campaign_id() + " not found");
    }
    return Status::OK;
  });
}

Status CallbackServiceImpl::ListSurveyCampaigns(grpc::ServerContext* context,
                                                const v1::ListSurveyCampaignsRequest* r,
                                                v1::ListSurveyCampaignsResponse* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty())
    return kit::invalid_from_check(e);
  const kit::Caller& c = call.caller;
  if (!kCampaignReaders.contains(c.role)) return denied(c, "read survey campaigns");
  if (!c.sees_project(r->project_id()))
    return {StatusCode::NOT_FOUND, "project " + r->project_id() + " not found"};
  return kit::guarded("ListSurveyCampaigns", [&] {
    *out = db_.in_transaction(
        [&](pqxx::work& tx) { return app::project_campaigns(tx, r->project_id()); });
    return Status::OK;
  });
}

Status CallbackServiceImpl::AnswerSurvey(grpc::ServerContext* context,
                                         const v1::AnswerSurveyRequest* r, v1::SurveyAnswer* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->campaign_id(), "campaign_id"); !e.empty())
    return kit::invalid_from_check(e);
  if (auto e = domain::check_id(r->owner_id(), "owner_id"); !e.empty())
    return kit::invalid_from_check(e);
  if (auto e = domain::check_answer(*r); !e.empty()) return kit::invalid_from_check(e);
  const kit::Caller& c = call.caller;
  if (!c.is(kit::Role::owner) && !c.is(kit::Role::agent)) return denied(c, "answer surveys");
  if (c.is(kit::Role::owner) && c.sub != r->owner_id())
    return {StatusCode::NOT_FOUND, "questionnaire of owner " + r->owner_id() + " not found"};
  return kit::guarded("AnswerSurvey", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      // An agent records answers for the owners of the projects they serve.
      if (c.is(kit::Role::agent)) {
        v1::SurveyCampaign campaign = app::campaign(tx, r->campaign_id());
        if (!c.sees_project(campaign.project_id()))
          return Status(StatusCode::NOT_FOUND,
                        "survey campaign " + r->campaign_id() + " not found");
      }
      *out =
          app::answer(tx, outbox_, *r, c.is(kit::Role::owner) ? "app" : "phone", c.sub, clock_());
      return Status::OK;
    });
  });
}

Status CallbackServiceImpl::ListOwnerSurveys(grpc::ServerContext* context,
                                             const v1::ListOwnerSurveysRequest* r,
                                             v1::ListOwnerSurveysResponse* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->owner_id(), "owner_id"); !e.empty())
    return kit::invalid_from_check(e);
  const kit::Caller& c = call.caller;
  if (!c.is(kit::Role::owner) && !kCampaignReaders.contains(c.role))
    return denied(c, "read owners' questionnaires");
  if (c.is(kit::Role::owner) && c.sub != r->owner_id())
    return {StatusCode::NOT_FOUND, "owner " + r->owner_id() + " not found"};
  return kit::guarded("ListOwnerSurveys", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      v1::ListOwnerSurveysResponse all = app::owner_surveys(tx, r->owner_id());
      for (const v1::OwnerSurvey& s : all.surveys())
        if (c.is(kit::Role::owner) || c.sees_project(s.project_id())) *out->add_surveys() = s;
      if (!c.is(kit::Role::owner) && out->surveys().empty() && !all.surveys().empty())
        return Status(StatusCode::NOT_FOUND, "owner " + r->owner_id() + " not found");
      return Status::OK;
    });
  });
}

}  // namespace aftercare::callback
