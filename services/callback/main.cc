// aftercare-callback: config, wire, run.
#include "callback/app/events.h"
#include "callback/app/generator.h"
#include "callback/app/outreach.h"
#include "callback/app/providers.h"
#include "callback/callback_service.h"
#include "callback/settings.h"
#include "common/service_host.h"

namespace aftercare::callback {

// The service, its consumers and workers on the host (migrated, outbox relay added).
int wire(kit::ServiceHost& host) {
  CallbackServiceImpl service(host.db(), host.outbox(), host.clock());
  host.add_service(&service);
  app::EventApplier applier(host.outbox(), host.clock());
  host.add_consumer({app::kDispatchConsumer, {"aftercare.dispatch.v1"}}, applier);
  host.add_consumer({app::kIntakeConsumer, {"aftercare.intake.v1"}}, applier);
  host.add_consumer({app::kBillingConsumer, {"aftercare.billing.v1"}}, applier);
  // Owners' phones at send time; the scorecard's intake, billing and dispatch figures.
  auto intake = kit::peer_channel("intake");
  app::IntakeContactDirectory contacts(intake);
  app::WebhookProvider provider;
  app::GrpcKpiSources kpi(intake, kit::peer_channel("billing"), kit::peer_channel("dispatch"));
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
}

}  // namespace aftercare::callback

int main(int argc, char** argv) {
  return aftercare::kit::serve("callback", argc, argv, aftercare::generated::callback_migrations(),
                               aftercare::callback::wire);
}
