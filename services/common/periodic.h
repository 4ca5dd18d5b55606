// A task run every `interval` until stopped, in the shape of userver's utils::PeriodicTask: one
// place for the loop, the stop, the failure handling and its signals. A failing round is logged
// and counted, never fatal (the next round retries); `degraded_after` failures in a row make the
// host's /healthz degraded naming the worker, so a sweeper that silently stopped working shows.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>

#include "common/metrics.h"

namespace aftercare::kit {

class PeriodicWorker {
 public:
  struct Options {
    std::string name;  // e.g. "sla-sweeper": logs, metrics label, health problem
    std::chrono::milliseconds interval{30000};
    int degraded_after = 3;
    // When set, asked after each round for the wait before the next one (a worker whose period
    // comes from data, e.g. the shortest of per-project intervals); `interval` is the longest
    // wait and what a failed round waits.
    std::function<std::chrono::milliseconds()> next_interval = nullptr;
  };
  // The task gets the stop token so that a long round (draining a queue) can end early.
  using Task = std::function<void(std::stop_token)>;

  // Metrics (optional): aftercare_worker_rounds_total, aftercare_worker_failures_total and
  // aftercare_worker_last_success_timestamp_seconds, labelled worker=<name>.
  PeriodicWorker(Options options, Task task, Metrics* metrics = nullptr);

  // Runs a round at once, then one every interval, until stopped.
  void run(std::stop_token stop);
  // One round; false (logged, counted) if the task threw.
  bool run_once(std::stop_token stop);
  // Empty while healthy, else what /healthz says about this worker.
  std::string problem() const;
  const std::string& name() const { return options_.name; }

 private:
  Options options_;
  Task task_;
  Counter* rounds_ = nullptr;
  Counter* failures_ = nullptr;
  Gauge* last_success_ = nullptr;
  std::atomic<int> failing_rounds_{0};
  mutable std::mutex mu_;
  std::string last_error_;
};

}  // namespace aftercare::kit
