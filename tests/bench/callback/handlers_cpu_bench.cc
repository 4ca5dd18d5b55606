// Issue 21: CPU per event of the handlers the ticket path runs in callback, billing and loyalty,
// in the handler's process and in its PostgreSQL backend, without Kafka: each service's handler
// applies N rounds of its events to a fresh database through a pool of one connection, 20
// events per transaction (as the kit consumer applies a fetched batch). Process CPU from
// getrusage (this process: only the handler runs), the backend's from /proc/<pid>/stat.
//   AFTERCARE_TEST_PG_PORT=... handlers_cpu_bench [rounds=1000]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "billing/billing_service.h"
#include "callback/app/events.h"
#include "callback/callback_service.h"
#include "callback/domain/dates.h"
#include "callback/domain/events.h"
#include "loyalty/loyalty_service.h"
#include "support/test_server.h"

namespace v1 = aftercare::v1;
using namespace aftercare;

namespace {

double process_cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

double backend_cpu_ms(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return (utime + stime) * 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

v1::Event event(const std::string& project, const std::string& type, const std::string& aggregate) {
  v1::Event e;
  e.set_event_id(kit::new_uuid());
  e.set_type(type);
  e.set_project_id(project);
  e.set_aggregate_id(aggregate);
  e.set_producer(type.substr(0, type.find('.')));
  return e;
}

using Handler = std::function<void(pqxx::work&, const v1::Event&)>;
using Round = std::function<std::vector<v1::Event>(int)>;

// Applies `setup`, warms up, then measures `rounds` rounds; prints one line.
void measure(const std::string& name, kit::PgPool& pool, const Handler& handle,
             const std::vector<v1::Event>& setup, const Round& round, int rounds) {
  auto apply = [&](const std::vector<v1::Event>& events) {
    for (size_t i = 0; i < events.size(); i += 20)
      pool.in_transaction([&](pqxx::work& tx) {
        for (size_t j = i; j < events.size() && j < i + 20; ++j) handle(tx, events[j]);
      });
  };
  apply(setup);
  const int backend = pool.in_transaction(
      [](pqxx::work& tx) { return tx.exec("SELECT pg_backend_pid()")[0][0].as<int>(); });
  std::vector<v1::Event> warm, events;
  for (int i = 0; i < 50; ++i)
    for (auto& e : round(-1 - i)) warm.push_back(std::move(e));
  apply(warm);
  for (int i = 0; i < rounds; ++i)
    for (auto& e : round(i)) events.push_back(std::move(e));
  const double p0 = process_cpu_ms(), b0 = backend_cpu_ms(backend);
  const auto w0 = std::chrono::steady_clock::now();
  apply(events);
  const double wall =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - w0).count();
  const double p = process_cpu_ms() - p0, b = backend_cpu_ms(backend) - b0;
  const double n = static_cast<double>(events.size());
  std::printf(
      "%-9s %6zu events: CPU per event %.3f ms (process %.3f, PostgreSQL backend %.3f), "
      "wall %.3f ms per event\n",
      name.c_str(), events.size(), (p + b) / n, p / n, b / n, wall / n);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 1000;
  const std::string project = "P-cpu";
  absl::TimeZone zone;
  absl::LoadTimeZone("Asia/Shanghai", &zone);
  const absl::Time t0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 10, 0, 0), zone);
  auto unit_of = [](int i) { return "U-" + std::to_string((i < 0 ? -i : i) % 100); };
  std::vector<v1::Event> units;
  for (int u = 0; u < 100; ++u) {
    v1::Event e = event(project, "intake.UnitUpserted", unit_of(u));
    auto* p = e.mutable_unit_upserted();
    p->set_unit_id(unit_of(u));
    p->set_owner_id("owner-" + unit_of(u));
    p->set_building("3");
    p->set_room(std::to_string(1200 + u));
    p->set_owner_phone_masked("138****0000");
    units.push_back(e);
  }
  v1::Event zone_event = event(project, "intake.ProjectUpserted", project);
  zone_event.mutable_project_upserted()->set_project_id(project);
  zone_event.mutable_project_upserted()->set_timezone("Asia/Shanghai");
  std::vector<v1::Event> setup = {zone_event};
  setup.insert(setup.end(), units.begin(), units.end());

  {  // callback: a repair's five events and a resolved complaint
    auto pool =
        testing::migrated_database("bench_callback_cpu", generated::callback_migrations(), 1);
    kit::Outbox outbox("aftercare.callback.v1", "callback");
    callback::app::EventApplier applier(outbox, [&] { return t0; });
    measure(
        "callback", *pool, std::ref(applier), setup,
        [&](int i) {
          const std::string n = std::to_string(i), unit = unit_of(i);
          const std::string ticket = "T-" + n, wo = "WO-" + n;
          std::vector<v1::Event> out;
          v1::Event e = event(project, "intake.TicketOpened", ticket);
          e.mutable_ticket_opened()->set_ticket_id(ticket);
          e.mutable_ticket_opened()->set_unit_id(unit);
          e.mutable_ticket_opened()->set_owner_id("owner-" + unit);
          out.push_back(e);
          e = event(project, "dispatch.WorkOrderCreated", wo);
          e.mutable_work_order_created()->set_work_order_id(wo);
          e.mutable_work_order_created()->set_ticket_id(ticket);
          e.mutable_work_order_created()->set_unit_id(unit);
          e.mutable_work_order_created()->set_origin(v1::WORK_ORDER_ORIGIN_INITIAL);
          out.push_back(e);
          e = event(project, "dispatch.WorkOrderScheduled", wo);
          e.mutable_work_order_scheduled()->set_work_order_id(wo);
          callback::domain::set_timestamp(
              e.mutable_work_order_scheduled()->mutable_appointment()->mutable_start(),
              t0 + absl::Hours(24));
          callback::domain::set_timestamp(
              e.mutable_work_order_scheduled()->mutable_appointment()->mutable_end(),
              t0 + absl::Hours(26));
          out.push_back(e);
          e = event(project, "dispatch.WorkOrderCompleted", wo);
          e.mutable_work_order_completed()->set_work_order_id(wo);
          out.push_back(e);
          e = event(project, "dispatch.WorkOrderSignedOff", wo);
          auto* s = e.mutable_work_order_signed_off();
          s->set_work_order_id(wo);
          s->set_ticket_id(ticket);
          s->set_unit_id(unit);
          s->set_owner_id("owner-" + unit);
          s->set_component(v1::COMPONENT_PLUMBING);
          callback::domain::set_timestamp(s->mutable_signed_off_at(), t0);
          out.push_back(e);
          e = event(project, "intake.TicketResolved", "TC-" + n);
          auto* r = e.mutable_ticket_resolved();
          r->set_ticket_id("TC-" + n);
          r->set_unit_id(unit);
          r->set_owner_id("owner-" + unit);
          r->set_kind(v1::TICKET_KIND_COMPLAINT);
          callback::domain::set_timestamp(r->mutable_resolved_at(), t0);
          out.push_back(e);
          return out;
        },
        rounds);
  }
  {  // billing: a cost advanced and a fine
    auto pool = testing::migrated_database("bench_billing_cpu", generated::billing_migrations(), 1);
    kit::Outbox outbox("aftercare.billing.v1", "billing");
    billing::BillingServiceImpl service(*pool, outbox);
    measure(
        "billing", *pool,
        [&](pqxx::work& tx, const v1::Event& e) { service.ops().apply_event(tx, e); }, setup,
        [&](int i) {
          const std::string n = std::to_string(i);
          v1::Event e = event(project, "dispatch.WarrantyCostAdvanced", "WO-" + n);
          auto* w = e.mutable_warranty_cost_advanced();
          w->set_work_order_id("WO-" + n);
          w->set_ticket_id("T-" + n);
          w->set_unit_id(unit_of(i));
          w->set_builder_party_id("B1");
          w->set_performed_by_kind(v1::PARTY_KIND_CREW);
          w->set_performed_by_party_id("CREW-1");
          w->set_cost_fen(12000);
          v1::Event f = event(project, "intake.TicketEscalated", "T-" + n);
          auto* t = f.mutable_ticket_escalated();
          t->set_ticket_id("T-" + n);
          t->set_level(1);
          t->set_fault_party(v1::FAULT_PARTY_BUILDER);
          t->set_fault_party_id("B1");
          t->set_fine_fen(20000);
          return std::vector<v1::Event>{e, f};
        },
        rounds);
  }
  {  // loyalty: a survey completed (the owner earns its points)
    auto pool = testing::migrated_database("bench_loyalty_cpu", generated::loyalty_migrations(), 1);
    kit::Outbox outbox("aftercare.loyalty.v1", "loyalty");
    loyalty::LoyaltyServiceImpl service(*pool, outbox, [&] { return t0; });
    measure(
        "loyalty", *pool,
        [&](pqxx::work& tx, const v1::Event& e) {
          if (e.has_survey_completed())
            service.HandleCallbackEvent(tx, e);
          else
            service.HandleIntakeEvent(tx, e);
        },
        setup,
        [&](int i) {
          v1::Event e = event(project, "callback.SurveyCompleted", "CB-" + std::to_string(i));
          e.mutable_survey_completed()->set_callback_id("CB-" + std::to_string(i));
          e.mutable_survey_completed()->set_owner_id("owner-" + unit_of(i));
          return std::vector<v1::Event>{e};
        },
        rounds);
  }
  return 0;
}
