// SQL of the callback service. Every statement is a named constant with bound parameters;
// instants cross as microseconds since the epoch (exact, no text parsing), dates as
// "YYYY-MM-DD", enums as their public names.
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/common.pb.h"
#include "callback/domain/attempts.h"
#include "callback/domain/policy.h"

namespace aftercare::callback::store {

// ---- projections of intake's registry and policy ----------------------------------------

void upsert_project(pqxx::transaction_base& tx, const std::string& project_id,
                    const std::string& timezone);
// Keeps the newest version only (events of one project arrive in order, but belt and braces).
void upsert_policy(pqxx::transaction_base& tx, const std::string& project_id, int64_t version,
                   const std::string& serialized_policy);

struct UnitRow {
  std::string unit_id;
  std::string project_id;
  std::string owner_id;
  std::optional<absl::CivilDay> handover;
};
// Upserts the unit; when the owner changed, pending periodic and warranty callbacks of the unit
// are handed to the new owner (repair callbacks stay with the owner who reported).
void upsert_unit(pqxx::transaction_base& tx, const UnitRow& unit);
std::optional<UnitRow> load_unit(pqxx::transaction_base& tx, const std::string& unit_id);

// The project's policy (defaults + its overrides) and time zone (default Asia/Shanghai).
struct ProjectContext {
  domain::CallbackPolicy policy;
  absl::TimeZone zone;
};
ProjectContext load_context(pqxx::transaction_base& tx, const std::string& project_id);
// The same and, in the same statement, the origin of a work order (nullopt: not known).
ProjectContext load_context(pqxx::transaction_base& tx, const std::string& project_id,
                            const std::string& work_order_id,
                            std::optional<std::string>* work_order_origin);
// The same from the columns of a statement that read them with other things (time zone, policy).
ProjectContext context_from(const std::string& project_id, const pqxx::field& timezone,
                            const pqxx::field& policy_bytes);

// ---- callbacks ------------------------------------------------------------------------------

struct NewCallback {
  std::string callback_id;
  std::string source_key;
  std::string project_id;
  std::string unit_id;
  std::string owner_id;
  std::string ticket_id;
  std::string work_order_id;
  aftercare::v1::CallbackReason reason = aftercare::v1::CALLBACK_REASON_UNSPECIFIED;
  aftercare::v1::CallbackDueKind due_kind = aftercare::v1::CALLBACK_DUE_KIND_UNSPECIFIED;
  aftercare::v1::Component component = aftercare::v1::COMPONENT_UNSPECIFIED;
  int milestone_months = 0;
  std::optional<absl::CivilDay> warranty_ends;
  std::optional<absl::Time> basis_at;
  absl::Time due_at;
  std::string assigned_agent;
  absl::Time now;
};

// Inserts unless a callback with the same source key exists (ON CONFLICT DO NOTHING); returns
// the new callback, or nullopt when it already existed.
std::optional<aftercare::v1::Callback> insert_callback(pqxx::transaction_base& tx,
                                                       const NewCallback& callback);
std::optional<aftercare::v1::Callback> find_by_source_key(pqxx::transaction_base& tx,
                                                          const std::string& source_key);
// With the record, review and rework joined in. for_update locks the callback row.
std::optional<aftercare::v1::Callback> load_callback(pqxx::transaction_base& tx,
                                                     const std::string& callback_id,
                                                     bool for_update = false);

struct ListFilter {
  bool all_projects = false;          // admin-like scope "*"
  std::vector<std::string> projects;  // otherwise: only these
  std::string project_id;             // "" = any (within scope)
  std::string ticket_id;              // "" = any
  std::optional<absl::Time> due_before;
  std::string status;                         // "" = any, else public name
  std::optional<std::string> assigned_agent;  // "" = the pool
  std::string reason;                         // "" = any, else public name
  std::optional<absl::Time> after_due;        // page cursor
  std::string after_id;
  int limit = 50;
};
std::vector<aftercare::v1::Callback> list_callbacks(pqxx::transaction_base& tx,
                                                    const ListFilter& filter);

// Pending callbacks of `agent` plus the unassigned pool, due by `day_end` and not waiting for a
// later retry, in the given projects; overdue (earliest due) first.
std::vector<aftercare::v1::Callback> work_list(pqxx::transaction_base& tx, bool all_projects,
                                               const std::vector<std::string>& projects,
                                               const std::string& agent, absl::Time day_end,
                                               int limit);
// Reached callbacks recorded by `agent` in [from, to) in the given projects.
int64_t count_recorded_by(pqxx::transaction_base& tx, bool all_projects,
                          const std::vector<std::string>& projects, const std::string& agent,
                          absl::Time from, absl::Time to);

// Stores the answer (returns false when the callback already had one) and marks it done.
bool record_answer(pqxx::transaction_base& tx, const std::string& callback_id,
                   const aftercare::v1::CallbackOutcome& outcome, bool on_time, absl::Time now);
// Stores an unanswered call, the retry time or the give-up.
void record_attempt(pqxx::transaction_base& tx, const std::string& callback_id,
                    const domain::AttemptDecision& decision, const std::string& agent_id,
                    const std::string& note, absl::Time now);
void assign(pqxx::transaction_base& tx, const std::string& callback_id,
            const std::string& from_agent, const std::string& to_agent,
            const std::string& assigned_by, absl::Time now);
// Returns false when the callback was reviewed already.
bool insert_review(pqxx::transaction_base& tx, const std::string& callback_id,
                   const std::string& reviewer_id, bool approved, const std::string& note,
                   absl::Time now);
void insert_rework(pqxx::transaction_base& tx, const aftercare::v1::Callback& callback,
                   const std::string& reason, absl::Time requested_at, absl::Time return_due);
// dispatch created the rework order for `rework_of`: the rework reached the repair side.
int mark_rework_returned(pqxx::transaction_base& tx, const std::string& rework_of,
                         const std::string& rework_work_order_id, absl::Time at);

// ---- generator --------------------------------------------------------------------------

std::vector<std::string> projects_with_units(pqxx::transaction_base& tx);
// Units of the project handed over on a day in [first, last].
std::vector<UnitRow> units_handed_over_between(pqxx::transaction_base& tx,
                                               const std::string& project_id, absl::CivilDay first,
                                               absl::CivilDay last);

// ---- statistics -----------------------------------------------------------------------------

struct ProjectTotals {
  int64_t due = 0, done = 0, done_on_time = 0, failed = 0;
  int64_t satisfied = 0, basically_satisfied = 0, unsatisfied = 0;
  int64_t reworks_requested = 0, reworks_returned = 0, reworks_returned_on_time = 0;
  int64_t reviewed = 0;
};
// Callbacks of the project due in [from, to).
ProjectTotals project_totals(pqxx::transaction_base& tx, const std::string& project_id,
                             absl::Time from, absl::Time to);
// Issue 20, the group view: project_totals of many projects in one statement, each over its own
// [from, to) (its period in its own time zone); project_totals is this with one window. One
// entry per window, by project id.
struct TotalsWindow {
  std::string project_id;
  absl::Time from, to;
};
std::map<std::string, ProjectTotals> group_project_totals(pqxx::transaction_base& tx,
                                                          const std::vector<TotalsWindow>& windows);

struct AgentCounts {
  std::string agent_id;
  int64_t done = 0;
  int64_t attempts = 0;
};
// Per agent: reached callbacks recorded and unanswered calls made in [from, to), in the project.
// agent_id "" = every agent.
std::vector<AgentCounts> agent_counts(pqxx::transaction_base& tx, const std::string& project_id,
                                      absl::Time from, absl::Time to, const std::string& agent_id);

}  // namespace aftercare::callback::store
