#include "callback/app/targets.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "absl/strings/numbers.h"
#include "aftercare/v1/billing.grpc.pb.h"
#include "aftercare/v1/dispatch.grpc.pb.h"
#include "aftercare/v1/events.pb.h"
#include "aftercare/v1/intake.grpc.pb.h"
#include "callback/domain/dates.h"
#include "callback/domain/stats.h"
#include "callback/domain/targets.h"
#include "callback/store/callback_store.h"
#include "callback/store/targets_store.h"
#include "common/refusal.h"
#include "common/time.h"

namespace aftercare::callback::app {
namespace {

namespace v1 = aftercare::v1;

constexpr auto kSourceDeadline = std::chrono::seconds(5);
constexpr int kDefaultAlertPage = 50;
constexpr int kMaxAlertPage = 200;
constexpr size_t kMaxAckNoteChars = 2000;
constexpr int kDefaultWorst = 10;  // parties per worst list of the group view

bool uuid_shaped(const std::string& id) {
  return id.size() == 36 && id.find_first_not_of("0123456789abcdef-") == std::string::npos;
}

// A source's answer: the response, nullopt when it did not answer, a refusal passed on.
template <typename Response>
std::optional<Response> answer(const grpc::Status& status, Response response, const char* source) {
  if (status.ok()) return response;
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::PERMISSION_DENIED:
      throw kit::Refusal(status);
    default:
      spdlog::warn("scorecard: {} did not answer: {}", source, status.error_message());
      return std::nullopt;
  }
}

// The period's local bounds; the period was validated by the caller.
std::pair<absl::Time, absl::Time> bounds(const v1::ReportPeriod& period, absl::TimeZone zone) {
  domain::PeriodDays days;
  std::string error = domain::period_days(period, &days);
  if (!error.empty()) throw kit::Refusal(kit::invalid_field("period", error));
  return {domain::start_of_local_day(days.first, zone), domain::start_of_local_day(days.end, zone)};
}

// Everything but the remote figures: callback's counts, the quotas. In one read transaction.
struct LocalFigures {
  store::TargetContext context;
  store::ProjectTotals totals;
  std::vector<domain::RecorderCount> by_recorder;
  absl::Time from, to;
};

LocalFigures local_figures(kit::PgPool& db, const std::string& project_id,
                           const v1::ReportPeriod& period) {
  return db.in_transaction([&](pqxx::work& tx) {
    // A project intake registered a moment ago may not have reached callback yet: the platform
    // targets and time zone until its events arrive (like the callback statistics).
    store::TargetContext context = store::load_targets(tx, project_id)
                                       .value_or(store::TargetContext{domain::Targets::defaults(),
                                                                      domain::zone_or_default("")});
    auto [from, to] = bounds(period, context.zone);
    return LocalFigures{context, store::project_totals(tx, project_id, from, to),
                        store::done_by_recorder(tx, project_id, from, to), from, to};
  });
}

// Callback's own KPIs of a project's period.
domain::Figures own_figures(const store::ProjectTotals& t) {
  domain::Figures f;
  f.satisfaction = domain::ratio(t.satisfied + t.basically_satisfied, t.done);
  f.complaint_rate = domain::ratio(t.unsatisfied, t.done);
  f.callback_handling = domain::ratio(t.done, t.due);
  return f;
}

v1::ScorecardResponse assemble(const std::string& project_id, const v1::ReportPeriod& period,
                               const LocalFigures& local, KpiSources* sources,
                               const kit::Caller& caller, absl::Time now) {
  domain::Figures f = own_figures(local.totals);
  const store::ProjectTotals& t = local.totals;
  v1::ScorecardResponse out;
  if (sources) {
    if (auto s = sources->ticket_stats(caller, project_id, period)) {
      f.response_on_time = s->response_on_time();
      f.resolve_on_time = s->resolve_on_time();
    } else {
      out.add_incomplete("intake");
    }
    if (auto b = sources->billing_report(caller, project_id, period)) {
      f.fee_collection = b->fee_collection_rate();
    } else {
      out.add_incomplete("billing");
    }
  } else {
    out.add_incomplete("intake");
    out.add_incomplete("billing");
  }
  out.set_project_id(project_id);
  *out.mutable_period() = period;
  int met = 0;
  for (auto& k : domain::evaluate(f, local.context.targets)) {
    met += k.met() ? 1 : 0;
    *out.add_kpis() = std::move(k);
  }
  out.set_targets_met(met);
  for (auto& q : domain::quotas(t.done, local.by_recorder, local.context.targets))
    *out.add_quotas() = std::move(q);
  out.set_closed(now >= local.to);
  return out;
}

}  // namespace

std::optional<v1::MonthlyStatsResponse> GrpcKpiSources::ticket_stats(
    const kit::Caller& caller, const std::string& project_id, const v1::ReportPeriod& period) {
  auto stub = v1::IntakeService::NewStub(intake_);
  v1::MonthlyStatsRequest request;
  request.set_project_id(project_id);
  *request.mutable_period() = period;
  v1::MonthlyStatsResponse response;
  auto context = kit::client_context(caller, kSourceDeadline);
  grpc::Status status = stub->MonthlyStats(context.get(), request, &response);
  return answer(status, std::move(response), "intake");
}

std::optional<v1::ProjectReportResponse> GrpcKpiSources::billing_report(
    const kit::Caller& caller, const std::string& project_id, const v1::ReportPeriod& period) {
  auto stub = v1::BillingService::NewStub(billing_);
  v1::ProjectReportRequest request;
  request.set_project_id(project_id);
  *request.mutable_period() = period;
  v1::ProjectReportResponse response;
  auto context = kit::client_context(caller, kSourceDeadline);
  grpc::Status status = stub->ProjectReport(context.get(), request, &response);
  return answer(status, std::move(response), "billing");
}

namespace {

// One asynchronous call of the group view: its context, request, answer and completion.
template <typename Request, typename Response>
struct PendingCall {
  std::unique_ptr<grpc::ClientContext> context;
  Request request;
  Response response;
  std::promise<grpc::Status> done;
  std::shared_future<grpc::Status> result = done.get_future().share();
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::shared_ptr<void> stub;  // kept until the call completes
};

template <typename Request, typename Response>
std::shared_ptr<PendingCall<Request, Response>> pending(const kit::Caller& caller,
                                                        const std::vector<std::string>& ids,
                                                        const v1::ReportPeriod& period) {
  auto call = std::make_shared<PendingCall<Request, Response>>();
  call->context = kit::client_context(caller, kSourceDeadline);
  *call->request.mutable_period() = period;
  for (const auto& id : ids) call->request.add_project_ids(id);
  return call;
}

// The answer of a group call by project id; nullopt when the source did not answer.
template <typename Call>
auto by_project(Call& call, const char* source) {
  grpc::Status status = call->result.get();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  call->started)
                .count();
  spdlog::debug("group report: {} answered in {} ms ({})", source, ms,
                status.ok() ? "ok" : status.error_message());
  using Row = std::decay_t<decltype(call->response.projects(0))>;
  std::optional<std::map<std::string, Row>> out;
  if (auto answered = answer(status, std::move(call->response), source)) {
    out.emplace();
    for (auto& row : *answered->mutable_projects()) (*out)[row.project_id()] = std::move(row);
  }
  return out;
}

}  // namespace

std::future<GroupFigures> GrpcKpiSources::group_figures(const kit::Caller& caller,
                                                        const std::vector<std::string>& ids,
                                                        const v1::ReportPeriod& period) {
  // The three calls start now, through gRPC's callback API; get() waits for their answers.
  auto tickets = pending<v1::GroupStatsRequest, v1::GroupStatsResponse>(caller, ids, period);
  auto billing =
      pending<v1::GroupProjectReportRequest, v1::GroupProjectReportResponse>(caller, ids, period);
  auto repairs =
      pending<v1::GroupRepairReportRequest, v1::GroupRepairReportResponse>(caller, ids, period);
  auto intake = std::shared_ptr<v1::IntakeService::Stub>(v1::IntakeService::NewStub(intake_));
  tickets->stub = intake;
  intake->async()->GroupStats(tickets->context.get(), &tickets->request, &tickets->response,
                              [tickets](grpc::Status s) { tickets->done.set_value(std::move(s)); });
  auto billing_stub =
      std::shared_ptr<v1::BillingService::Stub>(v1::BillingService::NewStub(billing_));
  billing->stub = billing_stub;
  billing_stub->async()->GroupProjectReport(
      billing->context.get(), &billing->request, &billing->response,
      [billing](grpc::Status s) { billing->done.set_value(std::move(s)); });
  if (dispatch_) {
    auto dispatch =
        std::shared_ptr<v1::DispatchService::Stub>(v1::DispatchService::NewStub(dispatch_));
    repairs->stub = dispatch;
    dispatch->async()->GroupRepairReport(
        repairs->context.get(), &repairs->request, &repairs->response,
        [repairs](grpc::Status s) { repairs->done.set_value(std::move(s)); });
  } else {
    repairs->done.set_value(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no dispatch address"));
  }
  return std::async(std::launch::deferred, [tickets, billing, repairs] {
    GroupFigures f;
    // Wait for all three before a refusal is thrown, so no call outlives its use.
    tickets->result.wait();
    billing->result.wait();
    repairs->result.wait();
    f.tickets = by_project(tickets, "intake");
    f.billing = by_project(billing, "billing");
    f.repairs = by_project(repairs, "dispatch");
    return f;
  });
}

v1::ScorecardResponse scorecard(kit::PgPool& db, KpiSources* sources, const kit::Caller& caller,
                                const std::string& project_id, const v1::ReportPeriod& period,
                                absl::Time now) {
  LocalFigures local = local_figures(db, project_id, period);
  return assemble(project_id, period, local, sources, caller, now);
}

CloseResult close_periods(kit::PgPool& db, const kit::Outbox& outbox, KpiSources* sources,
                          absl::Time now, absl::Duration grace) {
  const kit::Caller service{"callback", kit::Role::service, {"*"}, {}, ""};
  CloseResult result;
  auto projects = db.in_transaction([](pqxx::work& tx) { return store::known_projects(tx); });
  for (const store::KnownProject& project : projects) {
    absl::TimeZone zone = domain::zone_or_default(project.timezone);
    for (const v1::ReportPeriod& period :
         domain::last_closed_periods(domain::local_day(now - grace, zone))) {
      const std::string label = domain::period_label(period);
      domain::PeriodDays days;
      domain::period_days(period, &days);
      const absl::Time period_end = domain::start_of_local_day(days.end, zone);
      if (project.first_seen >= period_end)
        continue;  // registered after the period: nothing to judge
      bool done = db.in_transaction(
          [&](pqxx::work& tx) { return store::period_closed(tx, project.project_id, label); });
      if (done) continue;
      v1::ScorecardResponse card;
      try {
        card = scorecard(db, sources, service, project.project_id, period, now);
      } catch (const kit::Refusal& e) {
        spdlog::warn("period close {} {}: {}", project.project_id, label, e.what());
        ++result.deferred;
        continue;
      }
      if (card.incomplete_size() > 0) {
        ++result.deferred;
        continue;
      }
      std::vector<v1::KpiResult> kpis(card.kpis().begin(), card.kpis().end());
      std::vector<v1::KpiResult> missed = domain::missed(kpis);
      db.in_transaction([&](pqxx::work& tx) {
        if (!store::insert_period_close(tx, project.project_id, label,
                                        static_cast<int>(missed.size()), now))
          return;  // another replica closed it first
        ++result.closed;
        if (missed.empty()) return;
        v1::KpiAlert alert;
        alert.set_alert_id(domain::kpi_alert_id(project.project_id, period));
        alert.set_project_id(project.project_id);
        *alert.mutable_period() = period;
        alert.set_period_label(label);
        for (const auto& k : missed) *alert.add_missed() = k;
        *alert.mutable_raised_at() = kit::to_timestamp(kit::truncate_to_micros(now));
        store::insert_alert(tx, alert);
        v1::Event e;
        e.set_project_id(project.project_id);
        e.set_aggregate_id(alert.alert_id());
        auto* p = e.mutable_kpi_target_missed();
        p->set_alert_id(alert.alert_id());
        *p->mutable_period() = period;
        p->set_period_label(label);
        *p->mutable_missed() = alert.missed();
        *p->mutable_period_end() = kit::to_timestamp(period_end);
        outbox.add(tx, e);
        ++result.alerts;
      });
    }
  }
  if (result.closed + result.deferred > 0)
    spdlog::info("period close: {} closed, {} alerts, {} deferred", result.closed, result.alerts,
                 result.deferred);
  return result;
}

v1::GroupReportResponse group_report(kit::PgPool& db, KpiSources* sources,
                                     const kit::Caller& caller, const v1::GroupReportRequest& r,
                                     absl::Time now) {
  v1::ReportPeriod period;
  domain::PeriodDays days;
  if (!domain::parse_period_label(r.period(), &period))
    throw kit::Refusal(kit::invalid_field("period", "must be YYYY-MM, YYYY-Www, YYYY-Qn or YYYY"));
  if (std::string e = domain::period_days(period, &days); !e.empty())
    throw kit::Refusal(kit::invalid_field("period", e));
  if (r.worst() < 0 || r.worst() > 100)
    throw kit::Refusal(kit::invalid_field("worst", "must be between 0 and 100"));
  const int worst = r.worst() == 0 ? kDefaultWorst : r.worst();
  auto started = std::chrono::steady_clock::now();
  // The projects of the view: every project callback knows that the caller sees, with its
  // targets and time zone (the one read callback needs before asking the others).
  auto targets = db.in_transaction([](pqxx::work& tx) { return store::all_targets(tx); });
  std::vector<std::string> ids;
  std::vector<store::TotalsWindow> windows;
  for (const auto& [id, context] : targets) {
    if (!caller.sees_project(id)) continue;
    ids.push_back(id);
    windows.push_back({id, domain::start_of_local_day(days.first, context.zone),
                       domain::start_of_local_day(days.end, context.zone)});
  }
  // intake, billing and dispatch work while callback counts its own figures.
  std::optional<std::future<GroupFigures>> remote;
  if (sources && !ids.empty()) remote = sources->group_figures(caller, ids, period);
  struct Local {
    std::map<std::string, store::ProjectTotals> totals;
    std::map<std::string, std::vector<domain::RecorderCount>> by_recorder;
  };
  Local local = db.in_transaction([&](pqxx::work& tx) {
    return Local{store::group_project_totals(tx, windows),
                 store::group_done_by_recorder(tx, windows)};
  });
  auto counted = std::chrono::steady_clock::now();
  GroupFigures figures;
  if (remote) figures = remote->get();
  auto answered = std::chrono::steady_clock::now();
  std::set<std::string> incomplete;
  if (sources == nullptr || !figures.tickets) incomplete.insert("intake");
  if (sources == nullptr || !figures.billing) incomplete.insert("billing");
  if (sources == nullptr || !figures.repairs) incomplete.insert("dispatch");
  if (ids.empty()) incomplete.clear();
  v1::GroupReportResponse out;
  out.set_period(r.period());
  *out.mutable_report_period() = period;
  std::vector<v1::ProjectKpis> rows;
  for (const std::string& id : ids) {
    domain::Figures f = own_figures(local.totals[id]);
    if (figures.tickets) {
      auto it = figures.tickets->find(id);
      if (it != figures.tickets->end()) {
        f.response_on_time = it->second.response_on_time();
        f.resolve_on_time = it->second.resolve_on_time();
      } else {
        incomplete.insert("intake");  // intake has not heard of the project yet
      }
    }
    if (figures.billing) {
      auto it = figures.billing->find(id);
      if (it != figures.billing->end())
        f.fee_collection = it->second.fee_collection_rate();
      else
        incomplete.insert("billing");
    }
    v1::ProjectKpis row;
    row.set_project_id(id);
    for (auto& k : domain::evaluate(f, targets.at(id).targets)) *row.add_kpis() = std::move(k);
    rows.push_back(std::move(row));
  }
  domain::rank_projects(&rows);
  for (auto& k : domain::totals(rows, domain::Targets::defaults()))
    *out.add_totals() = std::move(k);
  for (auto& row : rows) *out.add_projects() = std::move(row);
  if (figures.repairs) {
    std::vector<v1::RepairReportResponse> reports;
    for (auto& [id, report] : *figures.repairs) reports.push_back(std::move(report));
    domain::WorstParties w = domain::worst_parties(reports, worst);
    for (auto& p : w.builders) *out.add_worst_builders() = std::move(p);
    for (auto& p : w.contractors) *out.add_worst_contractors() = std::move(p);
  }
  for (const auto& i : incomplete) out.add_incomplete(i);
  using ms = std::chrono::milliseconds;
  spdlog::info(
      "group report {}: {} projects; callback's counts {} ms, waited for intake, billing and "
      "dispatch {} ms more, assembled {} ms",
      r.period(), ids.size(), std::chrono::duration_cast<ms>(counted - started).count(),
      std::chrono::duration_cast<ms>(answered - counted).count(),
      std::chrono::duration_cast<ms>(std::chrono::steady_clock::now() - answered).count());
  return out;
}

v1::ListKpiAlertsResponse list_alerts(kit::PgPool& db, const kit::Caller& caller,
                                      const v1::ListKpiAlertsRequest& r) {
  store::AlertPage page;
  page.project_id = r.project_id();
  page.open_only = r.open_only();
  if (r.page_size() < 0 || r.page_size() > kMaxAlertPage)
    throw kit::Refusal(kit::invalid_field("page_size", "must be between 0 and 200"));
  page.limit = (r.page_size() == 0 ? kDefaultAlertPage : r.page_size()) + 1;
  if (!r.page_token().empty()) {
    // "<raised_at micros>_<alert_id>"
    size_t sep = r.page_token().find('_');
    int64_t us = 0;
    if (sep == std::string::npos || sep == 0 || !uuid_shaped(r.page_token().substr(sep + 1)) ||
        !absl::SimpleAtoi(r.page_token().substr(0, sep), &us))
      throw kit::Refusal(kit::invalid_field("page_token", "is not a token of this listing"));
    page.after = std::pair{absl::FromUnixMicros(us), r.page_token().substr(sep + 1)};
  }
  if (!caller.sees_project(r.project_id())) throw kit::not_found("project " + r.project_id());
  v1::ListKpiAlertsResponse out;
  db.in_transaction([&](pqxx::work& tx) {
    if (!store::load_targets(tx, r.project_id())) throw kit::not_found("project " + r.project_id());
    auto alerts = store::list_alerts(tx, page);
    bool more = static_cast<int>(alerts.size()) == page.limit;
    if (more) alerts.pop_back();
    for (auto& a : alerts) *out.add_alerts() = std::move(a);
    if (more && out.alerts_size() > 0) {
      const v1::KpiAlert& last = out.alerts(out.alerts_size() - 1);
      out.set_next_page_token(
          std::to_string(absl::ToUnixMicros(kit::from_timestamp(last.raised_at()))) + "_" +
          last.alert_id());
    }
  });
  return out;
}

v1::KpiAlert acknowledge_alert(kit::PgPool& db, const kit::Caller& caller,
                               const v1::AcknowledgeKpiAlertRequest& r, absl::Time now) {
  if (r.note().size() > kMaxAckNoteChars)
    throw kit::Refusal(kit::invalid_field("note", "at most 2000 characters"));
  if (!uuid_shaped(r.alert_id())) throw kit::not_found("kpi alert " + r.alert_id());
  return db.in_transaction([&](pqxx::work& tx) {
    auto alert = store::load_alert(tx, r.alert_id(), true);
    if (!alert || !caller.sees_project(alert->project_id()))
      throw kit::not_found("kpi alert " + r.alert_id());
    if (alert->acknowledged()) return *alert;  // a repeat changes nothing
    store::acknowledge_alert(tx, r.alert_id(), caller.sub, r.note(), now);
    return *store::load_alert(tx, r.alert_id());
  });
}

}  // namespace aftercare::callback::app
