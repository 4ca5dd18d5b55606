// KPI targets of a project (issue 20): the effective targets (the seeds' numbers as defaults,
// Policy.targets over them), a period's figures against them, the callback quotas by staff
// title, and which reporting periods have closed. Pure: time and figures are passed in.
//
// Exact comparisons, never rounded basis points: 16999/20000 (84.995 %) rounds to 8500 basis
// points and still misses an 85 % target. A KPI with nothing to measure (denominator 0) counts
// as met.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/common.pb.h"
#include "aftercare/v1/dispatch.pb.h"

namespace aftercare::callback::domain {

// The catalog of KPIs, in report order.
inline constexpr const char* kSatisfaction = "satisfaction";
inline constexpr const char* kFeeCollection = "fee_collection";
inline constexpr const char* kComplaintRate = "complaint_rate";
inline constexpr const char* kCallbackHandling = "callback_handling";
inline constexpr const char* kResponseOnTime = "response_on_time";
inline constexpr const char* kResolveOnTime = "resolve_on_time";

// The effective targets of a project. The defaults are the platform's (kit::fill_platform_defaults:
// satisfaction 85 % and collection 80 % from 004; callbacks 100 %, complaints below 1 % and the
// quotas manager 10 %, supervisor 30 %, repair lead 60 % from 001).
struct Targets {
  int satisfaction_bp = 0;
  int fee_collection_bp = 0;
  int complaint_rate_max_bp = 0;
  int callback_handling_bp = 0;
  int response_on_time_bp = 0;
  int resolve_on_time_bp = 0;
  int manager_quota_bp = 0;
  int supervisor_quota_bp = 0;
  int repair_lead_quota_bp = 0;
  std::vector<std::string> managers, supervisors, repair_leads;

  // policy.targets() over the platform defaults.
  static Targets of(const aftercare::v1::Policy& policy);
  static Targets defaults() { return of(aftercare::v1::Policy()); }
};

// A period's figures; nullopt = its source did not answer (the KPI is left out).
struct Figures {
  std::optional<aftercare::v1::Ratio> satisfaction, complaint_rate, callback_handling;  // callback
  std::optional<aftercare::v1::Ratio> fee_collection;                                   // billing
  std::optional<aftercare::v1::Ratio> response_on_time, resolve_on_time;                // intake
};

// One KPI against a target: a floor (met when actual >= target) or a ceiling (met when
// actual < target).
aftercare::v1::KpiResult evaluate(const std::string& kpi, const aftercare::v1::Ratio& actual,
                                  int target_bp, bool ceiling);
// Every KPI with a figure, in catalog order.
std::vector<aftercare::v1::KpiResult> evaluate(const Figures& figures, const Targets& targets);
std::vector<aftercare::v1::KpiResult> missed(const std::vector<aftercare::v1::KpiResult>& kpis);

// Done callbacks of a period: all of them and per recorder (recorded_by).
struct RecorderCount {
  std::string recorded_by;
  int64_t done = 0;
};
// The share of done callbacks recorded by managers, supervisors and repair leads, against the
// quotas; nothing done counts as met.
std::vector<aftercare::v1::CallbackQuota> quotas(int64_t done,
                                                 const std::vector<RecorderCount>& by_recorder,
                                                 const Targets& targets);

// The group view's order: most targets met first, then the smallest sum of the missed KPIs'
// gaps, then the project id; ranks 1..n.
void rank_projects(std::vector<aftercare::v1::ProjectKpis>* projects);
// Every project's numerators and denominators summed per KPI, against the platform targets.
std::vector<aftercare::v1::KpiResult> totals(
    const std::vector<aftercare::v1::ProjectKpis>& projects, const Targets& targets);

// The group view's worst builders and contractors (issue 20): each party's rows in the
// projects' repair reports (dispatch) summed across projects, keyed by party id and kind:
// rework rate = reworks of its orders / its signed-off orders, on-time rate = its orders started
// by their deadline / its orders decided (started, or deadline passed), `projects` = the reports
// it appears in. Worst first: the highest rework rate, then the lowest on-time rate (exact
// fractions; nothing signed off counts as no rework, nothing decided as on time), then the most
// signed-off orders, then the party id. At most `limit` of each kind; crews (the company's own)
// are not listed.
struct WorstParties {
  std::vector<aftercare::v1::PartyRates> builders, contractors;
};
WorstParties worst_parties(const std::vector<aftercare::v1::RepairReportResponse>& reports,
                           int limit);

// "2026-11", "2026-W07", "2026-Q2", "2026": the path spelling of a period.
std::string period_label(const aftercare::v1::ReportPeriod& period);
// The inverse; false when malformed (the range of year and index is period_days's to check).
bool parse_period_label(const std::string& text, aftercare::v1::ReportPeriod* out);

// The month, quarter, year and ISO week (in this order) that ended most recently on or before
// local day `today` (the ones a period-close sweep on `today` evaluates).
std::vector<aftercare::v1::ReportPeriod> last_closed_periods(absl::CivilDay today);

// The alert of a project's period: one id per (project, period), whoever computes it.
std::string kpi_alert_id(const std::string& project_id, const aftercare::v1::ReportPeriod& period);

}  // namespace aftercare::callback::domain
