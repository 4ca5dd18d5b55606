#include "intake/app/app.h"

#include <set>

#include "common/time.h"
#include "intake/access.h"
#include "intake/app/ticket.h"
#include "intake/domain/dates.h"
#include "intake/domain/names.h"
#include "intake/domain/report_period.h"

namespace aftercare::intake::app {

using kit::from_timestamp;
using kit::to_timestamp;

Status list_breached_tickets(const Context& ctx, const v1::ListBreachedTicketsRequest& r,
                             absl::Time as_of, int limit, v1::ListBreachedTicketsResponse* out) {
  auto rows = ctx.db.in_transaction([&](pqxx::work& tx) {
    return store::breached(tx, r.project_id(), kit::to_micros(as_of), kMaxPageSize * 5);
  });
  for (auto& b : rows) {
    if (r.deadline() != v1::SLA_DEADLINE_UNSPECIFIED && b.deadline != r.deadline()) continue;
    if (out->breaches_size() >= limit) break;
    auto* item = out->add_breaches();
    *item->mutable_ticket() = std::move(b.ticket);
    item->set_deadline(static_cast<v1::SlaDeadline>(b.deadline));
    *item->mutable_due_at() = to_timestamp(kit::from_micros(b.due_us));
    item->set_overdue_seconds(absl::ToInt64Seconds(as_of - kit::from_micros(b.due_us)));
  }
  return Status::OK;
}

namespace {

// The response of one project from its figures (MonthlyStats and GroupStats alike).
void fill_stats(const std::string& project_id, const v1::ReportPeriod& period,
                const store::TicketStats& s, v1::MonthlyStatsResponse* out) {
  out->set_project_id(project_id);
  *out->mutable_period() = period;
  out->set_tickets_total(s.total);
  for (auto [k, n] : s.by_kind) {
    auto* t = out->add_by_kind();
    t->set_key(domain::public_name(static_cast<v1::TicketKind>(k)));
    t->set_count(n);
  }
  for (auto [k, n] : s.by_category) {
    auto* t = out->add_by_category();
    t->set_key(domain::public_name(static_cast<v1::TicketCategory>(k)));
    t->set_count(n);
  }
  for (auto [k, n] : s.repairs_by_area) {
    auto* t = out->add_repairs_by_area();
    t->set_key(domain::public_name(static_cast<v1::RepairArea>(k)));
    t->set_count(n);
  }
  *out->mutable_response_on_time() = domain::ratio(s.responded_on_time, s.response_due);
  *out->mutable_resolve_on_time() = domain::ratio(s.resolved_on_time, s.resolve_measured);
  out->set_reopened(s.reopened);
  out->set_escalated_level1(s.escalated_level1);
  out->set_escalated_level2(s.escalated_level2);
  *out->mutable_complaint_rate() = domain::ratio(s.complaints, s.total);
  out->set_fines_fen(s.fines_fen);
  out->set_duplicates_linked(s.duplicates);
}

absl::TimeZone zone_named(const std::string& name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) absl::LoadTimeZone(kDefaultTimeZone, &zone);
  return zone;
}

}  // namespace

Status monthly_stats(const Context& ctx, const v1::MonthlyStatsRequest& r,
                     const std::pair<absl::CivilDay, absl::CivilDay>& days,
                     v1::MonthlyStatsResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    auto project = store::find_project(tx, r.project_id());
    if (!project) return not_found("project " + r.project_id());
    absl::TimeZone zone = zone_named(project->timezone());
    int64_t from = kit::to_micros(absl::FromCivil(days.first, zone));
    int64_t to = kit::to_micros(absl::FromCivil(days.second, zone));
    store::TicketStats s =
        store::ticket_stats(tx, r.project_id(), from, to, kit::to_micros(ctx.now));
    fill_stats(r.project_id(), r.period(), s, out);
    return Status::OK;
  });
}

Status group_stats(const Context& ctx, const v1::GroupStatsRequest& r,
                   const std::pair<absl::CivilDay, absl::CivilDay>& days,
                   v1::GroupStatsResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    std::vector<std::string> ids(r.project_ids().begin(), r.project_ids().end());
    std::vector<store::StatsWindow> windows;
    for (const auto& [id, zone_name] : store::project_timezones(tx, ids, ids.empty())) {
      if (ids.empty() && !sees_project_stats(ctx.caller, id)) continue;
      absl::TimeZone zone = zone_named(zone_name);
      windows.push_back({id, kit::to_micros(absl::FromCivil(days.first, zone)),
                         kit::to_micros(absl::FromCivil(days.second, zone))});
    }
    for (const auto& [id, s] : store::group_ticket_stats(tx, windows, kit::to_micros(ctx.now)))
      fill_stats(id, r.period(), s, out->add_projects());
    return Status::OK;
  });
}

Status list_warranty_expiries(const Context& ctx, const v1::ListWarrantyExpiriesRequest& r,
                              absl::Time as_of, int within_days,
                              const std::optional<domain::ExpiryCursor>& after, int limit,
                              v1::ListWarrantyExpiriesResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    auto project = store::find_project(tx, r.project_id());
    if (!project) return not_found("project " + r.project_id());
    ProjectRules rules = load_rules(tx, *project, as_of);
    absl::CivilDay today = domain::local_day(as_of, rules.zone);
    std::set<int> periods;
    for (const auto& [component, years] : rules.policy.warranty_years) periods.insert(years);
    std::vector<std::pair<absl::CivilDay, absl::CivilDay>> windows;
    for (int years : periods) windows.push_back(domain::handover_window(today, within_days, years));
    auto units = store::units_handed_over(tx, r.project_id(), windows);
    auto expiries = domain::warranty_expiries(units, rules.policy, today, within_days, after);
    for (const auto& e : expiries) {
      if (out->expiries_size() == limit) {
        const auto& last = expiries[limit - 1];
        out->set_next_page_token(
            domain::format_cursor({last.ends, last.unit_id, static_cast<int>(last.component)}));
        break;
      }
      auto* item = out->add_expiries();
      item->set_unit_id(e.unit_id);
      item->set_building(e.building);
      item->set_room(e.room);
      item->set_component(e.component);
      *item->mutable_warranty_ends() = domain::to_date(e.ends);
      item->set_days_left(e.days_left);
      item->set_owner_id(e.owner_id);
    }
    return Status::OK;
  });
}

int sweep_sla(kit::PgPool& db, const kit::Outbox& outbox, absl::Time now) {
  return db.in_transaction([&](pqxx::work& tx) {
    int announced = 0;
    for (auto& b : store::breached(tx, "", kit::to_micros(now), 500)) {
      if (!store::record_breach(tx, b.ticket.ticket_id(), b.deadline, b.due_us,
                                kit::to_micros(now)))
        continue;
      ++announced;
      Tickets tickets(tx, outbox, now);
      auto deadline = static_cast<v1::SlaDeadline>(b.deadline);
      tickets.history(b.ticket, "service:intake", "sla_breached",
                      domain::public_name(deadline) + " deadline " +
                          absl::FormatTime(kit::from_micros(b.due_us)) + " passed");
      v1::Event e = event(b.ticket);
      auto* p = e.mutable_sla_breached();
      p->set_ticket_id(b.ticket.ticket_id());
      p->set_deadline(deadline);
      *p->mutable_due_at() = to_timestamp(kit::from_micros(b.due_us));
      *p->mutable_detected_at() = to_timestamp(now);
      p->set_kind(b.ticket.kind());
      p->set_urgency(b.ticket.urgency());
      p->set_escalation_level(b.ticket.escalation_level());
      p->set_owner_agent(b.ticket.owner_agent());
      outbox.add(tx, e);
    }
    return announced;
  });
}

}  // namespace aftercare::intake::app
