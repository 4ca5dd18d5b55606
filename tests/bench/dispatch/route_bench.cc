// dispatch_route_bench [--tickets N] [--batch B] [--traced]
//   Applies N TicketOpened events (in warranty, routed to a builder, as tests/bench/run's) through
//   the consumer's batch handler, B per transaction with their inbox rows as the kit writes them,
//   on one connection to a fresh database at AFTERCARE_TEST_PG_URL. Prints one line:
//   RESULT tickets= batch= wall_ms_per_ticket= cpu_ms_per_ticket_dispatch= cpu_ms_per_ticket_pg=
//   (CPU from clock(3) and /proc/<backend pid>/stat: the handler's cost split between the process
//   and its PostgreSQL backend, without Kafka). Not a test: numbers, no assertions.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/consumer.h"
#include "common/migrations.h"
#include "dispatch/dispatch_service.h"
#include "support/test_env.h"

namespace {

using aftercare::v1::Event;

// The process's CPU time, all threads (clock(3) on Linux: CLOCK_PROCESS_CPUTIME_ID).
double process_cpu_ms() {
  return 1e3 * static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

double backend_cpu_ms(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string field;
  double ticks = 0;
  for (int i = 1; in >> field && i <= 15; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);
  return ticks * 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

Event ticket_opened(int i, absl::Time reported) {
  Event e;
  e.set_event_id(aftercare::kit::new_uuid());
  e.set_type("intake.TicketOpened");
  e.set_project_id("bench-route");
  std::string id = aftercare::kit::new_uuid();
  e.set_aggregate_id(id);
  auto* t = e.mutable_ticket_opened();
  t->set_ticket_id(id);
  t->set_ticket_no("BR-" + std::to_string(i));
  t->set_unit_id("U" + std::to_string(i % 500));
  t->set_owner_id("owner-U" + std::to_string(i % 500));
  t->set_kind(aftercare::v1::TICKET_KIND_REPAIR);
  t->set_category(aftercare::v1::TICKET_CATEGORY_HOUSE_QUALITY);
  t->set_component(aftercare::v1::COMPONENT_PLUMBING);
  t->set_urgency(aftercare::v1::URGENCY_NORMAL);
  t->set_channel(aftercare::v1::CHANNEL_APP);
  t->set_description("route bench #" + std::to_string(i) + ": 卫生间天花板渗水");
  t->set_in_warranty(true);
  *t->mutable_reported_at() = aftercare::kit::to_timestamp(reported);
  *t->mutable_response_due() = aftercare::kit::to_timestamp(reported + absl::Hours(24));
  *t->mutable_resolve_due() = aftercare::kit::to_timestamp(reported + absl::Hours(24 * 7));
  t->set_recurrence(1);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aftercare;
  int tickets = 5000, batch = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--tickets") tickets = std::stoi(argv[i + 1]);
    if (flag == "--batch") batch = std::stoi(argv[i + 1]);
  }
  kit::PgPool pool(aftercare::testing::fresh_database("bench_dispatch_route"), 1);
  kit::apply_migrations(pool, "kit", kit::kit_migrations());
  kit::apply_migrations(pool, "service", generated::dispatch_migrations());
  kit::Outbox outbox("aftercare.dispatch.v1", "dispatch");
  dispatch::DispatchServiceImpl service(pool, outbox);
  int backend = pool.in_transaction([](pqxx::work& tx) {
    for (const char* kind : {"builder", "crew", "contractor"})
      tx.exec_params(
          "INSERT INTO parties (project_id, party_id, kind, name, trades, active, on_duty) "
          "VALUES ('bench-route', $1 || '-bench', $1, $1, "
          "'{house_quality,decoration,public_facility,other}', true, true)",
          kind);
    return tx.exec("SELECT pg_backend_pid()")[0][0].as<int>();
  });
  absl::Time reported = absl::Now() - absl::Minutes(5);
  std::vector<Event> events;
  for (int i = 0; i < tickets; ++i) events.push_back(ticket_opened(i, reported));

  auto apply = [&](size_t from, size_t to) {
    pool.in_transaction([&](pqxx::work& tx) {
      std::vector<std::string> ids, types;
      std::vector<kit::FetchedEvent> fetched;
      for (size_t i = from; i < to; ++i) {
        ids.push_back(events[i].event_id());
        types.push_back(events[i].type());
        fetched.push_back({&events[i], ""});
      }
      // The kit's inbox statement for a batch (common/consumer.cc).
      tx.exec_params(
          "INSERT INTO kit_inbox (consumer, event_id, event_type) SELECT $1, e.id, e.type FROM "
          "unnest($2::uuid[], $3::text[]) AS e(id, type) ON CONFLICT DO NOTHING RETURNING "
          "event_id::text",
          "bench", kit::text_array(ids), kit::text_array(types));
      service.apply_events(tx, fetched);
    });
  };
  // Warm-up (reference data, prepared statements) is not measured.
  size_t warm = std::min<size_t>(static_cast<size_t>(batch), events.size());
  apply(0, warm);
  double cpu0 = process_cpu_ms(), pg0 = backend_cpu_ms(backend);
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = warm; i < events.size(); i += static_cast<size_t>(batch))
    apply(i, std::min(events.size(), i + static_cast<size_t>(batch)));
  double wall =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  double n = static_cast<double>(events.size() - warm);
  std::printf(
      "RESULT tickets=%zu batch=%d wall_ms_per_ticket=%.3f cpu_ms_per_ticket_dispatch=%.3f "
      "cpu_ms_per_ticket_pg=%.3f\n",
      events.size() - warm, batch, wall / n, (process_cpu_ms() - cpu0) / n,
      (backend_cpu_ms(backend) - pg0) / n);
  return 0;
}
