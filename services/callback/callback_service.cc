#include "callback/callback_service.h"
#include "callback/access.h"

#include <spdlog/spdlog.h>

#include "absl/strings/escaping.h"
#include "callback/domain/attempts.h"
#include "callback/domain/dates.h"
#include "callback/domain/events.h"
#include "callback/domain/names.h"
#include "callback/domain/recording.h"
#include "callback/domain/schedule.h"
#include "callback/domain/stats.h"
#include "callback/domain/validation.h"
#include "callback/store/callback_store.h"
#include "callback/store/outreach_store.h"
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
constexpr int kWorkListLimit = 500;
constexpr size_t kMaxNoteChars = 500;
constexpr size_t kMaxReviewNoteChars = 2000;
constexpr size_t kMaxIdempotencyKeyChars = 128;
// Timestamps accepted as input: 2000-01-01 .. 9999-12-31.
constexpr int64_t kMinSeconds = 946684800;
constexpr int64_t kMaxSeconds = 253402300799;

using kit::guarded;
using StatusError = kit::Refusal;

[[noreturn]] void fail(grpc::StatusCode code, const std::string& message) {
  throw StatusError(code, message);
}

// Domain checks return "field why"; the kit convention is INVALID_ARGUMENT "field: why".

grpc::Status wrong_role(const std::string& what) {
  return {grpc::StatusCode::PERMISSION_DENIED, what};
}

std::string check_timestamp(const google::protobuf::Timestamp& t, const std::string& field) {
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds || t.nanos() < 0 ||
      t.nanos() > 999'999'999) {
    return field + " is not a valid time";
  }
  return "";
}

void decorate(v1::Callback& cb, absl::Time now) {
  cb.set_overdue(cb.status() == v1::CALLBACK_STATUS_PENDING &&
                 domain::from_timestamp(cb.due_at()) < now);
}

// Loads a callback the caller may see, or throws NOT_FOUND (also for other projects' ids).
v1::Callback visible_callback(pqxx::transaction_base& tx, const kit::Caller& caller,
                              const std::string& callback_id, bool for_update) {
  std::optional<v1::Callback> cb = store::load_callback(tx, callback_id, for_update);
  if (!cb || !caller.sees_project(cb->project_id())) {
    fail(grpc::StatusCode::NOT_FOUND, "callback " + callback_id + " not found");
  }
  return *cb;
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
  if (!is_callback_staff(caller))
    return wrong_role("callbacks are for agents, supervisors and admins");
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
    absl::Time now = clock_();
    std::vector<v1::Callback> rows =
        db_.in_transaction([&](pqxx::work& tx) { return store::list_callbacks(tx, f); });
    bool more = static_cast<int>(rows.size()) > page_size;
    if (more) rows.resize(page_size);
    for (v1::Callback& cb : rows) {
      decorate(cb, now);
      *response->add_callbacks() = std::move(cb);
    }
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
  if (!is_callback_staff(call.caller))
    return wrong_role("callbacks are for agents, supervisors and admins");
  std::string error = domain::check_uuid(request->callback_id(), "callback_id");
  if (!error.empty()) return kit::invalid_from_check(error);
  return guarded("GetCallback", [&] {
    absl::Time now = clock_();
    *response = db_.in_transaction([&](pqxx::work& tx) {
      return visible_callback(tx, call.caller, request->callback_id(), false);
    });
    decorate(*response, now);
    return grpc::Status::OK;
  });
}

grpc::Status CallbackServiceImpl::ScheduleCallback(grpc::ServerContext* context,
                                                   const v1::ScheduleCallbackRequest* request,
                                                   v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (!is_callback_staff(caller))
    return wrong_role("callbacks are for agents, supervisors and admins");
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

  return guarded("ScheduleCallback", [&] {
    *response = db_.in_transaction([&](pqxx::work& tx) {
      std::optional<store::UnitRow> unit = store::load_unit(tx, r.unit_id());
      if (!unit || unit->project_id != r.project_id()) {
        fail(grpc::StatusCode::NOT_FOUND, "unit " + r.unit_id() + " not found in the project");
      }
      store::NewCallback cb;
      cb.callback_id = kit::new_uuid();
      cb.source_key =
          key.empty() ? "manual:" + cb.callback_id : "manual:" + r.project_id() + ":" + key;
      cb.project_id = r.project_id();
      cb.unit_id = r.unit_id();
      cb.owner_id = unit->owner_id;
      cb.ticket_id = r.ticket_id();
      cb.reason = r.reason();
      cb.due_at = due_at;
      cb.assigned_agent = r.assigned_agent();
      cb.now = now;
      if (std::optional<v1::Callback> created = schedule_callback(tx, outbox_, cb)) {
        return *created;
      }
      // A repeated idempotency key returns the first callback and creates nothing.
      return *store::find_by_source_key(tx, cb.source_key);
    });
    decorate(*response, now);
    return grpc::Status::OK;
  });
}

grpc::Status CallbackServiceImpl::RecordCallback(grpc::ServerContext* context,
                                                 const v1::RecordCallbackRequest* request,
                                                 v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (!is_callback_staff(caller))
    return wrong_role("callbacks are for agents, supervisors and admins");
  std::string error = domain::check_uuid(request->callback_id(), "callback_id");
  if (!error.empty()) return kit::invalid_from_check(error);
  if (!request->reached()) {
    // The owner did not answer: an attempt, with the comment as its note.
    if (!(error = domain::check_text(request->comment(), "comment", domain::kMaxCommentChars))
             .empty())
      return kit::invalid_from_check(error);
    return attempt(caller, request->callback_id(), request->comment(), std::nullopt, response);
  }
  v1::CallbackOutcome outcome;
  if (!(error = domain::check_and_derive(*request, &outcome)).empty())
    return kit::invalid_from_check(error);

  return guarded("RecordCallback", [&] {
    absl::Time now = clock_();
    *response = db_.in_transaction([&](pqxx::work& tx) {
      v1::Callback cb = visible_callback(tx, caller, request->callback_id(), true);
      if (cb.status() == v1::CALLBACK_STATUS_DONE) {
        fail(grpc::StatusCode::ALREADY_EXISTS,
             "callback " + cb.callback_id() + " is already recorded");
      }
      if (cb.status() == v1::CALLBACK_STATUS_FAILED) {
        fail(grpc::StatusCode::FAILED_PRECONDITION,
             "callback " + cb.callback_id() + " was given up after unanswered calls");
      }
      store::ProjectContext project = store::load_context(tx, cb.project_id());
      outcome.set_recorded_by(caller.sub);
      domain::set_timestamp(outcome.mutable_recorded_at(), now);
      bool on_time = domain::recorded_on_time(now, domain::from_timestamp(cb.due_at()));
      if (!store::record_answer(tx, cb.callback_id(), outcome, on_time, now)) {
        fail(grpc::StatusCode::ALREADY_EXISTS,
             "callback " + cb.callback_id() + " is already recorded");
      }
      cb = *store::load_callback(tx, cb.callback_id());
      outbox_.add(tx, domain::callback_recorded(cb, on_time, now));
      domain::RecordEffects effects = domain::effects_of(cb.outcome(), !cb.work_order_id().empty());
      if (effects.rework) {
        absl::Time return_due = domain::rework_return_due(now, project.policy);
        store::insert_rework(tx, cb, effects.rework_reason, now, return_due);
        domain::set_timestamp(cb.mutable_rework_return_due(), return_due);
        outbox_.add(tx, domain::rework_requested(cb, effects.rework_reason, return_due, now));
      }
      if (effects.survey_completed) outbox_.add(tx, domain::survey_completed(cb, now));
      return cb;
    });
    decorate(*response, now);
    return grpc::Status::OK;
  });
}

grpc::Status CallbackServiceImpl::RecordAttempt(grpc::ServerContext* context,
                                                const v1::RecordAttemptRequest* request,
                                                v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  if (!is_callback_staff(call.caller))
    return wrong_role("callbacks are for agents, supervisors and admins");
  std::string error = domain::check_uuid(request->callback_id(), "callback_id");
  if (!error.empty()) return kit::invalid_from_check(error);
  if (!(error = domain::check_text(request->note(), "note", kMaxNoteChars)).empty())
    return kit::invalid_from_check(error);
  std::optional<absl::Time> retry_at;
  if (request->has_retry_at()) {
    if (!(error = check_timestamp(request->retry_at(), "retry_at")).empty())
      return kit::invalid_from_check(error);
    retry_at = domain::from_timestamp(request->retry_at());
    if (!(error = domain::check_retry_at(*retry_at, clock_(), kMaxRetryAhead)).empty())
      return kit::invalid_from_check(error);
  }
  return attempt(call.caller, request->callback_id(), request->note(), retry_at, response);
}

grpc::Status CallbackServiceImpl::attempt(const kit::Caller& caller, const std::string& callback_id,
                                          const std::string& note,
                                          std::optional<absl::Time> retry_at,
                                          v1::Callback* response) {
  return guarded("RecordAttempt", [&] {
    absl::Time now = clock_();
    *response = db_.in_transaction([&](pqxx::work& tx) {
      v1::Callback cb = visible_callback(tx, caller, callback_id, true);
      if (cb.status() != v1::CALLBACK_STATUS_PENDING) {
        fail(grpc::StatusCode::FAILED_PRECONDITION, "callback " + callback_id + " is " +
                                                        domain::public_name(cb.status()) +
                                                        ", not pending");
      }
      store::ProjectContext project = store::load_context(tx, cb.project_id());
      domain::AttemptDecision decision =
          domain::after_unanswered_call(cb.attempts(), now, retry_at, project.policy);
      store::record_attempt(tx, callback_id, decision, caller.sub, note, now);
      cb = *store::load_callback(tx, callback_id);
      outbox_.add(tx, domain::callback_attempted(cb, decision.attempt_no, caller.sub,
                                                 decision.gave_up, now));
      return cb;
    });
    decorate(*response, now);
    return grpc::Status::OK;
  });
}

grpc::Status CallbackServiceImpl::AssignCallback(grpc::ServerContext* context,
                                                 const v1::AssignCallbackRequest* request,
                                                 v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (!is_callback_staff(caller))
    return wrong_role("callbacks are for agents, supervisors and admins");
  std::string error = domain::check_uuid(request->callback_id(), "callback_id");
  if (!error.empty()) return kit::invalid_from_check(error);
  const std::string& to = request->agent_id();
  if (!to.empty() && !(error = domain::check_id(to, "agent_id")).empty())
    return kit::invalid_from_check(error);

  return guarded("AssignCallback", [&] {
    absl::Time now = clock_();
    *response = db_.in_transaction([&](pqxx::work& tx) {
      v1::Callback cb = visible_callback(tx, caller, request->callback_id(), true);
      if (cb.status() != v1::CALLBACK_STATUS_PENDING) {
        fail(grpc::StatusCode::FAILED_PRECONDITION, "callback " + cb.callback_id() + " is " +
                                                        domain::public_name(cb.status()) +
                                                        ", only pending callbacks are assigned");
      }
      const std::string& from = cb.assigned_agent();
      if (caller.is(kit::Role::agent)) {
        // Agents take work from the pool or give their own back; moving a colleague's callback
        // is the supervisor's call.
        bool take = to == caller.sub && (from.empty() || from == caller.sub);
        bool give_back = to.empty() && from == caller.sub;
        if (!take && !give_back) {
          fail(grpc::StatusCode::PERMISSION_DENIED,
               "agents may only take callbacks from the pool or give back their own");
        }
      }
      if (from == to) return cb;
      store::assign(tx, cb.callback_id(), from, to, caller.sub, now);
      return *store::load_callback(tx, cb.callback_id());
    });
    decorate(*response, now);
    return grpc::Status::OK;
  });
}

grpc::Status CallbackServiceImpl::ReviewCallback(grpc::ServerContext* context,
                                                 const v1::ReviewCallbackRequest* request,
                                                 v1::Callback* response) {
  kit::ServerCall call = kit::begin_call(*context);
  const kit::Caller& caller = call.caller;
  if (!caller.is(kit::Role::supervisor)) return wrong_role("supervisors review callbacks");
  std::string error = domain::check_uuid(request->callback_id(), "callback_id");
  if (!error.empty()) return kit::invalid_from_check(error);
  if (!(error = domain::check_text(request->note(), "note", kMaxReviewNoteChars)).empty())
    return kit::invalid_from_check(error);

  return guarded("ReviewCallback", [&] {
    absl::Time now = clock_();
    *response = db_.in_transaction([&](pqxx::work& tx) {
      v1::Callback cb = visible_callback(tx, caller, request->callback_id(), true);
      if (cb.status() == v1::CALLBACK_STATUS_PENDING) {
        fail(grpc::StatusCode::FAILED_PRECONDITION,
             "callback " + cb.callback_id() + " has no record to review yet");
      }
      if (!store::insert_review(tx, cb.callback_id(), caller.sub, request->approved(),
                                request->note(), now)) {
        fail(grpc::StatusCode::ALREADY_EXISTS,
             "callback " + cb.callback_id() + " is already reviewed");
      }
      cb = *store::load_callback(tx, cb.callback_id());
      outbox_.add(tx, domain::callback_reviewed(cb, now));
      return cb;
    });
    decorate(*response, now);
    return grpc::Status::OK;
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
  bool all = project_id.empty() && all_projects(caller);
  std::vector<std::string> scope =
      project_id.empty() ? caller.projects : std::vector<std::string>{project_id};

  return guarded("WorkList", [&] {
    absl::Time now = clock_();
    db_.in_transaction([&](pqxx::work& tx) {
      store::ProjectContext project = store::load_context(tx, project_id);
      absl::CivilDay day = request->has_date() ? domain::to_civil_day(request->date())
                                               : domain::local_day(now, project.zone);
      absl::Time day_end = domain::end_of_local_day(day, project.zone);
      int overdue = 0;
      for (v1::Callback& cb : store::work_list(tx, all, scope, agent, day_end, kWorkListLimit)) {
        decorate(cb, now);
        if (cb.overdue()) ++overdue;
        *response->add_callbacks() = std::move(cb);
      }
      response->set_overdue(overdue);
      absl::CivilDay monday = domain::iso_week_start(day);
      response->set_done_today(static_cast<int32_t>(store::count_recorded_by(
          tx, all, scope, agent, domain::start_of_local_day(day, project.zone),
          domain::start_of_local_day(day + 1, project.zone))));
      response->set_done_this_week(static_cast<int32_t>(store::count_recorded_by(
          tx, all, scope, agent, domain::start_of_local_day(monday, project.zone),
          domain::start_of_local_day(monday + 7, project.zone))));
      response->set_weekly_target(project.policy.agent_weekly_target);
    });
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
    db_.in_transaction([&](pqxx::work& tx) {
      store::ProjectContext project = store::load_context(tx, request->project_id());
      absl::Time from = domain::start_of_local_day(days.first, project.zone);
      absl::Time to = domain::start_of_local_day(days.end, project.zone);
      store::ProjectTotals t = store::project_totals(tx, request->project_id(), from, to);
      v1::CallbackStatsResponse& out = *response;
      out.set_project_id(request->project_id());
      *out.mutable_period() = request->period();
      out.set_due(t.due);
      out.set_done(t.done);
      out.set_done_on_time(t.done_on_time);
      out.set_failed(t.failed);
      *out.mutable_handling_rate() = domain::ratio(t.done, t.due);
      *out.mutable_on_time_rate() = domain::ratio(t.done_on_time, t.due);
      out.set_satisfied(t.satisfied);
      out.set_basically_satisfied(t.basically_satisfied);
      out.set_unsatisfied(t.unsatisfied);
      *out.mutable_satisfaction_rate() = domain::ratio(t.satisfied + t.basically_satisfied, t.done);
      *out.mutable_complaint_rate() = domain::ratio(t.unsatisfied, t.done);
      out.set_reworks_requested(t.reworks_requested);
      out.set_reworks_returned(t.reworks_returned);
      out.set_reworks_returned_on_time(t.reworks_returned_on_time);
      out.set_reviewed(t.reviewed);
      out.set_agent_weekly_target(project.policy.agent_weekly_target);
      bool weekly = request->period().granularity() == v1::REPORT_GRANULARITY_WEEK;
      for (const store::AgentCounts& a :
           store::agent_counts(tx, request->project_id(), from, to, request->agent_id())) {
        v1::AgentCallbackStats* s = out.add_by_agent();
        s->set_agent_id(a.agent_id);
        s->set_done(a.done);
        s->set_attempts(a.attempts);
        s->set_met_weekly_target(weekly && domain::met_weekly_target(a.done, project.policy));
      }
      store::DeliveryStats m = store::delivery_stats(tx, request->project_id(), from, to);
      v1::OwnerMessageStats* ms = out.mutable_messages();
      ms->set_created(m.created);
      ms->set_posted(m.posted);
      ms->set_delivered(m.delivered);
      ms->set_failed(m.failed);
      ms->set_suppressed(m.suppressed);
      ms->set_pending(m.pending);
      *ms->mutable_delivery_rate() = domain::ratio(m.delivered, m.created - m.suppressed);
    });
    return grpc::Status::OK;
  });
}

}  // namespace aftercare::callback
