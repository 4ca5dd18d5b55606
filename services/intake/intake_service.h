// gRPC handlers of the intake service: the property registry and the tickets. Handlers
// validate, call the pure rules in domain/, persist through store/ and write their events to the
// outbox in the same transaction. apply_event() is the consumer of dispatch's and callback's
// events; sweep_sla() is the SLA sweeper.
#pragma once

#include <absl/time/time.h>

#include <functional>

#include "aftercare/v1/events.pb.h"
#include "aftercare/v1/intake.grpc.pb.h"
#include "common/call.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pg.h"
#include "intake/app/registry_cache.h"
#include "intake/domain/policy.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& intake_migrations();
}

namespace aftercare::intake {

using Clock = std::function<absl::Time()>;

class IntakeServiceImpl final : public v1::IntakeService::Service {
 public:
  IntakeServiceImpl(
      kit::PgPool& db, const kit::Outbox& outbox, Clock clock = [] { return absl::Now(); });

  grpc::Status UpsertProject(grpc::ServerContext*, const v1::UpsertProjectRequest*,
                             v1::Project*) override;
  grpc::Status GetProject(grpc::ServerContext*, const v1::GetProjectRequest*,
                          v1::Project*) override;
  grpc::Status UpsertUnit(grpc::ServerContext*, const v1::UpsertUnitRequest*, v1::Unit*) override;
  grpc::Status GetUnit(grpc::ServerContext*, const v1::GetUnitRequest*, v1::Unit*) override;
  grpc::Status ListUnits(grpc::ServerContext*, const v1::ListUnitsRequest*,
                         v1::ListUnitsResponse*) override;
  grpc::Status PutCalendar(grpc::ServerContext*, const v1::PutCalendarRequest*,
                           v1::Calendar*) override;
  grpc::Status GetCalendar(grpc::ServerContext*, const v1::GetCalendarRequest*,
                           v1::Calendar*) override;
  grpc::Status SetPolicy(grpc::ServerContext*, const v1::SetPolicyRequest*, v1::Policy*) override;
  grpc::Status GetPolicy(grpc::ServerContext*, const v1::GetPolicyRequest*, v1::Policy*) override;
  grpc::Status OpenTicket(grpc::ServerContext*, const v1::OpenTicketRequest*, v1::Ticket*) override;
  grpc::Status GetTicket(grpc::ServerContext*, const v1::GetTicketRequest*, v1::Ticket*) override;
  grpc::Status ListTickets(grpc::ServerContext*, const v1::ListTicketsRequest*,
                           v1::ListTicketsResponse*) override;
  grpc::Status GetTicketHistory(grpc::ServerContext*, const v1::GetTicketHistoryRequest*,
                                v1::GetTicketHistoryResponse*) override;
  grpc::Status RecordResponse(grpc::ServerContext*, const v1::RecordResponseRequest*,
                              v1::Ticket*) override;
  grpc::Status TransitionTicket(grpc::ServerContext*, const v1::TransitionTicketRequest*,
                                v1::Ticket*) override;
  grpc::Status ResolveTicket(grpc::ServerContext*, const v1::ResolveTicketRequest*,
                             v1::Ticket*) override;
  grpc::Status CloseTicket(grpc::ServerContext*, const v1::CloseTicketRequest*,
                           v1::Ticket*) override;
  grpc::Status CancelTicket(grpc::ServerContext*, const v1::CancelTicketRequest*,
                            v1::Ticket*) override;
  grpc::Status ReopenTicket(grpc::ServerContext*, const v1::ReopenTicketRequest*,
                            v1::Ticket*) override;
  grpc::Status ExtendDeadline(grpc::ServerContext*, const v1::ExtendDeadlineRequest*,
                              v1::Ticket*) override;
  grpc::Status LinkDuplicate(grpc::ServerContext*, const v1::LinkDuplicateRequest*,
                             v1::Ticket*) override;
  grpc::Status EscalateTicket(grpc::ServerContext*, const v1::EscalateTicketRequest*,
                              v1::Ticket*) override;
  grpc::Status ListBreachedTickets(grpc::ServerContext*, const v1::ListBreachedTicketsRequest*,
                                   v1::ListBreachedTicketsResponse*) override;
  grpc::Status MonthlyStats(grpc::ServerContext*, const v1::MonthlyStatsRequest*,
                            v1::MonthlyStatsResponse*) override;
  grpc::Status GroupStats(grpc::ServerContext*, const v1::GroupStatsRequest*,
                          v1::GroupStatsResponse*) override;
  grpc::Status AddAttachment(grpc::ServerContext*, const v1::AddAttachmentRequest*,
                             v1::Attachment*) override;
  grpc::Status ListAttachments(grpc::ServerContext*, const v1::ListAttachmentsRequest*,
                               v1::ListAttachmentsResponse*) override;
  grpc::Status GetAttachment(grpc::ServerContext*, const v1::GetAttachmentRequest*,
                             v1::Attachment*) override;
  grpc::Status MergeTickets(grpc::ServerContext*, const v1::MergeTicketsRequest*,
                            v1::Ticket*) override;
  grpc::Status SplitTicket(grpc::ServerContext*, const v1::SplitTicketRequest*,
                           v1::Ticket*) override;
  grpc::Status ListWarrantyExpiries(grpc::ServerContext*, const v1::ListWarrantyExpiriesRequest*,
                                    v1::ListWarrantyExpiriesResponse*) override;

  // Incidents and announcements (issue 23): incidents_service.cc.
  grpc::Status OpenIncident(grpc::ServerContext*, const v1::OpenIncidentRequest*,
                            v1::Incident*) override;
  grpc::Status GetIncident(grpc::ServerContext*, const v1::GetIncidentRequest*,
                           v1::Incident*) override;
  grpc::Status ListIncidents(grpc::ServerContext*, const v1::ListIncidentsRequest*,
                             v1::ListIncidentsResponse*) override;
  grpc::Status ResolveIncident(grpc::ServerContext*, const v1::ResolveIncidentRequest*,
                               v1::Incident*) override;
  grpc::Status ConfirmIncident(grpc::ServerContext*, const v1::ConfirmIncidentRequest*,
                               v1::Incident*) override;
  grpc::Status DismissIncident(grpc::ServerContext*, const v1::DismissIncidentRequest*,
                               v1::Incident*) override;
  grpc::Status PostAnnouncement(grpc::ServerContext*, const v1::PostAnnouncementRequest*,
                                v1::Announcement*) override;
  grpc::Status ListAnnouncements(grpc::ServerContext*, const v1::ListAnnouncementsRequest*,
                                 v1::ListAnnouncementsResponse*) override;
  // Sends the scheduled announcements due by `now`; returns how many.
  int sweep_announcements(absl::Time now);

  // Consumer of dispatch's and callback's events, run inside the inbox transaction: work orders
  // move the ticket along; callbacks close it (satisfied) or reopen it (unsatisfied).
  void apply_event(pqxx::work& tx, const v1::Event& event);
  // Announces each newly breached deadline once (SlaBreached); returns how many.
  int sweep_sla(absl::Time now);

 private:
  kit::PgPool& db_;
  const kit::Outbox& outbox_;
  Clock clock_;
  app::RegistryCache registry_;  // reference data of reports (issue 21)
};

}  // namespace aftercare::intake
