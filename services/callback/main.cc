// aftercare-callback: config, wire, run.
#include <cstdio>

#include "common/service_host.h"
#include "callback/callback_service.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("callback", argc, argv));
    host.migrate(generated::callback_migrations());
    callback::CallbackServiceImpl service(host.db(), host.outbox());
    host.add_service(&service);
    host.add_outbox_relay();
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-callback: %s\n", e.what());
    return 1;
  }
}
