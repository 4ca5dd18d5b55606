#include "dispatch/app/sweeper.h"

#include <algorithm>

#include "dispatch/store/dispatch_store.h"
#include "dispatch/store/sweep_store.h"

namespace aftercare::dispatch::app {

SweepRound sweep_late_builders(kit::PgPool& db, Workflows& workflows, absl::Time now,
                               std::chrono::seconds longest) {
  SweepRound round;
  int shortest = domain::DispatchPolicy::defaults().sweep_interval_seconds;
  db.in_transaction([&](pqxx::work& tx) {
    for (int seconds : store::stored_sweep_intervals(tx)) shortest = std::min(shortest, seconds);
    for (const std::string& project : store::projects_with_late_builders(tx, now)) {
      absl::Duration interval =
          absl::Seconds(store::load_policy(tx, project).sweep_interval_seconds);
      if (store::claim_project_sweep(tx, project, now, interval)) round.projects.push_back(project);
    }
  });
  round.next_round = std::min(longest, std::chrono::seconds(shortest));
  for (const std::string& project : round.projects) {
    for (auto& r : workflows.reroute_late_builders(db, now, project))
      round.reroutes.push_back(std::move(r));
  }
  return round;
}

}  // namespace aftercare::dispatch::app
