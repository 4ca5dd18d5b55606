// gRPC handlers of the dispatch service: validate, check the caller, call the domain, persist
// through store/ with the events in the same transaction.
#pragma once

#include <atomic>
#include <chrono>
#include <stop_token>

#include "aftercare/v1/dispatch.grpc.pb.h"
#include "common/consumer.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/periodic.h"
#include "common/pg.h"
#include "dispatch/app/feed_heads.h"
#include "dispatch/app/sweeper.h"
#include "dispatch/app/workflows.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& dispatch_migrations();
}

namespace aftercare::dispatch {

// Settings of the service beyond the kit's (main.cc reads them from AFTERCARE_* variables).
struct DispatchOptions {
  // Webhook URLs on loopback, private and link-local hosts (AFTERCARE_DISPATCH_WEBHOOK_ALLOW_
  // PRIVATE_URLS=1): for local stacks and tests; off in production.
  bool webhook_allow_private_urls = false;
  // The partner feeds' heads as the listener hears them (store/feed_listener.h); without one,
  // waiting feed reads re-read every 100 ms.
  FeedHeads* feed_heads = nullptr;
};

class DispatchServiceImpl final : public aftercare::v1::DispatchService::Service {
 public:
  DispatchServiceImpl(kit::PgPool& db, const kit::Outbox& outbox, DispatchOptions options = {})
      : db_(db),
        workflows_(outbox),
        options_(options),
        feed_heads_(options.feed_heads ? *options.feed_heads : polled_feed_heads_) {}

  // The consumer's handler (intake and callback topics), inside the inbox transaction.
  void apply_event(pqxx::work& tx, const aftercare::v1::Event& event);
  // The consumer's batch handler: a fetched batch's fresh events in order (kit::BatchHandler),
  // with the effects apply_event gives them one by one.
  void apply_events(pqxx::work& tx, const std::vector<kit::FetchedEvent>& events);
  // One round of the background sweep at `now`: the late builders of each project whose
  // dispatch.sweep_interval_seconds has passed are rerouted (app/sweeper.h), due appointment
  // reminders sent, old orders' report columns filled. The round's next_round is at most
  // `longest` (AFTERCARE_DISPATCH_SWEEP_INTERVAL_S).
  app::SweepRound sweep_once(absl::Time now, std::chrono::seconds longest);
  // The sweep as a periodic worker: a round, the next one when the shortest interval in effect
  // has passed, at most `longest` apart. Failed rounds are logged and retried (the kit's worker).
  kit::PeriodicWorker::Options sweeper_options(std::chrono::seconds longest);
  kit::PeriodicWorker::Task sweeper_task(std::chrono::seconds longest);
  // The same worker until stopped (tests; the service runs it through the host).
  void run_sweeper(std::stop_token stop, std::chrono::seconds longest);

  using Status = grpc::Status;
  using Ctx = grpc::ServerContext;
  Status UpsertParty(Ctx*, const aftercare::v1::UpsertPartyRequest*,
                     aftercare::v1::Party*) override;
  Status ListParties(Ctx*, const aftercare::v1::ListPartiesRequest*,
                     aftercare::v1::ListPartiesResponse*) override;
  Status GetWorkOrder(Ctx*, const aftercare::v1::GetWorkOrderRequest*,
                      aftercare::v1::WorkOrder*) override;
  Status ListWorkOrders(Ctx*, const aftercare::v1::ListWorkOrdersRequest*,
                        aftercare::v1::ListWorkOrdersResponse*) override;
  Status CreateWorkOrder(Ctx*, const aftercare::v1::CreateWorkOrderRequest*,
                         aftercare::v1::WorkOrder*) override;
  Status AcceptWorkOrder(Ctx*, const aftercare::v1::AcceptWorkOrderRequest*,
                         aftercare::v1::WorkOrder*) override;
  Status DeclineWorkOrder(Ctx*, const aftercare::v1::DeclineWorkOrderRequest*,
                          aftercare::v1::WorkOrder*) override;
  Status ScheduleWorkOrder(Ctx*, const aftercare::v1::ScheduleWorkOrderRequest*,
                           aftercare::v1::WorkOrder*) override;
  Status StartWorkOrder(Ctx*, const aftercare::v1::StartWorkOrderRequest*,
                        aftercare::v1::WorkOrder*) override;
  Status CompleteWorkOrder(Ctx*, const aftercare::v1::CompleteWorkOrderRequest*,
                           aftercare::v1::WorkOrder*) override;
  Status SignOffWorkOrder(Ctx*, const aftercare::v1::SignOffWorkOrderRequest*,
                          aftercare::v1::WorkOrder*) override;
  Status ReassignWorkOrder(Ctx*, const aftercare::v1::ReassignWorkOrderRequest*,
                           aftercare::v1::WorkOrder*) override;
  Status CancelWorkOrder(Ctx*, const aftercare::v1::CancelWorkOrderRequest*,
                         aftercare::v1::WorkOrder*) override;
  Status ReportLate(Ctx*, const aftercare::v1::ReportLateRequest*,
                    aftercare::v1::WorkOrder*) override;
  Status RecordVerification(Ctx*, const aftercare::v1::RecordVerificationRequest*,
                            aftercare::v1::WorkOrder*) override;
  Status IssueQuote(Ctx*, const aftercare::v1::IssueQuoteRequest*,
                    aftercare::v1::WorkOrder*) override;
  Status ConfirmQuote(Ctx*, const aftercare::v1::ConfirmQuoteRequest*,
                      aftercare::v1::WorkOrder*) override;
  Status ListPartnerEvents(Ctx*, const aftercare::v1::ListPartnerEventsRequest*,
                           aftercare::v1::ListPartnerEventsResponse*) override;
  Status WatchPartnerEvents(Ctx*, const aftercare::v1::ListPartnerEventsRequest*,
                            grpc::ServerWriter<aftercare::v1::PartnerEvent>*) override;
  Status RerouteLateBuilders(Ctx*, const aftercare::v1::RerouteLateBuildersRequest*,
                             aftercare::v1::RerouteLateBuildersResponse*) override;
  Status RepairReport(Ctx*, const aftercare::v1::RepairReportRequest*,
                      aftercare::v1::RepairReportResponse*) override;
  Status GroupRepairReport(Ctx*, const aftercare::v1::GroupRepairReportRequest*,
                           aftercare::v1::GroupRepairReportResponse*) override;

  // Technicians (technician_service.cc).
  Status UpsertTechnician(Ctx*, const aftercare::v1::UpsertTechnicianRequest*,
                          aftercare::v1::Technician*) override;
  Status ListTechnicians(Ctx*, const aftercare::v1::ListTechniciansRequest*,
                         aftercare::v1::ListTechniciansResponse*) override;
  Status TechnicianSchedule(Ctx*, const aftercare::v1::TechnicianScheduleRequest*,
                            aftercare::v1::TechnicianScheduleResponse*) override;
  Status AssignTechnician(Ctx*, const aftercare::v1::AssignTechnicianRequest*,
                          aftercare::v1::WorkOrder*) override;

  // Owners without the app, issue 23 (owner_acts_service.cc).
  Status ConfirmAppointment(Ctx*, const aftercare::v1::ConfirmAppointmentRequest*,
                            aftercare::v1::WorkOrder*) override;
  Status RefuseAppointment(Ctx*, const aftercare::v1::RefuseAppointmentRequest*,
                           aftercare::v1::WorkOrder*) override;
  Status RateWorkOrder(Ctx*, const aftercare::v1::RateWorkOrderRequest*,
                       aftercare::v1::WorkOrder*) override;
  Status ApprovePlan(Ctx*, const aftercare::v1::ApprovePlanRequest*,
                     aftercare::v1::WorkOrder*) override;

  // Webhooks (webhook_service.cc); the sender is app/webhook_sender.h.
  Status UpsertWebhook(Ctx*, const aftercare::v1::UpsertWebhookRequest*,
                       aftercare::v1::Webhook*) override;
  Status GetWebhook(Ctx*, const aftercare::v1::GetWebhookRequest*,
                    aftercare::v1::Webhook*) override;
  Status ListWebhookDeliveries(Ctx*, const aftercare::v1::ListWebhookDeliveriesRequest*,
                               aftercare::v1::ListWebhookDeliveriesResponse*) override;
  Status RedeliverWebhook(Ctx*, const aftercare::v1::RedeliverWebhookRequest*,
                          aftercare::v1::WebhookDelivery*) override;

 private:
  kit::PgPool& db_;
  Workflows workflows_;
  DispatchOptions options_;
  // Waits until the party's feed moves past `seen`, until `until` or until the caller goes away;
  // true: read the feed again.
  bool wait_for_feed(grpc::ServerContext& context, const std::string& party, FeedHeads::Seen& seen,
                     std::chrono::steady_clock::time_point until);
  FeedHeads polled_feed_heads_;  // never listening: the 100-ms re-read
  FeedHeads& feed_heads_;
  std::atomic<std::chrono::milliseconds> next_sweep_{std::chrono::seconds(30)};  // last round's
};

}  // namespace aftercare::dispatch
