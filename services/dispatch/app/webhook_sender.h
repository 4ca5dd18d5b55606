// The webhook worker: posts due deliveries to the parties' endpoints and settles them.
//
// Each delivery is claimed FOR UPDATE SKIP LOCKED in a transaction that stays open while it is
// posted, so two workers (threads or replicas) never send the same attempt, and a party's next
// event waits until the earlier one is delivered or given up. A crash between the POST and the
// commit sends the attempt again: delivery is at-least-once, receivers deduplicate on the
// X-AfterCare-Delivery header.
//
// The body is the partner-feed entry of the event, {"cursor", "event"}, in the public JSON of
// the gateway's feed (snake_case fields, lower-case enum names, RFC 3339 times). Headers:
//   X-AfterCare-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//   X-AfterCare-Timestamp: Unix seconds of the attempt
//   X-AfterCare-Delivery:  the delivery id (the same on every attempt of one delivery)
//   X-AfterCare-Event:     the event type
// http:// and https:// (cpp-httplib built with OpenSSL; server certificates are verified against
// the system CA store). A 2xx answer delivers; anything else or no answer within the timeout is
// retried on the schedule of domain::WebhookRetryPolicy.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>

#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "dispatch/domain/webhook.h"
#include "dispatch/store/webhook_store.h"

namespace aftercare::dispatch {

class WebhookSender {
 public:
  struct Options {
    std::function<absl::Time()> clock;              // unset = the real clock
    std::chrono::milliseconds poll_interval{1000};  // idle wait between looks for due rows
    std::chrono::milliseconds timeout{10000};       // connect, send and answer, each
    domain::WebhookRetryPolicy retry = domain::WebhookRetryPolicy::defaults();
  };
  // `metrics` may be null.
  WebhookSender(kit::PgPool& db, Options options, kit::Metrics* metrics = nullptr);

  // Claims and posts one due delivery; false when none is due.
  bool deliver_one();
  // deliver_due every poll_interval until stopped (a kit::PeriodicWorker): errors (database
  // down) are logged and retried after the interval.
  void run(std::stop_token stop);
  // Delivers every due delivery (one round of run()).
  void deliver_due(std::stop_token stop);

  // The request the endpoint receives, for tests and the documentation.
  static std::string body_of(const aftercare::v1::PartnerEvent& event);

 private:
  store::AttemptResult post(const store::DueDelivery& delivery, absl::Time now);

  kit::PgPool& db_;
  Options options_;
  kit::Counter* delivered_ = nullptr;
  kit::Counter* retried_ = nullptr;
  kit::Counter* failed_ = nullptr;
};

}  // namespace aftercare::dispatch
