// aftercare-dispatch: config, wire, run.
#include <cstdio>

#include "common/service_host.h"
#include "dispatch/dispatch_service.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("dispatch", argc, argv));
    // Late-builder sweeper and appointment reminders; at most 30 s apart by default.
    auto sweep_interval =
        std::chrono::seconds(std::stoi(kit::env_or("AFTERCARE_DISPATCH_SWEEP_INTERVAL_S", "30")));
    if (sweep_interval.count() < 1)
      throw std::invalid_argument("AFTERCARE_DISPATCH_SWEEP_INTERVAL_S must be >= 1");
    host.migrate(generated::dispatch_migrations());
    dispatch::DispatchServiceImpl service(host.db(), host.outbox());
    host.add_service(&service);
    host.add_outbox_relay();
    host.add_consumer(
        {"dispatch.inbound", {"aftercare.intake.v1", "aftercare.callback.v1"}},
        [&](pqxx::work& tx, const aftercare::v1::Event& e) { service.apply_event(tx, e); });
    host.add_worker("reroute-sweeper",
                    [&](std::stop_token stop) { service.run_sweeper(stop, sweep_interval); });
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-dispatch: %s\n", e.what());
    return 1;
  }
}
