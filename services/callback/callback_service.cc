#include "callback/callback_service.h"
#include "callback/access.h"

#include <spdlog/spdlog.h>

#include "absl/strings/escaping.h"
#include "callback/app/callbacks.h"
#include "callback/domain/dates.h"
#include "callback/domain/events.h"
#include "callback/domain/names.h"
#include "callback/domain/recording.h"
#include "callback/domain/stats.h"
#include "callback/domain/validation.h"
#include "callback/store/callback_store.h"
#include "common/field_error.h"
#include "common/refusal.h"

namespace aftercare::callback {
namespace {

namespace v1 = aftercare::v1;

// Input bounds (not business rules): how far a manual due date or a requested retry may lie.
constexpr absl::Duration kMaxScheduleAhead = absl::Hours(24 * 400);
constexpr absl::Duration kMaxSchedulePast = absl::Hours(24);
constexpr absl::Duration kMaxRetryAhead = absl::Hours(24 * 30);
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
constexpr size_t kMaxNoteChars = 500;
constexpr size_t kMaxReviewNoteChars = 2000;
constexpr size_t kMaxIdempotencyKeyChars = 128;
// Timestamps accepted as input: 2000-01-01 .. 9999-12-31.
constexpr int64_t kMinSeconds = 946684800;
constexpr int64_t kMaxSeconds = 253402300799;

using kit::guarded;

grpc::Status wrong_role(const std::string& what) {
  return {grpc::StatusCode::PERMISSION_DENIED, what};
}

constexpr const char* kNotStaff = "callbacks are for agents, supervisors and admins";

// The edge every call on one callback shares: may the caller (else PERMISSION_DENIED `denied`),
// is callback_id one, what else is wrong with the input (a check's message or ""), then the use
// case, whose refusals guarded() maps.
template <typename UseCase>
grpc::Status on_callback(const char* rpc, bool allowed, const char* denied,
                         const std::string& callback_id, const std::string& input_error,
                         v1::Callback* response, UseCase&& use_case) {
  if (!allowed) return wrong_role(denied);
  if (auto e = domain::check_uuid(callback_id, "callback_id"); !e.empty())
    return kit::invalid_from_check(e);
  if (!input_error.empty()) return kit::invalid_from_check(input_error);
  return guarded(rpc, [&] {
    *response = use_case();
    return grpc::Status::OK;
  });
}

std::string check_timestamp(const google::protobuf::Timestamp& t, const std::string& field) {
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds || t.nanos() < 0 ||
      t.nanos() > 999'999'999) {
    return field + " is not a valid time";
  }
  return "";
}

std::string metadata(const grpc::ServerContext& context, const char* key) {
  const auto& md = context.client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

bool all_projects(const kit::Caller& caller) {
  return std::find(caller.projects.begin(), caller.projects.end(), "*") != caller.projects.end();
}

// FNV-1a of the list filters: a page token only continues the listing it came from.
std::string filter_hash(const v1::ListCallbacksRequest& r) {
  std::string text = r.project_id() + '\x1f' + r.ticket_id() + '\x1f' +
                     std::to_string(r.due_before().seconds()) + '.' +
                     std::to_string(r.due_before().nanos()) + '\x1f' + std::to_string(r.status()) +
                     '\x1f' + r.assigned_agent() + '\x1f' + std::to_string(r.reason());
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

grpc::Status CallbackServiceImpl::ListCallbacks(grpc::ServerContext* context,
                                                const v1::ListCallbacksRequest* request,
                                                v1::ListCallbacksResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (!is_callback_staff(caller)) return wrong_role(kNotStaff);
  const v1::ListCallbacksRequest& r = *request;
  if (r.project_id().empty() && r.ticket_id().empty()) {
    return kit::invalid_field("project_id", "project_id or ticket_id is required");
  }
  std::string error;
  if (!r.project_id().empty() && !(error = domain::check_id(r.project_id(), "project_id")).empty())
    return kit::invalid_from_check(error);
  if (!r.ticket_id().empty() && !(error = domain::check_id(r.ticket_id(), "ticket_id")).empty())
    return kit::invalid_from_check(error);
  if (r.has_due_before() && !(error = check_timestamp(r.due_before(), "due_before")).empty())
    return kit::invalid_from_check(error);
  if (r.status() != v1::CALLBACK_STATUS_UNSPECIFIED &&
      !(error = domain::check_enum(r.status(), "status")).empty())
    return kit::invalid_from_check(error);
  if (r.reason() != v1::CALLBACK_REASON_UNSPECIFIED &&
      !(error = domain::check_enum(r.reason(), "reason")).empty())
    return kit::invalid_from_check(error);
  if (!r.assigned_agent().empty() &&
      !(error = domain::check_id(r.assigned_agent(), "assigned_agent")).empty())
    return kit::invalid_from_check(error);
  if (r.page_size() < 0) return kit::invalid_field("page_size", "must not be negative");
  if (!r.project_id().empty() && !caller.sees_project(r.project_id())) {
    return {grpc::StatusCode::NOT_FOUND, "project " + r.project_id() + " not found"};
  }

  store::ListFilter f;
  f.all_projects = all_projects(caller);
  f.projects = caller.projects;
  f.project_id = r.project_id();
  f.ticket_id = r.ticket_id();
  if (r.has_due_before()) f.due_before = domain::from_timestamp(r.due_before());
  if (r.status() != v1::CALLBACK_STATUS_UNSPECIFIED) f.status = domain::public_name(r.status());
  if (r.reason() != v1::CALLBACK_REASON_UNSPECIFIED) f.reason = domain::public_name(r.reason());
  if (!r.assigned_agent().empty()) f.assigned_agent = r.assigned_agent();
  int page_size = r.page_size() == 0 ? kDefaultPageSize : std::min(r.page_size(), kMaxPageSize);
  f.limit = page_size + 1;
  std::string hash = filter_hash(r);
  if (!r.page_token().empty()) {
    std::string raw;
    v1::PageCursor cursor;
    if (!absl::WebSafeBase64Unescape(r.page_token(), &raw) || !cursor.ParseFromString(raw) ||
        cursor.filter_hash() != hash || !domain::is_uuid(cursor.after_id())) {
      return kit::invalid_field("page_token", "does not continue this listing");
    }
    f.after_due = domain::from_timestamp(cursor.after_time());
    f.after_id = cursor.after_id();
  }

  return guarded("ListCallbacks", [&] {
    std::vector<v1::Callback> rows = app::list(app_request(caller), f);
    bool more = static_cast<int>(rows.size()) > page_size;
    if (more) rows.resize(page_size);
    for (v1::Callback& cb : rows) *response->add_callbacks() = std::move(cb);
    if (more) {
      v1::PageCursor cursor;
      const v1::Callback& last = response->callbacks(response->callbacks_size() - 1);
      *cursor.mutable_after_time() = last.due_at();
      cursor.set_after_id(last.callback_id());
      cursor.set_filter_hash(hash);
      std::string token;
      absl::WebSafeBase64Escape(cursor.SerializeAsString(), &token);
      response->set_next_page_token(token);
    }
    return grpc::Status::OK;
  });
}

grpc::Status CallbackServiceImpl::GetCallback(grpc::ServerContext* context,
                                              const v1::GetCallbackRequest* request,
                                              v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return on_callback("GetCallback", is_callback_staff(call.caller), kNotStaff,
                     request->callback_id(), "", response,
                     [&] { return app::get(app_request(call.caller), request->callback_id()); });
}

grpc::Status CallbackServiceImpl::ScheduleCallback(grpc::ServerContext* context,
                                                   const v1::ScheduleCallbackRequest* request,
                                                   v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (!is_callback_staff(caller)) return wrong_role(kNotStaff);
  const v1::ScheduleCallbackRequest& r = *request;
  std::string error;
  if (!(error = domain::check_id(r.project_id(), "project_id")).empty())
    return kit::invalid_from_check(error);
  if (!(error = domain::check_id(r.unit_id(), "unit_id")).empty())
    return kit::invalid_from_check(error);
  if (!r.ticket_id().empty() && !(error = domain::check_id(r.ticket_id(), "ticket_id")).empty())
    return kit::invalid_from_check(error);
  if (!(error = domain::check_enum(r.reason(), "reason")).empty())
    return kit::invalid_from_check(error);
  if (!r.has_due_at()) return kit::invalid_field("due_at", "is required");
  if (!(error = check_timestamp(r.due_at(), "due_at")).empty())
    return kit::invalid_from_check(error);
  if (!r.assigned_agent().empty() &&
      !(error = domain::check_id(r.assigned_agent(), "assigned_agent")).empty())
    return kit::invalid_from_check(error);
  std::string key =
      r.idempotency_key().empty() ? metadata(*context, "idempotency-key") : r.idempotency_key();
  if (!(error = domain::check_text(key, "idempotency_key", kMaxIdempotencyKeyChars)).empty())
    return kit::invalid_from_check(error);
  absl::Time now = clock_();
  absl::Time due_at = domain::from_timestamp(r.due_at());
  if (due_at < now - kMaxSchedulePast || due_at > now + kMaxScheduleAhead) {
    return kit::invalid_field("due_at", "must be between yesterday and 400 days ahead");
  }
  if (!caller.sees_project(r.project_id())) {
    return {grpc::StatusCode::NOT_FOUND, "project " + r.project_id() + " not found"};
  }

  app::ManualCallback manual{r.project_id(), r.unit_id(), r.ticket_id(), r.assigned_agent(), key,
                             r.reason(),     due_at};
  return guarded("ScheduleCallback", [&] {
    *response = app::schedule({db_, outbox_, caller, now}, manual);
    return grpc::Status::OK;
  });
}

grpc::Status CallbackServiceImpl::RecordCallback(grpc::ServerContext* context,
                                                 const v1::RecordCallbackRequest* request,
                                                 v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  const std::string& id = request->callback_id();
  if (!request->reached()) {
    // The owner did not answer: an attempt, with the comment as its note.
    std::string error = domain::check_text(request->comment(), "comment", domain::kMaxCommentChars);
    return on_callback(
        "RecordAttempt", is_callback_staff(caller), kNotStaff, id, error, response, [&] {
          return app::record_attempt(app_request(caller), id, request->comment(), std::nullopt);
        });
  }
  v1::CallbackOutcome outcome;
  std::string error = domain::check_and_derive(*request, &outcome);
  return on_callback("RecordCallback", is_callback_staff(caller), kNotStaff, id, error, response,
                     [&] { return app::record_answer(app_request(caller), id, outcome); });
}

grpc::Status CallbackServiceImpl::RecordAttempt(grpc::ServerContext* context,
                                                const v1::RecordAttemptRequest* request,
                                                v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  std::optional<absl::Time> retry_at;
  auto check = [&]() -> std::string {
    if (auto e = domain::check_text(request->note(), "note", kMaxNoteChars); !e.empty()) return e;
    if (!request->has_retry_at()) return "";
    if (auto e = check_timestamp(request->retry_at(), "retry_at"); !e.empty()) return e;
    retry_at = domain::from_timestamp(request->retry_at());
    return domain::check_retry_at(*retry_at, clock_(), kMaxRetryAhead);
  };
  return on_callback("RecordAttempt", is_callback_staff(call.caller), kNotStaff,
                     request->callback_id(), check(), response, [&] {
                       return app::record_attempt(app_request(call.caller), request->callback_id(),
                                                  request->note(), retry_at);
                     });
}

grpc::Status CallbackServiceImpl::AssignCallback(grpc::ServerContext* context,
                                                 const v1::AssignCallbackRequest* request,
                                                 v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const std::string& to = request->agent_id();
  std::string error = to.empty() ? "" : domain::check_id(to, "agent_id");
  return on_callback(
      "AssignCallback", is_callback_staff(call.caller), kNotStaff, request->callback_id(), error,
      response, [&] { return app::assign(app_request(call.caller), request->callback_id(), to); });
}

grpc::Status CallbackServiceImpl::ReviewCallback(grpc::ServerContext* context,
                                                 const v1::ReviewCallbackRequest* request,
                                                 v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  std::string error = domain::check_text(request->note(), "note", kMaxReviewNoteChars);
  return on_callback("ReviewCallback", call.caller.is(kit::Role::supervisor),
                     "supervisors review callbacks", request->callback_id(), error, response, [&] {
                       return app::review(app_request(call.caller), request->callback_id(),
                                          request->approved(), request->note());
                     });
}

grpc::Status CallbackServiceImpl::WorkList(grpc::ServerContext* context,
                                           const v1::WorkListRequest* request,
                                           v1::WorkListResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (!is_callback_staff(caller))
    return wrong_role("work lists are for agents, supervisors and admins");
  std::string agent = request->agent_id().empty() ? caller.sub : request->agent_id();
  std::string error = domain::check_id(agent, "agent_id");
  if (!error.empty()) return kit::invalid_from_check(error);
  if (caller.is(kit::Role::agent) && agent != caller.sub) {
    return wrong_role("agents see only their own work list");
  }
  const std::string& project_id = request->project_id();
  if (!project_id.empty() && !(error = domain::check_id(project_id, "project_id")).empty())
    return kit::invalid_from_check(error);
  if (request->has_date() && !(error = domain::check_date(request->date(), "date")).empty())
    return kit::invalid_from_check(error);
  if (!project_id.empty() && !caller.sees_project(project_id)) {
    return {grpc::StatusCode::NOT_FOUND, "project " + project_id + " not found"};
  }
  app::WorkListQuery q;
  q.agent = agent;
  q.project_id = project_id;
  q.all_projects = project_id.empty() && all_projects(caller);
  q.scope = project_id.empty() ? caller.projects : std::vector<std::string>{project_id};
  if (request->has_date()) q.day = domain::to_civil_day(request->date());
  return guarded("WorkList", [&] {
    *response = app::work_list(app_request(caller), q);
    return grpc::Status::OK;
  });
}

grpc::Status CallbackServiceImpl::CallbackStats(grpc::ServerContext* context,
                                                const v1::CallbackStatsRequest* request,
                                                v1::CallbackStatsResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (!caller.is_any(kStatsReaders)) {
    return wrong_role("callback statistics are for supervisors, finance, admins and hq");
  }
  std::string error = domain::check_id(request->project_id(), "project_id");
  if (!error.empty()) return kit::invalid_from_check(error);
  domain::PeriodDays days;
  if (!(error = domain::period_days(request->period(), &days)).empty())
    return kit::invalid_from_check(error);
  if (!request->agent_id().empty() &&
      !(error = domain::check_id(request->agent_id(), "agent_id")).empty())
    return kit::invalid_from_check(error);
  if (!caller.sees_project(request->project_id())) {
    return {grpc::StatusCode::NOT_FOUND, "project " + request->project_id() + " not found"};
  }

  return guarded("CallbackStats", [&] {
    *response = app::stats(app_request(caller), *request, days);
    return grpc::Status::OK;
  });
}

}  // namespace aftercare::callback
