#include "callback/app/callbacks.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "callback/app/outreach.h"
#include "callback/domain/attempts.h"
#include "callback/domain/dates.h"
#include "callback/domain/due.h"
#include "callback/domain/events.h"
#include "callback/domain/names.h"
#include "callback/domain/recording.h"
#include "callback/domain/schedule.h"
#include "callback/store/outreach_store.h"
#include "common/refusal.h"

namespace aftercare::callback::app {
namespace {

namespace v1 = aftercare::v1;
using grpc::StatusCode;

void require(bool ok, const v1::Event& event, const char* what) {
  if (!ok) {
    throw std::invalid_argument(event.type() + " " + event.event_id() + ": " + what);
  }
}

// The first set instant of the list, else `fallback`.
absl::Time first_set(std::initializer_list<const google::protobuf::Timestamp*> candidates,
                     absl::Time fallback) {
  for (const google::protobuf::Timestamp* t : candidates) {
    if (t->seconds() != 0 || t->nanos() != 0) return domain::from_timestamp(*t);
  }
  return fallback;
}

void decorate(v1::Callback& cb, absl::Time now) {
  cb.set_overdue(cb.status() == v1::CALLBACK_STATUS_PENDING &&
                 domain::from_timestamp(cb.due_at()) < now);
}

[[noreturn]] void refuse(StatusCode code, const std::string& message) {
  throw kit::Refusal(code, message);
}

// Loads a callback the caller may see, or throws NOT_FOUND (also for other projects' ids).
v1::Callback visible_callback(pqxx::transaction_base& tx, const kit::Caller& caller,
                              const std::string& callback_id, bool for_update) {
  std::optional<v1::Callback> cb = store::load_callback(tx, callback_id, for_update);
  if (!cb || !caller.sees_project(cb->project_id())) {
    refuse(StatusCode::NOT_FOUND, "callback " + callback_id + " not found");
  }
  return *cb;
}

// The scaffold of every change to one callback: in one transaction, load the callback the
// caller may see and lock it, let `change` check and record (it may refuse, which rolls back),
// read the callback back as stored, and mark it overdue as of now.
template <typename Change>
v1::Callback change_callback(const Request& r, const std::string& callback_id, Change&& change) {
  v1::Callback cb = r.db.in_transaction([&](pqxx::work& tx) {
    v1::Callback locked = visible_callback(tx, r.caller, callback_id, true);
    return change(tx, locked);
  });
  decorate(cb, r.now);
  return cb;
}

std::string not_pending(const v1::Callback& cb) {
  return "callback " + cb.callback_id() + " is " + domain::public_name(cb.status());
}

}  // namespace

std::optional<v1::Callback> schedule_callback(pqxx::transaction_base& tx, const kit::Outbox& outbox,
                                              const store::NewCallback& callback) {
  std::optional<v1::Callback> created = store::insert_callback(tx, callback);
  if (created) outbox.add(tx, domain::callback_scheduled(*created, callback.now));
  return created;
}

// ---- from events ------------------------------------------------------------------------------

void on_work_order_signed_off(pqxx::work& tx, const kit::Outbox& outbox, const v1::Event& e,
                              absl::Time now) {
  const v1::WorkOrderSignedOff& p = e.work_order_signed_off();
  require(!e.project_id().empty(), e, "project_id is empty");
  require(!p.work_order_id().empty(), e, "work_order_id is empty");
  require(!p.unit_id().empty(), e, "unit_id is empty");
  // Issue 21: the project's settings and the order's origin in one statement.
  std::optional<std::string> origin;
  store::ProjectContext context =
      store::load_context(tx, e.project_id(), p.work_order_id(), &origin);
  if (origin && *origin == domain::public_name(v1::WORK_ORDER_ORIGIN_RECTIFICATION)) {
    spdlog::info("work order {} is a rectification: no owner callback", p.work_order_id());
    return;  // issue 19: the re-inspection checks the builder's work, not the owner
  }
  absl::Time basis = first_set({&p.signed_off_at(), &p.completed_at(), &e.occurred_at()}, now);
  v1::CallbackDueKind kind =
      domain::classify({p.component(), p.urgency(), p.safety_related(), p.leak()}, context.policy);

  std::string owner = p.owner_id();
  if (owner.empty()) {
    if (auto unit = store::load_unit(tx, p.unit_id())) owner = unit->owner_id;
  }
  store::NewCallback cb;
  cb.callback_id = kit::new_uuid();
  cb.source_key = domain::work_order_source_key(p.work_order_id());
  cb.project_id = e.project_id();
  cb.unit_id = p.unit_id();
  cb.owner_id = owner;
  cb.ticket_id = p.ticket_id();
  cb.work_order_id = p.work_order_id();
  cb.reason = v1::CALLBACK_REASON_REPAIR_COMPLETED;
  cb.due_kind = kind;
  cb.component = p.component();
  cb.basis_at = basis;
  cb.due_at = domain::callback_due_at(basis, kind, context.policy, context.zone);
  cb.now = now;
  if (!schedule_callback(tx, outbox, cb)) {
    spdlog::info("work order {} already has its callback", p.work_order_id());
  }
}

void on_rework_created(pqxx::work& tx, const v1::Event& e, absl::Time now) {
  const v1::WorkOrderCreated& p = e.work_order_created();
  if (p.origin() != v1::WORK_ORDER_ORIGIN_REWORK || p.rework_of().empty()) return;
  store::mark_rework_returned(tx, p.rework_of(), p.work_order_id(),
                              first_set({&e.occurred_at()}, now));
}

void on_ticket_resolved(pqxx::work& tx, const kit::Outbox& outbox, const v1::Event& e,
                        absl::Time now) {
  const v1::TicketResolved& p = e.ticket_resolved();
  // Repairs are called back from dispatch's sign-off (which knows the component's urgency and
  // dispatch's safety/leak flags); only complaints get their callback from the resolution, and
  // (issue 23) every report resolved with its incident: one callback per reporter.
  bool incident = !p.incident_id().empty();
  if (p.kind() != v1::TICKET_KIND_COMPLAINT && !incident) return;
  require(!e.project_id().empty(), e, "project_id is empty");
  require(!p.ticket_id().empty(), e, "ticket_id is empty");
  require(!p.unit_id().empty(), e, "unit_id is empty");
  store::ProjectContext context = store::load_context(tx, e.project_id());
  absl::Time basis = first_set({&p.resolved_at(), &e.occurred_at()}, now);
  v1::CallbackDueKind kind =
      domain::classify({p.component(), v1::URGENCY_UNSPECIFIED, false, false}, context.policy);
  store::NewCallback cb;
  cb.callback_id = kit::new_uuid();
  // A complaint resolved by a repair shares the work order's key, so the sign-off and the
  // resolution (in whichever order they arrive) make one phone call, not two.
  // The incident's lead shares its work order's key too.
  cb.source_key =
      !p.work_order_id().empty() ? domain::work_order_source_key(p.work_order_id())
      : incident ? domain::incident_source_key(p.incident_id(), p.ticket_id(), p.incident_round())
                 : domain::complaint_source_key(p.ticket_id(), basis);
  cb.project_id = e.project_id();
  cb.unit_id = p.unit_id();
  cb.owner_id = p.owner_id();
  cb.ticket_id = p.ticket_id();
  cb.work_order_id = p.work_order_id();
  cb.reason = p.kind() == v1::TICKET_KIND_COMPLAINT ? v1::CALLBACK_REASON_COMPLAINT_RESOLVED
                                                    : v1::CALLBACK_REASON_REPAIR_COMPLETED;
  cb.due_kind = kind;
  cb.component = p.component();
  cb.basis_at = basis;
  cb.due_at = domain::callback_due_at(basis, kind, context.policy, context.zone);
  cb.now = now;
  schedule_callback(tx, outbox, cb);
}

// ---- staff's calls ----------------------------------------------------------------------------

v1::Callback get(const Request& r, const std::string& callback_id) {
  v1::Callback cb = r.db.in_transaction(
      [&](pqxx::work& tx) { return visible_callback(tx, r.caller, callback_id, false); });
  decorate(cb, r.now);
  return cb;
}

std::vector<v1::Callback> list(const Request& r, const store::ListFilter& filter) {
  std::vector<v1::Callback> rows =
      r.db.in_transaction([&](pqxx::work& tx) { return store::list_callbacks(tx, filter); });
  for (v1::Callback& cb : rows) decorate(cb, r.now);
  return rows;
}

v1::Callback schedule(const Request& r, const ManualCallback& m) {
  v1::Callback cb = r.db.in_transaction([&](pqxx::work& tx) {
    std::optional<store::UnitRow> unit = store::load_unit(tx, m.unit_id);
    if (!unit || unit->project_id != m.project_id) {
      refuse(StatusCode::NOT_FOUND, "unit " + m.unit_id + " not found in the project");
    }
    store::NewCallback cb;
    cb.callback_id = kit::new_uuid();
    cb.source_key = m.idempotency_key.empty() ? "manual:" + cb.callback_id
                                              : "manual:" + m.project_id + ":" + m.idempotency_key;
    cb.project_id = m.project_id;
    cb.unit_id = m.unit_id;
    cb.owner_id = unit->owner_id;
    cb.ticket_id = m.ticket_id;
    cb.reason = m.reason;
    cb.due_at = m.due_at;
    cb.assigned_agent = m.assigned_agent;
    cb.now = r.now;
    if (std::optional<v1::Callback> created = schedule_callback(tx, r.outbox, cb)) {
      return *created;
    }
    // A repeated idempotency key returns the first callback and creates nothing.
    return *store::find_by_source_key(tx, cb.source_key);
  });
  decorate(cb, r.now);
  return cb;
}

v1::Callback record_answer(const Request& r, const std::string& callback_id,
                           v1::CallbackOutcome outcome) {
  return change_callback(r, callback_id, [&](pqxx::work& tx, v1::Callback cb) {
    if (cb.status() == v1::CALLBACK_STATUS_DONE) {
      refuse(StatusCode::ALREADY_EXISTS, "callback " + cb.callback_id() + " is already recorded");
    }
    if (cb.status() == v1::CALLBACK_STATUS_FAILED) {
      refuse(StatusCode::FAILED_PRECONDITION,
             "callback " + cb.callback_id() + " was given up after unanswered calls");
    }
    store::ProjectContext project = store::load_context(tx, cb.project_id());
    outcome.set_recorded_by(r.caller.sub);
    domain::set_timestamp(outcome.mutable_recorded_at(), r.now);
    bool on_time = domain::recorded_on_time(r.now, domain::from_timestamp(cb.due_at()));
    if (!store::record_answer(tx, cb.callback_id(), outcome, on_time, r.now)) {
      refuse(StatusCode::ALREADY_EXISTS, "callback " + cb.callback_id() + " is already recorded");
    }
    cb = *store::load_callback(tx, cb.callback_id());
    r.outbox.add(tx, domain::callback_recorded(cb, on_time, r.now));
    domain::RecordEffects effects = domain::effects_of(cb.outcome(), !cb.work_order_id().empty());
    if (effects.rework) {
      absl::Time return_due = domain::rework_return_due(r.now, project.policy);
      store::insert_rework(tx, cb, effects.rework_reason, r.now, return_due);
      domain::set_timestamp(cb.mutable_rework_return_due(), return_due);
      r.outbox.add(tx, domain::rework_requested(cb, effects.rework_reason, return_due, r.now));
    }
    if (effects.survey_completed) r.outbox.add(tx, domain::survey_completed(cb, r.now));
    return cb;
  });
}

v1::Callback record_attempt(const Request& r, const std::string& callback_id,
                            const std::string& note, std::optional<absl::Time> retry_at) {
  return change_callback(r, callback_id, [&](pqxx::work& tx, const v1::Callback& cb) {
    if (cb.status() != v1::CALLBACK_STATUS_PENDING)
      refuse(StatusCode::FAILED_PRECONDITION, not_pending(cb) + ", not pending");
    store::ProjectContext project = store::load_context(tx, cb.project_id());
    domain::AttemptDecision decision =
        domain::after_unanswered_call(cb.attempts(), r.now, retry_at, project.policy);
    store::record_attempt(tx, callback_id, decision, r.caller.sub, note, r.now);
    v1::Callback after = *store::load_callback(tx, callback_id);
    r.outbox.add(tx, domain::callback_attempted(after, decision.attempt_no, r.caller.sub,
                                                decision.gave_up, r.now));
    return after;
  });
}

v1::Callback assign(const Request& r, const std::string& callback_id, const std::string& to) {
  return change_callback(r, callback_id, [&](pqxx::work& tx, const v1::Callback& cb) {
    if (cb.status() != v1::CALLBACK_STATUS_PENDING)
      refuse(StatusCode::FAILED_PRECONDITION,
             not_pending(cb) + ", only pending callbacks are assigned");
    const std::string& from = cb.assigned_agent();
    const kit::Caller& caller = r.caller;
    if (caller.is(kit::Role::agent)) {
      // Agents take work from the pool or give their own back; moving a colleague's callback
      // is the supervisor's call.
      bool take = to == caller.sub && (from.empty() || from == caller.sub);
      bool give_back = to.empty() && from == caller.sub;
      if (!take && !give_back) {
        refuse(StatusCode::PERMISSION_DENIED,
               "agents may only take callbacks from the pool or give back their own");
      }
    }
    if (from == to) return cb;
    store::assign(tx, cb.callback_id(), from, to, caller.sub, r.now);
    return *store::load_callback(tx, cb.callback_id());
  });
}

v1::Callback review(const Request& r, const std::string& callback_id, bool approved,
                    const std::string& note) {
  return change_callback(r, callback_id, [&](pqxx::work& tx, const v1::Callback& cb) {
    if (cb.status() == v1::CALLBACK_STATUS_PENDING) {
      refuse(StatusCode::FAILED_PRECONDITION,
             "callback " + cb.callback_id() + " has no record to review yet");
    }
    if (!store::insert_review(tx, cb.callback_id(), r.caller.sub, approved, note, r.now)) {
      refuse(StatusCode::ALREADY_EXISTS, "callback " + cb.callback_id() + " is already reviewed");
    }
    v1::Callback after = *store::load_callback(tx, cb.callback_id());
    r.outbox.add(tx, domain::callback_reviewed(after, r.now));
    return after;
  });
}

v1::WorkListResponse work_list(const Request& r, const WorkListQuery& q) {
  constexpr int kWorkListLimit = 500;
  v1::WorkListResponse out;
  r.db.in_transaction([&](pqxx::work& tx) {
    store::ProjectContext project = store::load_context(tx, q.project_id);
    absl::CivilDay day = q.day ? *q.day : domain::local_day(r.now, project.zone);
    absl::Time day_end = domain::end_of_local_day(day, project.zone);
    int overdue = 0;
    for (v1::Callback& cb :
         store::work_list(tx, q.all_projects, q.scope, q.agent, day_end, kWorkListLimit)) {
      decorate(cb, r.now);
      if (cb.overdue()) ++overdue;
      *out.add_callbacks() = std::move(cb);
    }
    out.set_overdue(overdue);
    absl::CivilDay monday = domain::iso_week_start(day);
    out.set_done_today(static_cast<int32_t>(store::count_recorded_by(
        tx, q.all_projects, q.scope, q.agent, domain::start_of_local_day(day, project.zone),
        domain::start_of_local_day(day + 1, project.zone))));
    out.set_done_this_week(static_cast<int32_t>(store::count_recorded_by(
        tx, q.all_projects, q.scope, q.agent, domain::start_of_local_day(monday, project.zone),
        domain::start_of_local_day(monday + 7, project.zone))));
    out.set_weekly_target(project.policy.agent_weekly_target);
  });
  return out;
}

v1::CallbackStatsResponse stats(const Request& r, const v1::CallbackStatsRequest& request,
                                const domain::PeriodDays& days) {
  v1::CallbackStatsResponse out;
  r.db.in_transaction([&](pqxx::work& tx) {
    store::ProjectContext project = store::load_context(tx, request.project_id());
    absl::Time from = domain::start_of_local_day(days.first, project.zone);
    absl::Time to = domain::start_of_local_day(days.end, project.zone);
    store::ProjectTotals t = store::project_totals(tx, request.project_id(), from, to);
    out.set_project_id(request.project_id());
    *out.mutable_period() = request.period();
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
    bool weekly = request.period().granularity() == v1::REPORT_GRANULARITY_WEEK;
    for (const store::AgentCounts& a :
         store::agent_counts(tx, request.project_id(), from, to, request.agent_id())) {
      v1::AgentCallbackStats* s = out.add_by_agent();
      s->set_agent_id(a.agent_id);
      s->set_done(a.done);
      s->set_attempts(a.attempts);
      s->set_met_weekly_target(weekly && domain::met_weekly_target(a.done, project.policy));
    }
    store::DeliveryStats m = store::delivery_stats(tx, request.project_id(), from, to);
    v1::OwnerMessageStats* ms = out.mutable_messages();
    ms->set_created(m.created);
    ms->set_posted(m.posted);
    ms->set_delivered(m.delivered);
    ms->set_failed(m.failed);
    ms->set_suppressed(m.suppressed);
    ms->set_pending(m.pending);
    *ms->mutable_delivery_rate() = domain::ratio(m.delivered, m.created - m.suppressed);
  });
  return out;
}

}  // namespace aftercare::callback::app
