// aftercare-intake: config, wire, run.
#include <cstdio>

#include "common/service_host.h"
#include "intake/intake_service.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("intake", argc, argv));
    host.migrate(generated::intake_migrations());
    intake::IntakeServiceImpl service(host.db(), host.outbox());
    host.add_service(&service);
    host.add_outbox_relay();
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-intake: %s\n", e.what());
    return 1;
  }
}
