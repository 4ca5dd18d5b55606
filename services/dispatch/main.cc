// aftercare-dispatch: config, wire, run.
#include <cstdio>

#include "common/service_host.h"
#include "dispatch/dispatch_service.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("dispatch", argc, argv));
    host.migrate(generated::dispatch_migrations());
    dispatch::DispatchServiceImpl service(host.db(), host.outbox());
    host.add_service(&service);
    host.add_outbox_relay();
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-dispatch: %s\n", e.what());
    return 1;
  }
}
