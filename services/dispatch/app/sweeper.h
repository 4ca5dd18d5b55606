// The late-builder sweeper's round, honouring each project's dispatch.sweep_interval_seconds
// (issue 24): a project is swept at most once per its interval; the worker ticks at the
// shortest interval in effect.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/dispatch.pb.h"
#include "common/pg.h"
#include "dispatch/app/workflows.h"

namespace aftercare::dispatch::app {

struct SweepRound {
  std::vector<std::string> projects;  // swept this round
  std::vector<aftercare::v1::Reroute> reroutes;
  // The wait before the next round: the shortest of `longest` (AFTERCARE_DISPATCH_SWEEP_
  // INTERVAL_S), the default policy's interval and every stored project's.
  std::chrono::seconds next_round{0};
};

// Reroutes the late builder orders at `now` of every project that has some and was not swept
// less than its policy's interval before (the claim is a row per project: replicas share it).
// A project without late orders is not marked swept, so its first late order waits at most
// one tick.
SweepRound sweep_late_builders(kit::PgPool& db, Workflows& workflows, absl::Time now,
                               std::chrono::seconds longest);

}  // namespace aftercare::dispatch::app
