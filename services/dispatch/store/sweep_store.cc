#include "dispatch/store/sweep_store.h"

#include "dispatch/store/dispatch_store.h"

namespace aftercare::dispatch::store {
namespace {

constexpr const char* kProjectsWithLateBuilders = R"(
  SELECT DISTINCT project_id FROM work_orders
  WHERE assignee_kind = 'builder'
    AND status IN ('created', 'accepted', 'scheduled', 'in_progress')
    AND ((status <> 'in_progress' AND deadline < $1::timestamptz)
         OR (status = 'in_progress' AND resolve_due < $1::timestamptz)))";
constexpr const char* kClaimProjectSweep = R"(
  INSERT INTO project_sweeps (project_id, swept_at) VALUES ($1, $2::timestamptz)
  ON CONFLICT (project_id) DO UPDATE SET swept_at = EXCLUDED.swept_at
    WHERE project_sweeps.swept_at <= EXCLUDED.swept_at - make_interval(secs => $3)
  RETURNING 1)";
constexpr const char* kStoredPolicies = "SELECT policy FROM dispatch_policies";

}  // namespace

std::vector<std::string> projects_with_late_builders(pqxx::work& tx, absl::Time as_of) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(kProjectsWithLateBuilders, sql_time(as_of)))
    out.push_back(row[0].as<std::string>());
  return out;
}

bool claim_project_sweep(pqxx::work& tx, const std::string& project_id, absl::Time now,
                         absl::Duration interval) {
  return !tx.exec_params(kClaimProjectSweep, project_id, sql_time(now),
                         absl::ToDoubleSeconds(interval))
              .empty();
}

std::vector<int> stored_sweep_intervals(pqxx::work& tx) {
  std::vector<int> out;
  for (const auto& row : tx.exec(kStoredPolicies)) {
    aftercare::v1::Policy wrapper;
    *wrapper.mutable_dispatch() = parse<aftercare::v1::DispatchPolicy>(row[0]);
    domain::DispatchPolicy policy;
    policy.apply_overrides(wrapper);  // as load_policy: a bad stored value keeps the default
    out.push_back(policy.sweep_interval_seconds);
  }
  return out;
}

}  // namespace aftercare::dispatch::store
