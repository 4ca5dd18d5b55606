#include "callback/domain/targets.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "callback/domain/dates.h"
#include "callback/domain/outreach.h"
#include "callback/domain/stats.h"
#include "common/policy_defaults.h"

namespace aftercare::callback::domain {

namespace v1 = aftercare::v1;

Targets Targets::of(const v1::Policy& policy) {
  v1::Policy effective;
  *effective.mutable_targets() = policy.targets();
  kit::fill_platform_defaults(&effective);
  const v1::TargetPolicy& t = effective.targets();
  v1::Policy platform;
  kit::fill_platform_defaults(&platform);
  const v1::TargetPolicy& d = platform.targets();
  auto rate = [](int32_t value, int32_t fallback) {
    return value >= 0 && value <= 10000 ? value : fallback;
  };
  Targets out;
  out.satisfaction_bp = rate(t.satisfaction_bp(), d.satisfaction_bp());
  out.fee_collection_bp = rate(t.fee_collection_bp(), d.fee_collection_bp());
  out.complaint_rate_max_bp = rate(t.complaint_rate_max_bp(), d.complaint_rate_max_bp());
  out.callback_handling_bp = rate(t.callback_handling_bp(), d.callback_handling_bp());
  out.response_on_time_bp = rate(t.response_on_time_bp(), d.response_on_time_bp());
  out.resolve_on_time_bp = rate(t.resolve_on_time_bp(), d.resolve_on_time_bp());
  out.manager_quota_bp = rate(t.manager_callback_quota_bp(), d.manager_callback_quota_bp());
  out.supervisor_quota_bp =
      rate(t.supervisor_callback_quota_bp(), d.supervisor_callback_quota_bp());
  out.repair_lead_quota_bp =
      rate(t.repair_lead_callback_quota_bp(), d.repair_lead_callback_quota_bp());
  out.managers.assign(t.managers().begin(), t.managers().end());
  out.supervisors.assign(t.supervisors().begin(), t.supervisors().end());
  out.repair_leads.assign(t.repair_leads().begin(), t.repair_leads().end());
  return out;
}

v1::KpiResult evaluate(const std::string& kpi, const v1::Ratio& actual, int target_bp,
                       bool ceiling) {
  v1::KpiResult r;
  r.set_kpi(kpi);
  *r.mutable_actual() = actual;
  r.set_target_bp(target_bp);
  r.set_ceiling(ceiling);
  const int64_t n = actual.numerator(), d = actual.denominator();
  r.set_measured(d > 0);
  if (d <= 0) {
    r.set_met(true);
    return r;
  }
  // n/d >= t/10000  <=>  n * 10000 >= t * d (counts stay far below the int64 range).
  const bool met =
      ceiling ? n * 10000 < int64_t{target_bp} * d : n * 10000 >= int64_t{target_bp} * d;
  r.set_met(met);
  if (!met) {
    int gap = ceiling ? actual.basis_points() - target_bp : target_bp - actual.basis_points();
    r.set_gap_bp(std::max(gap, 1));  // missed by less than half a basis point still shows
  }
  return r;
}

std::vector<v1::KpiResult> evaluate(const Figures& f, const Targets& t) {
  std::vector<v1::KpiResult> out;
  auto add = [&](const std::optional<v1::Ratio>& figure, const char* kpi, int target,
                 bool ceiling) {
    if (figure) out.push_back(evaluate(kpi, *figure, target, ceiling));
  };
  add(f.satisfaction, kSatisfaction, t.satisfaction_bp, false);
  add(f.fee_collection, kFeeCollection, t.fee_collection_bp, false);
  add(f.complaint_rate, kComplaintRate, t.complaint_rate_max_bp, true);
  add(f.callback_handling, kCallbackHandling, t.callback_handling_bp, false);
  add(f.response_on_time, kResponseOnTime, t.response_on_time_bp, false);
  add(f.resolve_on_time, kResolveOnTime, t.resolve_on_time_bp, false);
  return out;
}

std::vector<v1::KpiResult> missed(const std::vector<v1::KpiResult>& kpis) {
  std::vector<v1::KpiResult> out;
  for (const auto& k : kpis)
    if (!k.met()) out.push_back(k);
  return out;
}

std::vector<v1::CallbackQuota> quotas(int64_t done, const std::vector<RecorderCount>& by_recorder,
                                      const Targets& t) {
  const struct {
    const char* title;
    const std::vector<std::string>& staff;
    int quota_bp;
  } titles[] = {{"manager", t.managers, t.manager_quota_bp},
                {"supervisor", t.supervisors, t.supervisor_quota_bp},
                {"repair_lead", t.repair_leads, t.repair_lead_quota_bp}};
  std::vector<v1::CallbackQuota> out;
  for (const auto& title : titles) {
    std::set<std::string> staff(title.staff.begin(), title.staff.end());
    int64_t by_title = 0;
    for (const RecorderCount& c : by_recorder)
      if (staff.contains(c.recorded_by)) by_title += c.done;
    v1::CallbackQuota q;
    q.set_title(title.title);
    *q.mutable_share() = ratio(by_title, done);
    q.set_quota_bp(title.quota_bp);
    q.set_met(done <= 0 || by_title * 10000 >= int64_t{title.quota_bp} * done);
    out.push_back(std::move(q));
  }
  return out;
}

void rank_projects(std::vector<v1::ProjectKpis>* projects) {
  for (auto& p : *projects) {
    int met = 0, gap = 0;
    for (const auto& k : p.kpis()) {
      met += k.met() ? 1 : 0;
      gap += k.gap_bp();
    }
    p.set_targets_met(met);
    p.set_gap_bp(gap);
  }
  std::sort(projects->begin(), projects->end(),
            [](const v1::ProjectKpis& a, const v1::ProjectKpis& b) {
              if (a.targets_met() != b.targets_met()) return a.targets_met() > b.targets_met();
              if (a.gap_bp() != b.gap_bp()) return a.gap_bp() < b.gap_bp();
              return a.project_id() < b.project_id();
            });
  int rank = 0;
  for (auto& p : *projects) p.set_rank(++rank);
}

std::vector<v1::KpiResult> totals(const std::vector<v1::ProjectKpis>& projects,
                                  const Targets& targets) {
  // Summed per KPI over the projects that reported it; the targets and their direction are the
  // platform's (evaluate with one figure per KPI).
  std::map<std::string, std::pair<int64_t, int64_t>> sums;
  for (const auto& p : projects)
    for (const auto& k : p.kpis()) {
      auto& [n, d] = sums[k.kpi()];
      n += k.actual().numerator();
      d += k.actual().denominator();
    }
  Figures f;
  auto figure = [&](const char* kpi) -> std::optional<v1::Ratio> {
    auto it = sums.find(kpi);
    if (it == sums.end()) return std::nullopt;
    return ratio(it->second.first, it->second.second);
  };
  f.satisfaction = figure(kSatisfaction);
  f.fee_collection = figure(kFeeCollection);
  f.complaint_rate = figure(kComplaintRate);
  f.callback_handling = figure(kCallbackHandling);
  f.response_on_time = figure(kResponseOnTime);
  f.resolve_on_time = figure(kResolveOnTime);
  return evaluate(f, targets);
}

WorstParties worst_parties(const std::vector<v1::RepairReportResponse>& reports, int limit) {
  struct Sum {
    v1::PartyRates rates;
    int64_t reworks = 0, on_time = 0, decided = 0;
  };
  std::map<std::pair<std::string, int>, Sum> sums;
  for (const auto& report : reports)
    for (const auto& p : report.by_party()) {
      if (p.kind() != v1::PARTY_KIND_BUILDER && p.kind() != v1::PARTY_KIND_CONTRACTOR) continue;
      Sum& s = sums[{p.party_id(), static_cast<int>(p.kind())}];
      s.rates.set_party_id(p.party_id());
      s.rates.set_kind(p.kind());
      s.rates.set_projects(s.rates.projects() + 1);
      s.rates.set_signed_off(s.rates.signed_off() + p.signed_off());
      s.reworks += p.reworks();
      s.on_time += p.onsite_on_time().numerator();
      s.decided += p.onsite_on_time().denominator();
    }
  std::vector<v1::PartyRates> builders, contractors;
  for (auto& [key, s] : sums) {
    *s.rates.mutable_rework_rate() = ratio(s.reworks, s.rates.signed_off());
    *s.rates.mutable_on_time_rate() = ratio(s.on_time, s.decided);
    (s.rates.kind() == v1::PARTY_KIND_BUILDER ? builders : contractors).push_back(s.rates);
  }
  // a/b against c/d exactly; x/0 is `empty` (0 for rework, 1 for on time).
  auto less = [](const v1::Ratio& a, const v1::Ratio& b, int64_t empty) {
    __int128 an = a.denominator() > 0 ? a.numerator() : empty,
             ad = std::max<int64_t>(a.denominator(), 1);
    __int128 bn = b.denominator() > 0 ? b.numerator() : empty,
             bd = std::max<int64_t>(b.denominator(), 1);
    return an * bd < bn * ad;
  };
  auto worse = [&](const v1::PartyRates& a, const v1::PartyRates& b) {
    if (less(b.rework_rate(), a.rework_rate(), 0)) return true;
    if (less(a.rework_rate(), b.rework_rate(), 0)) return false;
    if (less(a.on_time_rate(), b.on_time_rate(), 1)) return true;
    if (less(b.on_time_rate(), a.on_time_rate(), 1)) return false;
    if (a.signed_off() != b.signed_off()) return a.signed_off() > b.signed_off();
    return a.party_id() < b.party_id();
  };
  WorstParties out;
  for (auto* list : {&builders, &contractors}) {
    std::sort(list->begin(), list->end(), worse);
    if (static_cast<int>(list->size()) > limit) list->resize(std::max(limit, 0));
  }
  out.builders = std::move(builders);
  out.contractors = std::move(contractors);
  return out;
}

std::string period_label(const v1::ReportPeriod& p) {
  char out[32];
  switch (p.granularity()) {
    case v1::REPORT_GRANULARITY_WEEK:
      std::snprintf(out, sizeof out, "%04d-W%02d", p.year(), p.index());
      break;
    case v1::REPORT_GRANULARITY_MONTH:
      std::snprintf(out, sizeof out, "%04d-%02d", p.year(), p.index());
      break;
    case v1::REPORT_GRANULARITY_QUARTER:
      std::snprintf(out, sizeof out, "%04d-Q%d", p.year(), p.index());
      break;
    case v1::REPORT_GRANULARITY_YEAR:
      std::snprintf(out, sizeof out, "%04d", p.year());
      break;
    default:
      return "";
  }
  return out;
}

bool parse_period_label(const std::string& text, v1::ReportPeriod* out) {
  auto digits = [&](size_t from, size_t count) {
    if (from + count > text.size()) return -1;
    int value = 0;
    for (size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  int year = digits(0, 4);
  if (year < 0) return false;
  v1::ReportPeriod p;
  p.set_year(year);
  if (text.size() == 4) {
    p.set_granularity(v1::REPORT_GRANULARITY_YEAR);
  } else if (text.size() == 7 && text[4] == '-' && text[5] == 'Q') {
    p.set_granularity(v1::REPORT_GRANULARITY_QUARTER);
    p.set_index(digits(6, 1));
  } else if (text.size() == 7 && text[4] == '-') {
    p.set_granularity(v1::REPORT_GRANULARITY_MONTH);
    p.set_index(digits(5, 2));
  } else if (text.size() == 8 && text[4] == '-' && text[5] == 'W') {
    p.set_granularity(v1::REPORT_GRANULARITY_WEEK);
    p.set_index(digits(6, 2));
  } else {
    return false;
  }
  if (p.index() < 0) return false;
  *out = p;
  return true;
}

std::vector<v1::ReportPeriod> last_closed_periods(absl::CivilDay today) {
  auto period = [](v1::ReportGranularity g, int year, int index) {
    v1::ReportPeriod p;
    p.set_granularity(g);
    p.set_year(year);
    p.set_index(index);
    return p;
  };
  absl::CivilMonth month = absl::CivilMonth(today) - 1;
  int quarter = (today.month() - 1) / 3 + 1;  // the current one
  int q_year = static_cast<int>(today.year());
  if (--quarter == 0) {
    quarter = 4;
    --q_year;
  }
  // The ISO week that ended last: the one holding the Sunday before this week's Monday; its
  // week-year is its Thursday's year.
  absl::CivilDay thursday = iso_week_start(iso_week_start(today) - 1) + 3;
  absl::CivilDay jan1(thursday.year(), 1, 1);
  int week = static_cast<int>((thursday - jan1) / 7) + 1;
  return {period(v1::REPORT_GRANULARITY_MONTH, static_cast<int>(month.year()), month.month()),
          period(v1::REPORT_GRANULARITY_QUARTER, q_year, quarter),
          period(v1::REPORT_GRANULARITY_YEAR, static_cast<int>(today.year()) - 1, 0),
          period(v1::REPORT_GRANULARITY_WEEK, static_cast<int>(thursday.year()), week)};
}

std::string kpi_alert_id(const std::string& project_id, const v1::ReportPeriod& period) {
  return message_id_for("kpi-alert:" + project_id + ":" + period_label(period));
}

}  // namespace aftercare::callback::domain
