// aftercare-loyalty: config, wire, run.
#include "common/service_host.h"
#include "loyalty/loyalty_service.h"

namespace aftercare::loyalty {

// The service, its consumers and sweepers on the host (migrated, outbox relay added).
int wire(kit::ServiceHost& host) {
  LoyaltyServiceImpl service(host.db(), host.outbox());
  host.add_service(&service);
  host.add_consumer({"loyalty.intake", {"aftercare.intake.v1"}},
                    [&](pqxx::work& tx, const v1::Event& e) { service.HandleIntakeEvent(tx, e); });
  host.add_consumer(
      {"loyalty.callback", {"aftercare.callback.v1"}},
      [&](pqxx::work& tx, const v1::Event& e) { service.HandleCallbackEvent(tx, e); });
  // Expired holds, points expiry and tier review; AFTERCARE_LOYALTY_SWEEP_S (default 60).
  const int sweep_s = kit::env_int("AFTERCARE_LOYALTY_SWEEP_S", 60, 1);
  host.add_periodic({"loyalty.sweeper", std::chrono::seconds(sweep_s)},
                    [&service](std::stop_token) { service.SweepNow(); });
  return host.run();
}

}  // namespace aftercare::loyalty

int main(int argc, char** argv) {
  return aftercare::kit::serve("loyalty", argc, argv, aftercare::generated::loyalty_migrations(),
                               aftercare::loyalty::wire);
}
