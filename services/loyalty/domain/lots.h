// Points lots (DOMAIN §4): every earning is a lot with the points still unspent and the instant
// they expire. Holds take points from the oldest lots first; a released hold gives each lot back
// exactly what it took; expiry empties the lots whose time has come, oldest first. The member's
// balance is always the sum of the remaining points of its lots.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace aftercare::loyalty::domain {

struct Lot {
  std::string lot_id;
  int64_t seq = 0;  // ledger order of the earning (tie-breaker for equal earned_at)
  absl::Time earned_at;
  absl::Time expires_at;
  int64_t remaining = 0;  // >= 0
};

// Points taken from (or given back to) one lot.
struct Take {
  std::string lot_id;
  int64_t points = 0;  // > 0
};

// The instant points earned at `earned_at` expire: the same local wall time `months` calendar
// months later in `tz`, the day clamped to the end of a shorter month (31 Jan + 1 month = 28/29
// Feb). Pure calendar arithmetic; the time zone only matters around DST changes.
absl::Time add_months(absl::Time earned_at, int months, absl::TimeZone tz);

// Lots sorted oldest first: by earned_at, then seq.
std::vector<Lot> oldest_first(std::vector<Lot> lots);

// The spendable points at `as_of`: the remaining points of lots not yet expired.
int64_t spendable(const std::vector<Lot>& lots, absl::Time as_of);

// Takes `points` (> 0) from the lots that have not expired at `as_of`, oldest first. nullopt
// when they do not hold enough (nothing is taken then).
std::optional<std::vector<Take>> take_oldest_first(const std::vector<Lot>& lots, int64_t points,
                                                   absl::Time as_of);

// Everything left in the lots whose expires_at <= as_of, oldest first. Running it again on the
// lots after the takes are applied yields nothing (idempotent).
std::vector<Take> expire_due(const std::vector<Lot>& lots, absl::Time as_of);

// Applies takes (sign -1) or give-backs (sign +1) to lots; throws std::logic_error when a take
// exceeds a lot's remaining points or names an unknown lot (the arithmetic never goes negative).
void apply(std::vector<Lot>& lots, const std::vector<Take>& takes, int sign);

int64_t total(const std::vector<Take>& takes);

}  // namespace aftercare::loyalty::domain
