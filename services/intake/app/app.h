// The use cases of intake, one file per aggregate: registry.cc (projects, units, calendars,
// policies), tickets.cc (a ticket's life), attachments.cc, merge_split.cc, reports.cc (breaches,
// monthly statistics, warranty expiries, the SLA sweep) and events.cc (the event-handler table).
// Inputs arrive validated and the caller's role checked by the gRPC edge (intake_service.cc);
// what depends on stored state (the caller's scope over a ticket, a unit's project) is checked
// here. Each use case runs its own transaction and writes its events to the outbox in it.
#pragma once

#include <absl/time/civil_time.h>

#include <optional>

#include "intake/app/context.h"
#include "intake/domain/attachments.h"
#include "intake/domain/warranty_expiry.h"
#include "intake/store/intake_store.h"

namespace aftercare::intake::app {

class RegistryCache;

// ---------------------------------------------------------------------------------- registry
Status upsert_project(const Context& ctx, const v1::UpsertProjectRequest& r,
                      const std::string& zone, v1::Project* out);
Status get_project(const Context& ctx, const v1::GetProjectRequest& r, v1::Project* out);
Status upsert_unit(const Context& ctx, const v1::UpsertUnitRequest& r, v1::Unit* out);
Status get_unit(const Context& ctx, const v1::GetUnitRequest& r, v1::Unit* out);
Status list_units(const Context& ctx, const v1::ListUnitsRequest& r, int limit,
                  v1::ListUnitsResponse* out);
Status put_calendar(const Context& ctx, const v1::PutCalendarRequest& r, v1::Calendar* out);
Status get_calendar(const Context& ctx, const v1::GetCalendarRequest& r, v1::Calendar* out);
Status set_policy(const Context& ctx, const v1::SetPolicyRequest& r, v1::Policy* out);
Status get_policy(const Context& ctx, const v1::GetPolicyRequest& r, v1::Policy* out);

// ----------------------------------------------------------------------------------- tickets
// `registry`: the process's copy of the reference data (registry_cache.h).
Status open_ticket(const Context& ctx, RegistryCache& registry, const v1::OpenTicketRequest& r,
                   absl::Time reported_at, const std::string& request_hash, v1::Ticket* out);
Status get_ticket(const Context& ctx, const v1::GetTicketRequest& r, v1::Ticket* out);
Status list_tickets(const Context& ctx, const store::TicketFilter& f,
                    const std::optional<store::PageCursor>& after, int limit,
                    v1::ListTicketsResponse* out);
Status get_ticket_history(const Context& ctx, const v1::GetTicketHistoryRequest& r,
                          v1::GetTicketHistoryResponse* out);
Status record_response(const Context& ctx, const v1::RecordResponseRequest& r, absl::Time at,
                       v1::Ticket* out);
Status transition_ticket(const Context& ctx, const v1::TransitionTicketRequest& r, v1::Ticket* out);
Status resolve_ticket(const Context& ctx, const v1::ResolveTicketRequest& r, v1::Ticket* out);
Status close_ticket(const Context& ctx, const v1::CloseTicketRequest& r, v1::Ticket* out);
Status cancel_ticket(const Context& ctx, const v1::CancelTicketRequest& r, v1::Ticket* out);
Status reopen_ticket(const Context& ctx, const v1::ReopenTicketRequest& r, v1::Ticket* out);
Status extend_deadline(const Context& ctx, const v1::ExtendDeadlineRequest& r, v1::Ticket* out);
Status link_duplicate(const Context& ctx, const v1::LinkDuplicateRequest& r, v1::Ticket* out);
Status escalate_ticket(const Context& ctx, const v1::EscalateTicketRequest& r, v1::Ticket* out);

// ------------------------------------------------------------------------------- attachments
Status add_attachment(const Context& ctx, const v1::AddAttachmentRequest& r,
                      const domain::AttachmentRules& limits, v1::Attachment* out);
Status list_attachments(const Context& ctx, const v1::ListAttachmentsRequest& r,
                        v1::ListAttachmentsResponse* out);
Status get_attachment(const Context& ctx, const v1::GetAttachmentRequest& r, v1::Attachment* out);

// --------------------------------------------------------------------------- merge and split
Status merge_tickets(const Context& ctx, const v1::MergeTicketsRequest& r, v1::Ticket* out);
Status split_ticket(const Context& ctx, const v1::SplitTicketRequest& r,
                    const std::string& request_hash, v1::Ticket* out);

// ----------------------------------------------------------------------------------- reports
Status list_breached_tickets(const Context& ctx, const v1::ListBreachedTicketsRequest& r,
                             absl::Time as_of, int limit, v1::ListBreachedTicketsResponse* out);
Status monthly_stats(const Context& ctx, const v1::MonthlyStatsRequest& r,
                     const std::pair<absl::CivilDay, absl::CivilDay>& days,
                     v1::MonthlyStatsResponse* out);
// Issue 20: MonthlyStats of many projects in one pass (the same figures, each project's period
// in its own time zone), by project id. The edge checked the caller against every requested
// project; a requested project intake does not know is left out of the answer (one unknown
// project does not sink the others); none requested = every project the caller sees.
Status group_stats(const Context& ctx, const v1::GroupStatsRequest& r,
                   const std::pair<absl::CivilDay, absl::CivilDay>& days,
                   v1::GroupStatsResponse* out);
Status list_warranty_expiries(const Context& ctx, const v1::ListWarrantyExpiriesRequest& r,
                              absl::Time as_of, int within_days,
                              const std::optional<domain::ExpiryCursor>& after, int limit,
                              v1::ListWarrantyExpiriesResponse* out);
// Announces each newly breached deadline once (SlaBreached); returns how many.
int sweep_sla(kit::PgPool& db, const kit::Outbox& outbox, absl::Time now);

// -------------------------------------------------------------------------------- events
// Consumer of dispatch's and callback's events, run inside the inbox transaction: work orders
// move the ticket along; callbacks close it (satisfied) or reopen it (unsatisfied).
void apply_event(pqxx::work& tx, const kit::Outbox& outbox, absl::Time now, const v1::Event& e);

}  // namespace aftercare::intake::app
