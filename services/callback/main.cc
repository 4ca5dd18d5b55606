// aftercare-callback: config, wire, run.
#include <cstdio>

#include "callback/app/events.h"
#include "callback/app/generator.h"
#include "callback/app/outreach.h"
#include "callback/app/providers.h"
#include "callback/callback_service.h"
#include "callback/settings.h"
#include "common/service_host.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  using namespace aftercare::callback;
  try {
    kit::ServiceHost host(kit::load_config("callback", argc, argv));
    host.migrate(generated::callback_migrations());
    CallbackServiceImpl service(host.db(), host.outbox(), host.clock());
    host.add_service(&service);
    host.add_outbox_relay();
    app::EventApplier applier(host.outbox(), host.clock());
    host.add_consumer({app::kDispatchConsumer, {"aftercare.dispatch.v1"}}, applier);
    host.add_consumer({app::kIntakeConsumer, {"aftercare.intake.v1"}}, applier);
    host.add_consumer({app::kBillingConsumer, {"aftercare.billing.v1"}}, applier);
    // Owners' phones at send time; the scorecard's intake, billing and dispatch figures.
    auto intake = kit::peer_channel("AFTERCARE_INTAKE_ADDR", "intake");
    app::IntakeContactDirectory contacts(intake);
    app::WebhookProvider provider;
    app::GrpcKpiSources kpi(intake, kit::peer_channel("AFTERCARE_BILLING_ADDR", "billing"),
                            kit::peer_channel("AFTERCARE_DISPATCH_ADDR", "dispatch"));
    service.set_kpi_sources(&kpi);
    // Every worker may run in each replica: unique source keys, locked rows, one close row.
    host.add_periodic({"outreach-generator", kit::read_seconds(kGeneratorIntervalS)},
                      [&](auto) { app::generate_outreach(host.db(), host.outbox(), host.now()); });
    host.add_periodic({"message-sender", kit::read_seconds(kMessageIntervalS)},
                      [&](auto) { app::deliver_due(host.db(), contacts, provider, host.now()); });
    auto grace = absl::Seconds(kit::read_setting(kCloseGraceS));
    host.add_periodic({"period-close", kit::read_seconds(kCloseIntervalS)}, [&](auto) {
      app::close_periods(host.db(), host.outbox(), &kpi, host.now(), grace);
    });
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-callback: %s\n", e.what());
    return 1;
  }
}
