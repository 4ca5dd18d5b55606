// aftercare-loyalty: config, wire, run.
#include <cstdio>

#include "common/service_host.h"
#include "loyalty/loyalty_service.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("loyalty", argc, argv));
    host.migrate(generated::loyalty_migrations());
    loyalty::LoyaltyServiceImpl service(host.db(), host.outbox());
    host.add_service(&service);
    host.add_outbox_relay();
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-loyalty: %s\n", e.what());
    return 1;
  }
}
