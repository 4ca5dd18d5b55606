#include "loyalty/domain/lots.h"

#include <algorithm>
#include <stdexcept>

#include "absl/time/civil_time.h"

namespace aftercare::loyalty::domain {

absl::Time add_months(absl::Time earned_at, int months, absl::TimeZone tz) {
  const absl::CivilSecond local = absl::ToCivilSecond(earned_at, tz);
  const absl::CivilMonth target = absl::CivilMonth(local) + months;
  // Last day of the target month: the day before the first of the next month.
  const int last_day = (absl::CivilDay(target + 1) - 1).day();
  const absl::CivilSecond shifted(target.year(), target.month(), std::min(local.day(), last_day),
                                  local.hour(), local.minute(), local.second());
  // Keep the sub-second part so expiry is exact to the microsecond.
  const absl::Duration subsecond = earned_at - absl::FromCivil(local, tz);
  return tz.At(shifted).pre + (subsecond >= absl::ZeroDuration() && subsecond < absl::Seconds(1)
                                   ? subsecond
                                   : absl::ZeroDuration());
}

std::vector<Lot> oldest_first(std::vector<Lot> lots) {
  std::stable_sort(lots.begin(), lots.end(), [](const Lot& a, const Lot& b) {
    if (a.earned_at != b.earned_at) return a.earned_at < b.earned_at;
    return a.seq < b.seq;
  });
  return lots;
}

int64_t spendable(const std::vector<Lot>& lots, absl::Time as_of) {
  int64_t sum = 0;
  for (const Lot& lot : lots)
    if (lot.expires_at > as_of && lot.remaining > 0) sum += lot.remaining;
  return sum;
}

std::optional<std::vector<Take>> take_oldest_first(const std::vector<Lot>& lots, int64_t points,
                                                   absl::Time as_of) {
  if (points <= 0) return std::nullopt;
  if (spendable(lots, as_of) < points) return std::nullopt;
  std::vector<Take> takes;
  int64_t left = points;
  for (const Lot& lot : oldest_first(lots)) {
    if (left == 0) break;
    if (lot.expires_at <= as_of || lot.remaining <= 0) continue;
    const int64_t take = std::min(left, lot.remaining);
    takes.push_back({lot.lot_id, take});
    left -= take;
  }
  return takes;
}

std::vector<Take> expire_due(const std::vector<Lot>& lots, absl::Time as_of) {
  std::vector<Take> takes;
  for (const Lot& lot : oldest_first(lots))
    if (lot.expires_at <= as_of && lot.remaining > 0) takes.push_back({lot.lot_id, lot.remaining});
  return takes;
}

void apply(std::vector<Lot>& lots, const std::vector<Take>& takes, int sign) {
  for (const Take& take : takes) {
    auto it = std::find_if(lots.begin(), lots.end(),
                           [&](const Lot& l) { return l.lot_id == take.lot_id; });
    if (it == lots.end()) throw std::logic_error("unknown lot " + take.lot_id);
    const int64_t next = it->remaining + sign * take.points;
    if (take.points <= 0 || next < 0)
      throw std::logic_error("lot " + take.lot_id + " would go negative");
    it->remaining = next;
  }
}

int64_t total(const std::vector<Take>& takes) {
  int64_t sum = 0;
  for (const Take& t : takes) sum += t.points;
  return sum;
}

}  // namespace aftercare::loyalty::domain
