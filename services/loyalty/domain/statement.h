// Statements and reports (DOMAIN §4, §6): totals of ledger movements over a range of local
// dates, and the bounds of report periods in the project's time zone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"

namespace aftercare::loyalty::domain {

// One ledger movement as the statement sees it.
struct Movement {
  absl::Time at;
  aftercare::v1::LedgerEntryKind kind;
  int64_t points;  // signed effect on the balance (+earn, -hold, +release, -expire; redeem 0)
  int64_t amount;  // points moved (> 0)
};

struct StatementTotals {
  int64_t opening_balance = 0;
  int64_t opening_held = 0;
  int64_t earned = 0;
  int64_t held = 0;      // put on hold in the range
  int64_t released = 0;  // given back from holds in the range
  int64_t redeemed = 0;  // spent (confirmed holds) in the range
  int64_t expired = 0;
  int64_t closing_balance = 0;
  int64_t closing_held = 0;
};

// Totals of the movements in [from, to) given every movement of the member before `to`, in
// ledger order. Identity: opening_balance + opening_held + earned - redeemed - expired =
// closing_balance + closing_held.
StatementTotals summarize(const std::vector<Movement>& movements, absl::Time from, absl::Time to);

// [start, end) of local dates from..to inclusive in tz. Returns "" or an error naming the field.
std::string date_range(const aftercare::v1::Date& from, const aftercare::v1::Date& to,
                       absl::TimeZone tz, absl::Time* start, absl::Time* end);

// [start, end) of a report period (ISO week, month, quarter) in tz; "" or an error.
std::string period_range(const aftercare::v1::ReportPeriod& period, absl::TimeZone tz,
                         absl::Time* start, absl::Time* end);

// Time zone by IANA name, falling back to fixed UTC+8 (Asia/Shanghai has had no DST since 1991)
// when the zone database is missing.
absl::TimeZone load_zone(const std::string& name);

}  // namespace aftercare::loyalty::domain
