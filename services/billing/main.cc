// aftercare-billing: config, wire, run.
#include <cstdio>

#include "common/service_host.h"
#include "billing/billing_service.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("billing", argc, argv));
    host.migrate(generated::billing_migrations());
    billing::BillingServiceImpl service(host.db(), host.outbox());
    host.add_service(&service);
    host.add_outbox_relay();
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-billing: %s\n", e.what());
    return 1;
  }
}
