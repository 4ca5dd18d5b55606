// aftercare-callback: config, wire, run.
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "callback/callback_events.h"
#include "callback/callback_service.h"
#include "callback/generator.h"
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
    // Periodic and warranty-expiry callbacks; idempotent, so replicas may all run it.
    auto interval =
        std::chrono::seconds(kit::env_int("AFTERCARE_CALLBACK_GENERATOR_INTERVAL_S", 60, 1));
    host.add_worker("outreach-generator", [&host, interval](std::stop_token stop) {
      std::mutex mu;
      std::condition_variable_any wake;
      while (!stop.stop_requested()) {
        try {
          callback::GeneratorResult r =
              callback::generate_outreach(host.db(), host.outbox(), absl::Now());
          if (r.periodic + r.warranty > 0) {
            spdlog::info("outreach generator: {} periodic, {} warranty-expiry callbacks",
                         r.periodic, r.warranty);
          }
        } catch (const std::exception& e) {
          spdlog::warn("outreach generator: {}", e.what());
        }
        std::unique_lock lock(mu);
        wake.wait_for(lock, stop, interval, [] { return false; });
      }
    });
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-callback: %s\n", e.what());
    return 1;
  }
}
