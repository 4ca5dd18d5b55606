// The one clock (issue 24). Services read "now" through a kit::Clock they are given: production
// wiring passes kit::system_clock(), tests pass their own (a fixed or stepped instant), so every
// rule that depends on time can be driven without waiting. Domain functions take the instant as
// a parameter and never read a clock.
#pragma once

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace aftercare::kit {

using Clock = std::function<absl::Time()>;

// The wall clock.
inline absl::Time system_now() {
  return absl::Now();
}
inline Clock system_clock() {
  return system_now;
}

}  // namespace aftercare::kit
