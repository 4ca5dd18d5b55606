#include "common/periodic.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>

namespace aftercare::kit {

PeriodicWorker::PeriodicWorker(Options options, Task task, Metrics* metrics)
    : options_(std::move(options)), task_(std::move(task)) {
  if (!metrics) return;
  const Labels labels{{"worker", options_.name}};
  rounds_ =
      &metrics->counter("aftercare_worker_rounds_total", "Rounds of a periodic worker", labels);
  failures_ =
      &metrics->counter("aftercare_worker_failures_total",
                        "Rounds of a periodic worker that failed (retried next round)", labels);
  last_success_ = &metrics->gauge("aftercare_worker_last_success_timestamp_seconds",
                                  "When a periodic worker last completed a round", labels);
}

bool PeriodicWorker::run_once(std::stop_token stop) {
  if (rounds_) rounds_->inc();
  try {
    task_(stop);
  } catch (const std::exception& e) {
    const int failing = ++failing_rounds_;
    if (failures_) failures_->inc();
    {
      std::lock_guard lock(mu_);
      last_error_ = e.what();
    }
    spdlog::warn("{}: round failed ({} in a row, retried in {} ms): {}", options_.name, failing,
                 options_.interval.count(), e.what());
    return false;
  }
  failing_rounds_ = 0;
  if (last_success_)
    last_success_->set(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
  return true;
}

void PeriodicWorker::run(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    std::chrono::milliseconds wait = options_.interval;
    if (run_once(stop) && options_.next_interval)
      wait = std::clamp(options_.next_interval(), std::chrono::milliseconds(1), options_.interval);
    std::unique_lock lock(mu);
    wake.wait_for(lock, stop, wait, [] { return false; });
  }
}

std::string PeriodicWorker::problem() const {
  const int failing = failing_rounds_.load();
  if (failing < options_.degraded_after) return {};
  std::lock_guard lock(mu_);
  return "failed " + std::to_string(failing) + " rounds in a row: " + last_error_;
}

}  // namespace aftercare::kit
