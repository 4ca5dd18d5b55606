// aftercare-intake: config, wire, run.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "common/service_host.h"
#include "intake/handover_service.h"
#include "intake/intake_service.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("intake", argc, argv));
    host.migrate(generated::intake_migrations());
    intake::IntakeServiceImpl service(host.db(), host.outbox());
    host.add_service(&service);
    intake::HandoverServiceImpl handover(host.db(), host.outbox());  // issue 19
    host.add_service(&handover);
    host.add_outbox_relay();
    // Work orders move tickets along; callbacks close or reopen them.
    host.add_consumer({"intake.progress", {"aftercare.dispatch.v1", "aftercare.callback.v1"}},
                      [&](pqxx::work& tx, const v1::Event& e) { service.apply_event(tx, e); });
    host.add_periodic({"sla-sweeper", std::chrono::seconds(30)},
                      [&](std::stop_token) { service.sweep_sla(absl::Now()); });
    host.add_periodic({"announcement-sweeper", std::chrono::seconds(15)},
                      [&](std::stop_token) { service.sweep_announcements(absl::Now()); });
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-intake: %s\n", e.what());
    return 1;
  }
}
