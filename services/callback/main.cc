// aftercare-callback: config, wire, run.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "callback/app/outreach.h"
#include "callback/app/providers.h"
#include "callback/app/targets.h"
#include "callback/callback_events.h"
#include "callback/callback_service.h"
#include "callback/generator.h"
#include "common/call.h"
#include "common/service_host.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("callback", argc, argv));
    host.migrate(generated::callback_migrations());
    callback::CallbackServiceImpl service(host.db(), host.outbox());
    host.add_service(&service);
    host.add_outbox_relay();
    callback::EventApplier applier(host.outbox());
    host.add_consumer({callback::kDispatchConsumer, {"aftercare.dispatch.v1"}}, applier);
    host.add_consumer({callback::kIntakeConsumer, {"aftercare.intake.v1"}}, applier);
    host.add_consumer({callback::kBillingConsumer, {"aftercare.billing.v1"}}, applier);
    // Periodic and warranty-expiry callbacks; idempotent, so replicas may all run it.
    auto interval =
        std::chrono::seconds(kit::env_int("AFTERCARE_CALLBACK_GENERATOR_INTERVAL_S", 60, 1));
    host.add_periodic({"outreach-generator", interval}, [&host](std::stop_token) {
      callback::GeneratorResult r =
          callback::generate_outreach(host.db(), host.outbox(), absl::Now());
      if (r.periodic + r.warranty > 0)
        spdlog::info("outreach generator: {} periodic, {} warranty-expiry callbacks", r.periodic,
                     r.warranty);
    });
    // Owner messages to the providers; rows are locked while posted, so replicas may all run it.
    callback::app::IntakeContactDirectory contacts(kit::service_channel(
        kit::env_or("AFTERCARE_INTAKE_ADDR",
                    "127.0.0.1:" + std::to_string(kit::defaults_for("intake").grpc_port))));
    callback::app::WebhookProvider provider;
    auto send_every =
        std::chrono::seconds(kit::env_int("AFTERCARE_CALLBACK_MESSAGE_INTERVAL_S", 5, 1, 3600));
    host.add_periodic({"message-sender", send_every}, [&](std::stop_token) {
      auto r = callback::app::deliver_due(host.db(), contacts, provider, absl::Now());
      if (r.sent + r.retried + r.failed > 0)
        spdlog::info("message sender: {} sent, {} to retry, {} failed", r.sent, r.retried,
                     r.failed);
    });
    // Issue 20: the scorecard's intake and billing figures (and dispatch's for the group view's
    // worst builders and contractors), and the period-close sweep (one
    // close row per project and period, so replicas may all run it).
    callback::app::GrpcKpiSources kpi_sources(
        kit::service_channel(
            kit::env_or("AFTERCARE_INTAKE_ADDR",
                        "127.0.0.1:" + std::to_string(kit::defaults_for("intake").grpc_port))),
        kit::service_channel(
            kit::env_or("AFTERCARE_BILLING_ADDR",
                        "127.0.0.1:" + std::to_string(kit::defaults_for("billing").grpc_port))),
        kit::service_channel(
            kit::env_or("AFTERCARE_DISPATCH_ADDR",
                        "127.0.0.1:" + std::to_string(kit::defaults_for("dispatch").grpc_port))));
    service.set_kpi_sources(&kpi_sources);
    auto close_every =
        std::chrono::seconds(kit::env_int("AFTERCARE_CALLBACK_CLOSE_INTERVAL_S", 300, 1, 86400));
    auto grace = absl::Seconds(kit::env_int("AFTERCARE_CALLBACK_CLOSE_GRACE_S", 3600, 0, 86400));
    host.add_periodic({"period-close", close_every}, [&](std::stop_token) {
      auto r =
          callback::app::close_periods(host.db(), host.outbox(), &kpi_sources, absl::Now(), grace);
      if (r.closed + r.deferred > 0)
        spdlog::info("period close: {} closed, {} alerts, {} deferred", r.closed, r.alerts,
                     r.deferred);
    });
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-callback: %s\n", e.what());
    return 1;
  }
}
