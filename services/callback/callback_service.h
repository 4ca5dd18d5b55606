// gRPC handlers of the callback service (DOMAIN §3): list and read callbacks, schedule manual
// ones, record answers and unanswered calls, assign, review, agents' daily lists and KPIs.
// Every handler validates, authorizes and calls the use case (app/callbacks.h), which writes
// state changes and their events in one transaction (outbox).
//
// Who may call (the caller travels as gRPC metadata, see common/call.h):
// - agent, supervisor: ListCallbacks, GetCallback, ScheduleCallback, RecordCallback,
//   RecordAttempt, AssignCallback (agents only take from the pool or give back their own),
//   WorkList (agents only their own list);
// - supervisor: ReviewCallback;
// - supervisor, finance, admin: CallbackStats (the KPI report route).
// Staff see only their projects; a callback of another project is NOT_FOUND.
#pragma once

#include "absl/time/time.h"
#include "aftercare/v1/callback.grpc.pb.h"
#include "callback/app/callbacks.h"
#include "callback/app/targets.h"
#include "common/call.h"
#include "common/clock.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& callback_migrations();
}

namespace aftercare::callback {

class CallbackServiceImpl final : public aftercare::v1::CallbacksService::Service {
 public:
  CallbackServiceImpl(kit::PgPool& db, const kit::Outbox& outbox,
                      kit::Clock clock = kit::system_clock())
      : db_(db), outbox_(outbox), clock_(std::move(clock)) {}

  grpc::Status ListCallbacks(grpc::ServerContext* context,
                             const aftercare::v1::ListCallbacksRequest* request,
                             aftercare::v1::ListCallbacksResponse* response) override;
  grpc::Status GetCallback(grpc::ServerContext* context,
                           const aftercare::v1::GetCallbackRequest* request,
                           aftercare::v1::Callback* response) override;
  grpc::Status ScheduleCallback(grpc::ServerContext* context,
                                const aftercare::v1::ScheduleCallbackRequest* request,
                                aftercare::v1::Callback* response) override;
  grpc::Status RecordCallback(grpc::ServerContext* context,
                              const aftercare::v1::RecordCallbackRequest* request,
                              aftercare::v1::Callback* response) override;
  grpc::Status RecordAttempt(grpc::ServerContext* context,
                             const aftercare::v1::RecordAttemptRequest* request,
                             aftercare::v1::Callback* response) override;
  grpc::Status AssignCallback(grpc::ServerContext* context,
                              const aftercare::v1::AssignCallbackRequest* request,
                              aftercare::v1::Callback* response) override;
  grpc::Status ReviewCallback(grpc::ServerContext* context,
                              const aftercare::v1::ReviewCallbackRequest* request,
                              aftercare::v1::Callback* response) override;
  grpc::Status WorkList(grpc::ServerContext* context, const aftercare::v1::WorkListRequest* request,
                        aftercare::v1::WorkListResponse* response) override;
  grpc::Status CallbackStats(grpc::ServerContext* context,
                             const aftercare::v1::CallbackStatsRequest* request,
                             aftercare::v1::CallbackStatsResponse* response) override;

  // Owner messages (issue 18): messages_service.cc.
  grpc::Status PutNotificationChannel(grpc::ServerContext* context,
                                      const aftercare::v1::PutNotificationChannelRequest* request,
                                      aftercare::v1::NotificationChannel* response) override;
  grpc::Status ListOwnerMessages(grpc::ServerContext* context,
                                 const aftercare::v1::ListOwnerMessagesRequest* request,
                                 aftercare::v1::ListOwnerMessagesResponse* response) override;
  grpc::Status PutNotificationPreferences(
      grpc::ServerContext* context, const aftercare::v1::PutNotificationPreferencesRequest* request,
      aftercare::v1::NotificationPreferences* response) override;
  grpc::Status GetNotificationPreferences(
      grpc::ServerContext* context, const aftercare::v1::GetNotificationPreferencesRequest* request,
      aftercare::v1::NotificationPreferences* response) override;
  // Survey campaigns (issue 20), in surveys_service.cc.
  grpc::Status StartSurveyCampaign(grpc::ServerContext* context,
                                   const aftercare::v1::StartSurveyCampaignRequest* request,
                                   aftercare::v1::SurveyCampaign* response) override;
  grpc::Status GetSurveyCampaign(grpc::ServerContext* context,
                                 const aftercare::v1::GetSurveyCampaignRequest* request,
                                 aftercare::v1::SurveyCampaign* response) override;
  grpc::Status ListSurveyCampaigns(grpc::ServerContext* context,
                                   const aftercare::v1::ListSurveyCampaignsRequest* request,
                                   aftercare::v1::ListSurveyCampaignsResponse* response) override;
  grpc::Status AnswerSurvey(grpc::ServerContext* context,
                            const aftercare::v1::AnswerSurveyRequest* request,
                            aftercare::v1::SurveyAnswer* response) override;
  grpc::Status ListOwnerSurveys(grpc::ServerContext* context,
                                const aftercare::v1::ListOwnerSurveysRequest* request,
                                aftercare::v1::ListOwnerSurveysResponse* response) override;
  grpc::Status ReceiveReceipt(grpc::ServerContext* context,
                              const aftercare::v1::ReceiveReceiptRequest* request,
                              aftercare::v1::ReceiptResponse* response) override;

  // Targets, quotas and alerts (issue 20): targets_service.cc. Without sources (tests), the
  // scorecard has callback's own KPIs only.
  void set_kpi_sources(app::KpiSources* sources) { kpi_sources_ = sources; }
  grpc::Status Scorecard(grpc::ServerContext* context,
                         const aftercare::v1::ScorecardRequest* request,
                         aftercare::v1::ScorecardResponse* response) override;
  grpc::Status ListKpiAlerts(grpc::ServerContext* context,
                             const aftercare::v1::ListKpiAlertsRequest* request,
                             aftercare::v1::ListKpiAlertsResponse* response) override;
  grpc::Status AcknowledgeKpiAlert(grpc::ServerContext* context,
                                   const aftercare::v1::AcknowledgeKpiAlertRequest* request,
                                   aftercare::v1::KpiAlert* response) override;
  grpc::Status GroupReport(grpc::ServerContext* context,
                           const aftercare::v1::GroupReportRequest* request,
                           aftercare::v1::GroupReportResponse* response) override;

 private:
  // The app's view of a call: the database, the outbox, the caller and now.
  app::Request app_request(const kit::Caller& caller) const {
    return {db_, outbox_, caller, clock_()};
  }

  kit::PgPool& db_;
  const kit::Outbox& outbox_;
  kit::Clock clock_;
  app::KpiSources* kpi_sources_ = nullptr;  // issue 20
};

}  // namespace aftercare::callback
