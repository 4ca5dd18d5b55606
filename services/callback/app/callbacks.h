// The callback aggregate's use cases (DOMAIN §3): a callback is scheduled from another service's
// event (a repair signed off, a complaint resolved) or by staff, and an agent records the owner's
// answer or an unanswered call, takes or gives back work, and a supervisor reviews it. Each use
// case is one transaction with its events (outbox); decisions are domain/'s (recording.h,
// attempts.h, schedule.h), SQL is store/callback_store.h's. The gRPC edge (callback_service.cc)
// validates and authorizes before it calls these.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/events.pb.h"
#include "callback/domain/stats.h"
#include "callback/store/callback_store.h"
#include "common/call.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::callback::app {

// Who asks, when, and where the use case writes.
struct Request {
  kit::PgPool& db;
  const kit::Outbox& outbox;
  const kit::Caller& caller;
  absl::Time now;
};

// Inserts the callback unless its source key exists, and writes CallbackScheduled in the same
// transaction. Returns the new callback, or nullopt when it existed already.
std::optional<aftercare::v1::Callback> schedule_callback(pqxx::transaction_base& tx,
                                                         const kit::Outbox& outbox,
                                                         const store::NewCallback& callback);

// ---- from other services' events (app/events.cc's table) -------------------------------------

// dispatch.WorkOrderSignedOff -> one repair callback per work order (2 / 3 / 7 days); none for
// an inspection defect's rectification (issue 19).
void on_work_order_signed_off(pqxx::work& tx, const kit::Outbox& outbox,
                              const aftercare::v1::Event& e, absl::Time now);
// dispatch.WorkOrderCreated with origin rework: the requested rework reached the repair side.
void on_rework_created(pqxx::work& tx, const aftercare::v1::Event& e, absl::Time now);
// intake.TicketResolved: one callback per resolved complaint, and per report resolved with its
// incident (issue 23).
void on_ticket_resolved(pqxx::work& tx, const kit::Outbox& outbox, const aftercare::v1::Event& e,
                        absl::Time now);

// ---- staff's calls ----------------------------------------------------------------------------

// The callback the caller may see, marked overdue as of now; NOT_FOUND (also for another
// project's id).
aftercare::v1::Callback get(const Request& r, const std::string& callback_id);
// One page of the listing (filter.limit rows at most), marked overdue as of now.
std::vector<aftercare::v1::Callback> list(const Request& r, const store::ListFilter& filter);

// A manual callback of a unit of the project; a repeated idempotency key (source_key) returns
// the first and creates nothing.
struct ManualCallback {
  std::string project_id, unit_id, ticket_id, assigned_agent;
  std::string idempotency_key;  // "" = none
  aftercare::v1::CallbackReason reason = aftercare::v1::CALLBACK_REASON_UNSPECIFIED;
  absl::Time due_at;
};
aftercare::v1::Callback schedule(const Request& r, const ManualCallback& manual);

// The owner answered: the outcome is recorded once, with its effects (rework requested, survey
// completed; domain/recording.h).
aftercare::v1::Callback record_answer(const Request& r, const std::string& callback_id,
                                      aftercare::v1::CallbackOutcome outcome);
// An unanswered call: retried later or given up (domain/attempts.h).
aftercare::v1::Callback record_attempt(const Request& r, const std::string& callback_id,
                                       const std::string& note, std::optional<absl::Time> retry_at);
// To an agent (`to`), or back to the pool (""); agents only take from the pool or give back
// their own.
aftercare::v1::Callback assign(const Request& r, const std::string& callback_id,
                               const std::string& to);
// A supervisor's review of a recorded callback, once.
aftercare::v1::Callback review(const Request& r, const std::string& callback_id, bool approved,
                               const std::string& note);

// An agent's list for a day (the project's local day of `now` unless `day` is given): their
// pending callbacks and the pool, with the counts done today and this week.
struct WorkListQuery {
  std::string agent;
  std::string project_id;  // "" = every project in `scope`
  bool all_projects = false;
  std::vector<std::string> scope;
  std::optional<absl::CivilDay> day;
};
aftercare::v1::WorkListResponse work_list(const Request& r, const WorkListQuery& q);

// The KPI report of a project for a reporting period.
aftercare::v1::CallbackStatsResponse stats(const Request& r,
                                           const aftercare::v1::CallbackStatsRequest& request,
                                           const domain::PeriodDays& days);

}  // namespace aftercare::callback::app
