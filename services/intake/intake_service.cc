#include "intake/intake_service.h"

#include "common/policy_defaults.h"
#include "common/refusal.h"
#include "common/time.h"
#include "intake/access.h"
#include "intake/app/app.h"
#include "intake/app/handover.h"
#include "intake/domain/attachments.h"
#include "intake/domain/dates.h"
#include "intake/domain/report_period.h"
#include "intake/domain/validation.h"
#include "intake/domain/warranty_expiry.h"

namespace aftercare::intake {
namespace {

using app::bad;
using app::denied;
using app::not_found;
using app::page_size;
using grpc::Status;
using grpc::StatusCode;
using kit::from_timestamp;
using kit::guarded;

constexpr int kMaxGroupProjects = 5000;  // projects per GroupStats (issue 20)

Status require_reason(const std::string& reason, const char* field) {
  if (auto e = domain::check_text(reason, field, 1000); !e.empty()) return bad(e);
  return Status::OK;
}

}  // namespace

IntakeServiceImpl::IntakeServiceImpl(kit::PgPool& db, const kit::Outbox& outbox, Clock clock)
    : db_(db), outbox_(outbox), clock_(std::move(clock)) {}

// ---------------------------------------------------------------------------------- registry

Status IntakeServiceImpl::UpsertProject(grpc::ServerContext* context,
                                        const v1::UpsertProjectRequest* r, v1::Project* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_text(r->name(), "name", 200); !e.empty()) return bad(e);
  std::string zone = r->timezone().empty() ? app::kDefaultTimeZone : r->timezone();
  if (auto e = domain::check_time_zone(zone); !e.empty()) return bad(e);
  if (!has_role(call.caller, kRegistryWriters)) return denied("only admins change the registry");
  if (!call.caller.sees_project(r->project_id())) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("UpsertProject", [&] { return app::upsert_project(ctx, *r, zone, out); });
}

Status IntakeServiceImpl::GetProject(grpc::ServerContext* context, const v1::GetProjectRequest* r,
                                     v1::Project* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id()) && !call.caller.sees_project(r->project_id()))
    return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetProject", [&] { return app::get_project(ctx, *r, out); });
}

Status IntakeServiceImpl::UpsertUnit(grpc::ServerContext* context, const v1::UpsertUnitRequest* r,
                                     v1::Unit* out) {
  auto call = kit::begin_call(*context);
  for (auto [value, field] : {std::pair{&r->project_id(), "project_id"},
                              {&r->unit_id(), "unit_id"},
                              {&r->owner_id(), "owner_id"}})
    if (auto e = domain::check_id(*value, field); !e.empty()) return bad(e);
  if (auto e = domain::check_text(r->building(), "building", 64); !e.empty()) return bad(e);
  if (auto e = domain::check_text(r->room(), "room", 64); !e.empty()) return bad(e);
  if (auto e = domain::check_area_centi_m2(r->area_centi_m2(), "area_m2"); !e.empty())
    return bad(e);
  if (auto e = domain::check_text(r->owner_name(), "owner_name", 100); !e.empty()) return bad(e);
  if (auto e = domain::check_phone(r->owner_phone()); !e.empty()) return bad(e);
  if (!r->has_handover_date()) return kit::invalid_field("handover_date", "is required");
  if (auto e = domain::check_date(r->handover_date(), "handover_date"); !e.empty()) return bad(e);
  if (!has_role(call.caller, kRegistryWriters)) return denied("only admins change the registry");
  if (!call.caller.sees_project(r->project_id())) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("UpsertUnit", [&] { return app::upsert_unit(ctx, *r, out); });
}

Status IntakeServiceImpl::GetUnit(grpc::ServerContext* context, const v1::GetUnitRequest* r,
                                  v1::Unit* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetUnit", [&] { return app::get_unit(ctx, *r, out); });
}

Status IntakeServiceImpl::ListUnits(grpc::ServerContext* context, const v1::ListUnitsRequest* r,
                                    v1::ListUnitsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  int limit = page_size(r->page_size());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListUnits", [&] { return app::list_units(ctx, *r, limit, out); });
}

Status IntakeServiceImpl::PutCalendar(grpc::ServerContext* context, const v1::PutCalendarRequest* r,
                                      v1::Calendar* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  std::vector<absl::CivilDay> holidays, workdays;
  for (int i = 0; i < r->holidays_size(); ++i) {
    if (auto e = domain::check_date(r->holidays(i), "holidays[" + std::to_string(i) + "]");
        !e.empty())
      return bad(e);
    holidays.push_back(domain::to_civil_day(r->holidays(i)));
  }
  for (int i = 0; i < r->workdays_size(); ++i) {
    if (auto e = domain::check_date(r->workdays(i), "workdays[" + std::to_string(i) + "]");
        !e.empty())
      return bad(e);
    workdays.push_back(domain::to_civil_day(r->workdays(i)));
  }
  if (auto e = domain::check_year_lists(r->year(), holidays, workdays); !e.empty()) return bad(e);
  if (!has_role(call.caller, kRegistryWriters)) return denied("only admins change the registry");
  if (!call.caller.sees_project(r->project_id())) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("PutCalendar", [&] { return app::put_calendar(ctx, *r, out); });
}

Status IntakeServiceImpl::GetCalendar(grpc::ServerContext* context, const v1::GetCalendarRequest* r,
                                      v1::Calendar* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetCalendar", [&] { return app::get_calendar(ctx, *r, out); });
}

Status IntakeServiceImpl::SetPolicy(grpc::ServerContext* context, const v1::SetPolicyRequest* r,
                                    v1::Policy* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  domain::IntakePolicy check = domain::IntakePolicy::defaults();
  if (auto e = check.apply_overrides(r->policy()); !e.empty()) return bad("policy." + e);
  if (auto e = kit::check_platform_overrides(r->policy()); !e.empty()) return bad("policy." + e);
  if (auto e = kit::check_targets(r->policy().targets()); !e.empty()) return bad("policy." + e);
  if (!has_role(call.caller, kRegistryWriters)) return denied("only admins change policies");
  if (!call.caller.sees_project(r->project_id())) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("SetPolicy", [&] { return app::set_policy(ctx, *r, out); });
}

Status IntakeServiceImpl::GetPolicy(grpc::ServerContext* context, const v1::GetPolicyRequest* r,
                                    v1::Policy* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetPolicy", [&] { return app::get_policy(ctx, *r, out); });
}

// ----------------------------------------------------------------------------------- tickets

Status IntakeServiceImpl::OpenTicket(grpc::ServerContext* context, const v1::OpenTicketRequest* r,
                                     v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->kind(), "kind"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->category(), "category"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->component(), "component"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->urgency(), "urgency"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->channel(), "channel"); !e.empty()) return bad(e);
  if (auto e = domain::check_description(r->description()); !e.empty()) return bad(e);
  if (r->repair_area() != v1::REPAIR_AREA_UNSPECIFIED)
    if (auto e = domain::check_enum(r->repair_area(), "repair_area"); !e.empty()) return bad(e);
  if (r->idempotency_key().size() > 128)
    return kit::invalid_field("idempotency_key", "at most 128 characters");
  if (caller.is(kit::Role::owner)) {
    if (r->has_reported_at()) return kit::invalid_field("reported_at", "only agents may set it");
    if (!caller.owns_unit(r->unit_id())) return not_found("unit " + r->unit_id());
  } else if (!has_role(caller, kTicketEditors)) {
    return denied("only owners and agents open tickets");
  } else if (!staff_sees(caller, r->project_id())) {
    return not_found("project " + r->project_id());
  }
  absl::Time now = clock_();
  absl::Time reported_at = r->has_reported_at() ? from_timestamp(r->reported_at()) : now;
  v1::OpenTicketRequest fingerprint = *r;
  fingerprint.clear_idempotency_key();
  std::string request_hash = app::fnv1a_hex(fingerprint.SerializeAsString());

  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("OpenTicket", [&] {
    return app::open_ticket(ctx, registry_, *r, reported_at, request_hash, out);
  });
}

Status IntakeServiceImpl::GetTicket(grpc::ServerContext* context, const v1::GetTicketRequest* r,
                                    v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetTicket", [&] { return app::get_ticket(ctx, *r, out); });
}

Status IntakeServiceImpl::ListTickets(grpc::ServerContext* context, const v1::ListTicketsRequest* r,
                                      v1::ListTicketsResponse* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  store::TicketFilter f;
  f.project_id = r->project_id();
  f.unit_id = r->unit_id();
  if (!f.project_id.empty())
    if (auto e = domain::check_id(f.project_id, "project_id"); !e.empty()) return bad(e);
  if (!f.unit_id.empty())
    if (auto e = domain::check_id(f.unit_id, "unit_id"); !e.empty()) return bad(e);
  if (r->status() != v1::TICKET_STATUS_UNSPECIFIED)
    if (auto e = domain::check_enum(r->status(), "status"); !e.empty()) return bad(e);
  if (r->kind() != v1::TICKET_KIND_UNSPECIFIED)
    if (auto e = domain::check_enum(r->kind(), "kind"); !e.empty()) return bad(e);
  if (r->category() != v1::TICKET_CATEGORY_UNSPECIFIED)
    if (auto e = domain::check_enum(r->category(), "category"); !e.empty()) return bad(e);
  f.status = r->status();
  f.kind = r->kind();
  f.category = r->category();
  f.owner_agent = r->owner_agent();
  f.min_escalation_level = r->min_escalation_level();
  if (r->has_reported_from())
    f.reported_from_us = kit::to_micros(from_timestamp(r->reported_from()));
  if (r->has_reported_to()) f.reported_to_us = kit::to_micros(from_timestamp(r->reported_to()));
  if (caller.is(kit::Role::owner)) {
    // Owners list only their own units' tickets; naming another's unit is asking about an object
    // outside their scope (404, as GetTicket answers).
    if (!f.unit_id.empty() && !caller.owns_unit(f.unit_id)) return not_found("unit " + f.unit_id);
    f.unit_ids = caller.units;
    if (f.unit_ids.empty()) return Status::OK;
  } else if (!kStaff.contains(caller.role)) {
    return denied("tickets are listed by owners and staff");
  } else if (f.project_id.empty()) {
    bool everywhere = caller.is(kit::Role::service) || caller.sees_project("*");
    if (!everywhere) return kit::invalid_field("project_id", "is required");
  } else if (!staff_sees(caller, f.project_id)) {
    return not_found("project " + f.project_id);
  }
  std::optional<store::PageCursor> after;
  if (!r->page_token().empty()) {
    auto colon = r->page_token().find(':');
    try {
      if (colon == std::string::npos) throw std::invalid_argument("no colon");
      after = store::PageCursor{std::stoll(r->page_token().substr(0, colon)),
                                r->page_token().substr(colon + 1)};
    } catch (const std::exception&) {
      return kit::invalid_field("page_token", "is not a token from a previous page");
    }
    if (auto e = domain::check_uuid(after->ticket_id, "page_token"); !e.empty()) return bad(e);
  }
  int limit = page_size(r->page_size());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListTickets", [&] { return app::list_tickets(ctx, f, after, limit, out); });
}

Status IntakeServiceImpl::GetTicketHistory(grpc::ServerContext* context,
                                           const v1::GetTicketHistoryRequest* r,
                                           v1::GetTicketHistoryResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetTicketHistory", [&] { return app::get_ticket_history(ctx, *r, out); });
}

Status IntakeServiceImpl::RecordResponse(grpc::ServerContext* context,
                                         const v1::RecordResponseRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->message(), "message"); !s.ok()) return s;
  absl::Time now = clock_();
  absl::Time at = r->has_responded_at() ? from_timestamp(r->responded_at()) : now;
  if (at > now + absl::Minutes(2)) return kit::invalid_field("responded_at", "is in the future");
  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("RecordResponse", [&] { return app::record_response(ctx, *r, at, out); });
}

Status IntakeServiceImpl::TransitionTicket(grpc::ServerContext* context,
                                           const v1::TransitionTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_enum(r->to_status(), "to_status"); !e.empty()) return bad(e);
  if (r->reason().size() > 4000) return kit::invalid_field("reason", "too long");
  switch (r->to_status()) {
    // These have their own RPCs because they carry more than a status change.
    case v1::TICKET_STATUS_RESOLVED:
    case v1::TICKET_STATUS_CLOSED:
    case v1::TICKET_STATUS_REOPENED:
    case v1::TICKET_STATUS_CANCELLED:
      return kit::invalid_field("to_status",
                                "use ResolveTicket, CloseTicket, ReopenTicket or CancelTicket");
    default:
      break;
  }
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("TransitionTicket", [&] { return app::transition_ticket(ctx, *r, out); });
}

Status IntakeServiceImpl::ResolveTicket(grpc::ServerContext* context,
                                        const v1::ResolveTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->resolution(), "resolution"); !s.ok()) return s;
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ResolveTicket", [&] { return app::resolve_ticket(ctx, *r, out); });
}

Status IntakeServiceImpl::CloseTicket(grpc::ServerContext* context, const v1::CloseTicketRequest* r,
                                      v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (r->note().size() > 4000) return kit::invalid_field("note", "too long");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("CloseTicket", [&] { return app::close_ticket(ctx, *r, out); });
}

Status IntakeServiceImpl::CancelTicket(grpc::ServerContext* context,
                                       const v1::CancelTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("CancelTicket", [&] { return app::cancel_ticket(ctx, *r, out); });
}

Status IntakeServiceImpl::ReopenTicket(grpc::ServerContext* context,
                                       const v1::ReopenTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  absl::Time now = clock_();
  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("ReopenTicket", [&] { return app::reopen_ticket(ctx, *r, out); });
}

Status IntakeServiceImpl::ExtendDeadline(grpc::ServerContext* context,
                                         const v1::ExtendDeadlineRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  if (!r->has_new_resolve_due()) return kit::invalid_field("new_resolve_due", "is required");
  if (!r->has_notice_sent_at())
    return kit::invalid_field("notice_sent_at", "the owner must be told in advance");
  if (r->notice_channel() != v1::CHANNEL_UNSPECIFIED)
    if (auto e = domain::check_enum(r->notice_channel(), "notice_channel"); !e.empty())
      return bad(e);
  absl::Time now = clock_();
  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("ExtendDeadline", [&] { return app::extend_deadline(ctx, *r, out); });
}

Status IntakeServiceImpl::LinkDuplicate(grpc::ServerContext* context,
                                        const v1::LinkDuplicateRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->duplicate_of(), "duplicate_of"); !e.empty()) return bad(e);
  if (r->duplicate_of() == r->ticket_id())
    return kit::invalid_field("duplicate_of", "is the ticket itself");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("LinkDuplicate", [&] { return app::link_duplicate(ctx, *r, out); });
}

Status IntakeServiceImpl::EscalateTicket(grpc::ServerContext* context,
                                         const v1::EscalateTicketRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  if (r->level() < 1 || r->level() > 2) return kit::invalid_field("level", "must be 1 or 2");
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  if (r->fault_party() != v1::FAULT_PARTY_UNSPECIFIED) {
    if (auto e = domain::check_enum(r->fault_party(), "fault_party"); !e.empty()) return bad(e);
    if (auto e = domain::check_id(r->fault_party_id(), "fault_party_id"); !e.empty()) return bad(e);
  }
  if (r->fine_fen() > 0 && r->fault_party() == v1::FAULT_PARTY_UNSPECIFIED)
    return kit::invalid_field("fault_party", "a fine needs the party at fault");
  absl::Time now = clock_();
  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("EscalateTicket", [&] { return app::escalate_ticket(ctx, *r, out); });
}

Status IntakeServiceImpl::ListBreachedTickets(grpc::ServerContext* context,
                                              const v1::ListBreachedTicketsRequest* r,
                                              v1::ListBreachedTicketsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  absl::Time as_of = r->has_as_of() ? from_timestamp(r->as_of()) : clock_();
  int limit = page_size(r->page_size());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListBreachedTickets",
                 [&] { return app::list_breached_tickets(ctx, *r, as_of, limit, out); });
}

Status IntakeServiceImpl::MonthlyStats(grpc::ServerContext* context,
                                       const v1::MonthlyStatsRequest* r,
                                       v1::MonthlyStatsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  std::string error;
  auto days = domain::period_days(r->period(), &error);
  if (!days) return bad(error);
  if (!sees_project_stats(call.caller, r->project_id()))
    return not_found("project " + r->project_id());
  absl::Time now = clock_();
  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("MonthlyStats", [&] { return app::monthly_stats(ctx, *r, *days, out); });
}

// Issue 20: MonthlyStats of many projects (callback's group view); the same roles, and every
// requested project one the caller reads (else NOT_FOUND, as MonthlyStats).
Status IntakeServiceImpl::GroupStats(grpc::ServerContext* context, const v1::GroupStatsRequest* r,
                                     v1::GroupStatsResponse* out) {
  auto call = kit::begin_call(*context);
  std::string error;
  auto days = domain::period_days(r->period(), &error);
  if (!days) return bad(error);
  if (r->project_ids_size() > kMaxGroupProjects)
    return bad("project_ids at most " + std::to_string(kMaxGroupProjects) + " projects");
  if (!call.caller.is(kit::Role::hq) && !kStaff.contains(call.caller.role))
    return {grpc::StatusCode::PERMISSION_DENIED, "ticket KPIs are for staff and hq"};
  for (const std::string& id : r->project_ids()) {
    if (auto e = domain::check_id(id, "project_ids"); !e.empty()) return bad(e);
    if (!sees_project_stats(call.caller, id)) return not_found("project " + id);
  }
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GroupStats", [&] { return app::group_stats(ctx, *r, *days, out); });
}

// ------------------------------------------------------------------------------- attachments

Status IntakeServiceImpl::AddAttachment(grpc::ServerContext* context,
                                        const v1::AddAttachmentRequest* r, v1::Attachment* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  const domain::AttachmentRules limits = domain::AttachmentRules::defaults();
  if (auto e = domain::check_attachment(r->kind(), r->filename(), r->content_type(), r->content(),
                                        r->note(), limits);
      !e.empty())
    return bad(e);
  if (!caller.is(kit::Role::owner) && !has_role(caller, kAttachmentStaff))
    return denied("only owners and agents, supervisors, admins or dispatchers add attachments");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("AddAttachment", [&] { return app::add_attachment(ctx, *r, limits, out); });
}

Status IntakeServiceImpl::ListAttachments(grpc::ServerContext* context,
                                          const v1::ListAttachmentsRequest* r,
                                          v1::ListAttachmentsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListAttachments", [&] { return app::list_attachments(ctx, *r, out); });
}

Status IntakeServiceImpl::GetAttachment(grpc::ServerContext* context,
                                        const v1::GetAttachmentRequest* r, v1::Attachment* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_uuid(r->attachment_id(), "attachment_id"); !e.empty())
    return not_found("attachment " + r->attachment_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetAttachment", [&] {
    // An inspection's photo (issue 19) lives beside the tickets' attachments.
    if (auto s = app::get_inspection_attachment(ctx, r->attachment_id(), out)) return *s;
    return app::get_attachment(ctx, *r, out);
  });
}

// --------------------------------------------------------------------------- merge and split

Status IntakeServiceImpl::MergeTickets(grpc::ServerContext* context,
                                       const v1::MergeTicketsRequest* r, v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (auto e = domain::check_uuid(r->source_ticket_id(), "source_ticket_id"); !e.empty())
    return bad(e);
  if (r->source_ticket_id() == r->ticket_id())
    return kit::invalid_field("source_ticket_id", "is the ticket itself");
  if (Status s = require_reason(r->reason(), "reason"); !s.ok()) return s;
  if (!has_role(caller, kMergers)) return denied("only agents and supervisors merge tickets");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("MergeTickets", [&] { return app::merge_tickets(ctx, *r, out); });
}

Status IntakeServiceImpl::SplitTicket(grpc::ServerContext* context, const v1::SplitTicketRequest* r,
                                      v1::Ticket* out) {
  auto call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (auto e = domain::check_uuid(r->ticket_id(), "ticket_id"); !e.empty())
    return not_found("ticket " + r->ticket_id());
  if (auto e = domain::check_enum(r->category(), "category"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->component(), "component"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->kind(), "kind"); !e.empty()) return bad(e);
  if (auto e = domain::check_description(r->description()); !e.empty()) return bad(e);
  if (r->urgency() != v1::URGENCY_UNSPECIFIED)
    if (auto e = domain::check_enum(r->urgency(), "urgency"); !e.empty()) return bad(e);
  if (r->repair_area() != v1::REPAIR_AREA_UNSPECIFIED)
    if (auto e = domain::check_enum(r->repair_area(), "repair_area"); !e.empty()) return bad(e);
  if (r->idempotency_key().size() > 128)
    return kit::invalid_field("idempotency_key", "at most 128 characters");
  if (!has_role(caller, kMergers)) return denied("only agents and supervisors split tickets");
  absl::Time now = clock_();
  v1::SplitTicketRequest fingerprint = *r;
  fingerprint.clear_idempotency_key();
  // Prefixed so a key reused between OpenTicket and SplitTicket is a conflict, not a match.
  std::string request_hash = app::fnv1a_hex("split:" + fingerprint.SerializeAsString());

  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("SplitTicket", [&] { return app::split_ticket(ctx, *r, request_hash, out); });
}

// ------------------------------------------------------------------ warranty-expiry outreach

Status IntakeServiceImpl::ListWarrantyExpiries(grpc::ServerContext* context,
                                               const v1::ListWarrantyExpiriesRequest* r,
                                               v1::ListWarrantyExpiriesResponse* out) {
  auto call = kit::begin_call(*context);
  const domain::ExpiryRules expiry_rules = domain::ExpiryRules::defaults();
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_within_days(r->within_days(), expiry_rules); !e.empty()) return bad(e);
  std::optional<domain::ExpiryCursor> after;
  if (!r->page_token().empty()) {
    after = domain::parse_cursor(r->page_token());
    if (!after) return kit::invalid_field("page_token", "is not a token from a previous page");
  }
  if (!kStaff.contains(call.caller.role))
    return denied("warranty expiries are listed by staff and services");
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  absl::Time as_of = r->has_as_of() ? from_timestamp(r->as_of()) : clock_();
  int within_days = domain::effective_within_days(r->within_days(), expiry_rules);
  int limit = page_size(r->page_size());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListWarrantyExpiries", [&] {
    return app::list_warranty_expiries(ctx, *r, as_of, within_days, after, limit, out);
  });
}

// ---------------------------------------------------------------------- events and sweeper

void IntakeServiceImpl::apply_event(pqxx::work& tx, const v1::Event& e) {
  app::apply_event(tx, outbox_, clock_(), e);
}

int IntakeServiceImpl::sweep_sla(absl::Time now) {
  return app::sweep_sla(db_, outbox_, now);
}

}  // namespace aftercare::intake
