// aftercare-dispatch: config, wire, run.
#include <cstdio>

#include "common/service_host.h"
#include "dispatch/app/webhook_sender.h"
#include "dispatch/dispatch_service.h"
#include "dispatch/store/feed_listener.h"

int main(int argc, char** argv) {
  using namespace aftercare;
  try {
    kit::ServiceHost host(kit::load_config("dispatch", argc, argv));
    // Late-builder sweeper and appointment reminders: at most this far apart, sooner when a
    // project's dispatch.sweep_interval_seconds is shorter.
    auto sweep_interval =
        std::chrono::seconds(kit::env_int("AFTERCARE_DISPATCH_SWEEP_INTERVAL_S", 30, 1));
    // Webhooks: how often idle senders look for due deliveries, how long an endpoint gets to
    // connect and answer, how many deliveries are posted at once (each holds a connection of
    // the pool while it posts), and whether endpoints may be on private networks.
    dispatch::WebhookSender::Options webhook;
    webhook.poll_interval =
        std::chrono::milliseconds(kit::env_int("AFTERCARE_DISPATCH_WEBHOOK_POLL_MS", 1000, 10));
    webhook.timeout = std::chrono::milliseconds(
        kit::env_int("AFTERCARE_DISPATCH_WEBHOOK_TIMEOUT_MS", 10000, 100));
    int senders = kit::env_int("AFTERCARE_DISPATCH_WEBHOOK_SENDERS", 2, 0);
    if (senders >= host.config().db_pool_size)
      throw std::invalid_argument(
          "AFTERCARE_DISPATCH_WEBHOOK_SENDERS must be below AFTERCARE_DB_POOL_SIZE");
    dispatch::DispatchOptions options;
    options.webhook_allow_private_urls =
        kit::env_int("AFTERCARE_DISPATCH_WEBHOOK_ALLOW_PRIVATE_URLS", 0, 0) != 0;

    host.migrate(generated::dispatch_migrations());
    // Waiting partner-feed reads wake on the database's notifications of each append.
    dispatch::FeedHeads feed_heads;
    dispatch::FeedListener feed_listener(host.db().url(), feed_heads);
    options.feed_heads = &feed_heads;
    host.add_periodic(
        {"partner-feed-listener", std::chrono::milliseconds(1)},
        [&](std::stop_token stop) { feed_listener.listen(stop, std::chrono::seconds(30)); });
    dispatch::DispatchServiceImpl service(host.db(), host.outbox(), options);
    host.add_service(&service);
    host.add_outbox_relay();
    host.add_consumer(
        {"dispatch.inbound", {"aftercare.intake.v1", "aftercare.callback.v1"}},
        [&](pqxx::work& tx, const aftercare::v1::Event& e) { service.apply_event(tx, e); },
        [&](pqxx::work& tx, const std::vector<kit::FetchedEvent>& events) {
          service.apply_events(tx, events);
        });
    host.add_periodic(service.sweeper_options(sweep_interval),
                      service.sweeper_task(sweep_interval));
    dispatch::WebhookSender sender(host.db(), webhook, &host.metrics());
    for (int i = 0; i < senders; ++i) {
      host.add_periodic({"webhook-sender-" + std::to_string(i + 1), webhook.poll_interval},
                        [&](std::stop_token stop) { sender.deliver_due(stop); });
    }
    return host.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aftercare-dispatch: %s\n", e.what());
    return 1;
  }
}
