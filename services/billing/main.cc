// aftercare-billing: config, wire, run.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "billing/billing_service.h"
#include "common/call.h"
#include "common/service_host.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("billing", argc, argv));
    host.migrate(generated::billing_migrations());
    billing::BillingServiceImpl service(host.db(), host.outbox());
    billing::BillingOps& ops = service.ops();
    billing::IntakeUnitRegistry registry(kit::service_channel(
        kit::env_or("AFTERCARE_INTAKE_ADDR",
                    "127.0.0.1:" + std::to_string(kit::defaults_for("intake").grpc_port))));
    service.use_registry(&registry);
    host.add_service(&service);
    host.add_outbox_relay();
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-billing: %s\n", e.what());
    return 1;
  }
}
