// SQL of the late-builder sweeper's per-project schedule (migration 008): which projects have
// late builder orders, and when each was last swept. Runs inside the caller's transaction.
#pragma once

#include <pqxx/pqxx>

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace aftercare::dispatch::store {

// Projects with a builder order late at `as_of` (the condition of claim_late_builder_orders).
std::vector<std::string> projects_with_late_builders(pqxx::work& tx, absl::Time as_of);

// Records that the sweeper takes `project_id` at `now`, unless it took it less than `interval`
// before; true = taken. Concurrent sweepers: one of them takes it.
bool claim_project_sweep(pqxx::work& tx, const std::string& project_id, absl::Time now,
                         absl::Duration interval);

// The sweep intervals (seconds) of the projects with a stored policy.
std::vector<int> stored_sweep_intervals(pqxx::work& tx);

}  // namespace aftercare::dispatch::store
