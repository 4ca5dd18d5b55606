// Repair reports (DOMAIN §2 "monthly repair report and ledger", "quarterly measurement summary
// per responsible builder", §6 KPIs): computed from the work orders themselves, so the report is
// a pure function of the orders and the period.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "aftercare/v1/dispatch.pb.h"

namespace aftercare::dispatch::domain {

// [start, end) of a reporting period in the project's time zone (local midnights).
struct PeriodBounds {
  absl::Time start;
  absl::Time end;
};

// "" or an error naming the field: granularity set, year 2000-9999, month 1-12, quarter 1-4,
// ISO week 1-52 or 53 when the ISO year has 53 weeks.
std::string check_period(const aftercare::v1::ReportPeriod& period);
// Months and quarters start on the 1st; ISO weeks on the Monday of the week holding 4 January.
PeriodBounds period_bounds(const aftercare::v1::ReportPeriod& period, absl::TimeZone zone);

// n/d with basis points rounded half up; 0 when d is 0.
aftercare::v1::Ratio ratio(int64_t numerator, int64_t denominator);

// The KPIs of one project and period from every order that may count (orders created, changed
// or signed off in the period and the originals of its reworks; others are ignored):
// - by creation in the period: created, reworks, reroutes, per party `assigned` and
//   `rerouted_away` (builder orders of the period replaced for lateness or a decline);
// - by sign-off in the period: signed_off, cost, warranty cost advanced for builders
//   (`chargeable_fen` of the builder), per party `signed_off` and `cost_fen`;
// - rework_rate = reworks / signed-off orders; per party `reworks` = reworks of its orders;
// - builder_onsite_on_time: builder orders created in the period and already decided at as_of
//   (started, or deadline passed), on time when started by their deadline; cancelled ones
//   do not count; per party `onsite_on_time` (issue 20): the same for the party's orders of
//   every kind (a builder's on-site deadline, others' the ticket's resolve_due);
// - paid_repair_fen: quotes the owner confirmed in the period;
// - issue 23, by when it happened in the period: the owners' ratings (all, per party of the
//   order, per technician named on the rating), the verifier's acceptances; per technician the
//   orders signed off; signed_off_on_behalf = orders signed off whose owner signature staff
//   recorded (paper slip, phone).
aftercare::v1::RepairReportResponse repair_report(
    const std::vector<aftercare::v1::WorkOrder>& orders, const PeriodBounds& bounds,
    absl::Time as_of);

// Issue 20: what repair_report reads of one order beside the columns work_orders always had
// (created_at, status, signed_off_at, party, kind, builder, origin, rework_of, deadline, cost,
// technician), stored in columns so the group view sums rows (store/report_store.h).
struct ReportColumns {
  std::optional<absl::Time> started_at;
  bool rerouted = false;  // rerouted_to set
  std::optional<absl::Time> rating_at;
  int32_t rating_score = 0;
  std::string rating_technician;
  std::optional<absl::Time> quote_confirmed_at;  // decided_at of a confirmed quote
  int64_t quote_fen = 0;
  std::vector<absl::Time> verifier_signed_at;
  int32_t owner_signs_on_behalf = 0;
  bool warranty_advanced = false;
};
ReportColumns report_columns(const aftercare::v1::WorkOrder& order);

// One group of a project's orders of the period (store::group_report_sums sums the columns in
// one pass), keyed by what the order counts for: its party and kind; the builder it advanced
// warranty cost for (signed off in the period, else ""); the party and kind of the original of a
// rework created in the period (else ""); its technician when signed off in the period and the
// rating's technician when rated in it (else ""). first_* = the earliest creation (Unix
// microseconds) of the group's orders signed off / rated in the period: a technician's party is
// the party of its first order, as in repair_report (equal instants: the sign-off's first, then
// the smaller party id).
struct ReportSums {
  std::string party_id;
  aftercare::v1::PartyKind kind = aftercare::v1::PARTY_KIND_UNSPECIFIED;
  std::string charged_builder;
  std::string rework_of_party;
  aftercare::v1::PartyKind rework_of_kind = aftercare::v1::PARTY_KIND_UNSPECIFIED;
  std::string technician, rating_technician;
  int64_t created = 0, reroutes = 0, reworks = 0, rerouted_away = 0, decided = 0, on_time = 0;
  int64_t signed_off = 0, cost_fen = 0, on_behalf = 0, warranty_fen = 0, paid_fen = 0;
  int64_t verifier_accepted = 0, rated = 0, score_sum = 0;
  int64_t by_score[5] = {0, 0, 0, 0, 0};
  int64_t first_signed_off_us = 0, first_rated_us = 0;
};
// The same report as repair_report over the orders the sums were made of (the group view's
// dispatch_group_report_pgtest checks both agree).
aftercare::v1::RepairReportResponse repair_report_from_sums(const std::vector<ReportSums>& rows);

}  // namespace aftercare::dispatch::domain
