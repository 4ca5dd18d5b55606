// aftercare-intake: config, wire, run.
#include "common/service_host.h"
#include "intake/handover_service.h"
#include "intake/intake_service.h"

namespace aftercare::intake {

// The service, its consumers and sweepers on the host (migrated, outbox relay added).
int wire(kit::ServiceHost& host) {
  IntakeServiceImpl service(host.db(), host.outbox());
  host.add_service(&service);
  HandoverServiceImpl handover(host.db(), host.outbox());  // issue 19
  host.add_service(&handover);
  // Work orders move tickets along; callbacks close or reopen them.
  host.add_consumer({"intake.progress", {"aftercare.dispatch.v1", "aftercare.callback.v1"}},
                    [&](pqxx::work& tx, const v1::Event& e) { service.apply_event(tx, e); });
  host.add_periodic({"sla-sweeper", std::chrono::seconds(30)},
                    [&](std::stop_token) { service.sweep_sla(absl::Now()); });
  host.add_periodic({"announcement-sweeper", std::chrono::seconds(15)},
                    [&](std::stop_token) { service.sweep_announcements(absl::Now()); });
  return host.run();
}

}  // namespace aftercare::intake

int main(int argc, char** argv) {
  return aftercare::kit::serve("intake", argc, argv, aftercare::generated::intake_migrations(),
                               aftercare::intake::wire);
}
