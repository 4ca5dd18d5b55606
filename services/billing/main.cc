// aftercare-billing: config, wire, run.
#include <spdlog/spdlog.h>

#include "billing/billing_service.h"
#include "common/service_host.h"

namespace aftercare::billing {

// The service, its consumers and sweepers on the host (migrated, outbox relay added).
int wire(kit::ServiceHost& host) {
  BillingServiceImpl service(host.db(), host.outbox());
  BillingOps& ops = service.ops();
  IntakeUnitRegistry registry(kit::peer_channel("intake"));
  service.use_registry(&registry);
  host.add_service(&service);
  auto apply = [&ops](pqxx::work& tx, const v1::Event& e) { ops.apply_event(tx, e); };
  // Unit areas and owners, time zones, reminder lead, escalation fines.
  host.add_consumer({"billing.intake", {"aftercare.intake.v1"}}, apply);
  // Confirmed paid-repair quotes and warranty costs advanced for builders.
  host.add_consumer({"billing.dispatch", {"aftercare.dispatch.v1"}}, apply);
  // Reminders before the due date and overdue notices, once per invoice.
  const auto interval =
      std::chrono::seconds(kit::env_int("AFTERCARE_BILLING_SWEEP_INTERVAL_S", 30, 1));
  host.add_periodic({"billing-sweeper", interval}, [&ops](std::stop_token) {
    auto done = ops.sweep_once(absl::Now());
    if (done.reminders || done.overdue)
      spdlog::info("billing sweeper: {} reminders, {} overdue notices", done.reminders,
                   done.overdue);
  });
  return host.run();
}

}  // namespace aftercare::billing

int main(int argc, char** argv) {
  return aftercare::kit::serve("billing", argc, argv, aftercare::generated::billing_migrations(),
                               aftercare::billing::wire);
}
