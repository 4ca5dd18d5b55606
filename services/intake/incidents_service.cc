// gRPC edge of incidents and announcements (issue 23): shape checks, then the use cases of
// app/incidents.h (which check roles and scope against stored state).
#include "common/refusal.h"
#include "common/time.h"
#include "intake/access.h"
#include "intake/app/incidents.h"
#include "intake/domain/validation.h"
#include "intake/intake_service.h"

namespace aftercare::intake {
namespace {

using app::bad;
using app::not_found;
using grpc::Status;
using kit::guarded;

// "<created_us>:<uuid>" from a previous page.
std::optional<Status> parse_token(const std::string& token,
                                  std::optional<store::IncidentCursor>* out) {
  if (token.empty()) return std::nullopt;
  auto colon = token.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    *out = store::IncidentCursor{std::stoll(token.substr(0, colon)), token.substr(colon + 1)};
  } catch (const std::exception&) {
    return kit::invalid_field("page_token", "is not a token from a previous page");
  }
  if (!domain::check_uuid((*out)->incident_id, "page_token").empty())
    return kit::invalid_field("page_token", "is not a token from a previous page");
  return std::nullopt;
}

bool may_read(const kit::Caller& c) {
  return c.is(kit::Role::owner) || kStaff.contains(c.role);
}

}  // namespace

Status IntakeServiceImpl::OpenIncident(grpc::ServerContext* context,
                                       const v1::OpenIncidentRequest* r, v1::Incident* out) {
  auto call = kit::begin_call(*context);
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("OpenIncident", [&] { return app::open_incident(ctx, *r, out); });
}

Status IntakeServiceImpl::GetIncident(grpc::ServerContext* context, const v1::GetIncidentRequest* r,
                                      v1::Incident* out) {
  auto call = kit::begin_call(*context);
  if (!may_read(call.caller)) return not_found("incident " + r->incident_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetIncident", [&] { return app::get_incident(ctx, *r, out); });
}

Status IntakeServiceImpl::ListIncidents(grpc::ServerContext* context,
                                        const v1::ListIncidentsRequest* r,
                                        v1::ListIncidentsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (r->status() != v1::INCIDENT_STATUS_UNSPECIFIED)
    if (auto e = domain::check_enum(r->status(), "status"); !e.empty()) return bad(e);
  std::optional<store::IncidentCursor> before;
  if (auto refused = parse_token(r->page_token(), &before)) return *refused;
  if (!may_read(call.caller)) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListIncidents", [&] {
    return app::list_incidents(ctx, *r, before, app::page_size(r->page_size()), out);
  });
}

Status IntakeServiceImpl::ResolveIncident(grpc::ServerContext* context,
                                          const v1::ResolveIncidentRequest* r, v1::Incident* out) {
  auto call = kit::begin_call(*context);
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ResolveIncident", [&] { return app::resolve_incident(ctx, *r, out); });
}

Status IntakeServiceImpl::ConfirmIncident(grpc::ServerContext* context,
                                          const v1::ConfirmIncidentRequest* r, v1::Incident* out) {
  auto call = kit::begin_call(*context);
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ConfirmIncident", [&] { return app::confirm_incident(ctx, *r, out); });
}

Status IntakeServiceImpl::DismissIncident(grpc::ServerContext* context,
                                          const v1::DismissIncidentRequest* r, v1::Incident* out) {
  auto call = kit::begin_call(*context);
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("DismissIncident", [&] { return app::dismiss_incident(ctx, *r, out); });
}

Status IntakeServiceImpl::PostAnnouncement(grpc::ServerContext* context,
                                           const v1::PostAnnouncementRequest* r,
                                           v1::Announcement* out) {
  auto call = kit::begin_call(*context);
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("PostAnnouncement", [&] { return app::post_announcement(ctx, *r, out); });
}

Status IntakeServiceImpl::ListAnnouncements(grpc::ServerContext* context,
                                            const v1::ListAnnouncementsRequest* r,
                                            v1::ListAnnouncementsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  std::optional<store::IncidentCursor> before;
  if (auto refused = parse_token(r->page_token(), &before)) return *refused;
  if (!may_read(call.caller)) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListAnnouncements", [&] {
    return app::list_announcements(ctx, *r, before, app::page_size(r->page_size()), out);
  });
}

int IntakeServiceImpl::sweep_announcements(absl::Time now) {
  return app::sweep_announcements(db_, outbox_, now);
}

}  // namespace aftercare::intake
