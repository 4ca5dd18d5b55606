#include "dispatch/app/webhook_sender.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "common/json_codec.h"
#include "common/periodic.h"
#include "dispatch/app/workflows.h"

namespace aftercare::dispatch {
namespace {

// Endpoints were checked when registered; the sender posts wherever the row says.
constexpr size_t kMaxUrlBytes = 1 << 16;
constexpr size_t kMaxErrorChars = 200;

}  // namespace

WebhookSender::WebhookSender(kit::PgPool& db, Options options, kit::Metrics* metrics)
    : db_(db), options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return now_micros(); };
  if (metrics != nullptr) {
    const char* help = "Webhook delivery attempts by result";
    const char* name = "aftercare_dispatch_webhook_attempts_total";
    delivered_ = &metrics->counter(name, help, {{"result", "delivered"}});
    retried_ = &metrics->counter(name, help, {{"result", "retry"}});
    failed_ = &metrics->counter(name, help, {{"result", "failed"}});
  }
}

std::string WebhookSender::body_of(const aftercare::v1::PartnerEvent& event) {
  return kit::to_json(event).dump();
}

store::AttemptResult WebhookSender::post(const store::DueDelivery& d, absl::Time now) {
  store::AttemptResult result;
  domain::WebhookUrl url;
  std::string url_error =
      domain::parse_webhook_url(d.url, /*allow_private=*/true, kMaxUrlBytes, &url);
  if (!url_error.empty()) {
    result.error = url_error;
    return result;
  }
  std::string body = body_of(d.event);
  std::string timestamp = std::to_string(absl::ToUnixSeconds(now));
  httplib::Headers headers = {
      {"X-AfterCare-Signature", domain::webhook_signature(d.secret, timestamp, body)},
      {"X-AfterCare-Timestamp", timestamp},
      {"X-AfterCare-Delivery", d.delivery_id},
      {"X-AfterCare-Event", d.event.event().type()},
      {"User-Agent", "AfterCare-Webhooks/1"},
  };
  auto started = std::chrono::steady_clock::now();
  httplib::Client client(url.origin);
  client.set_connection_timeout(options_.timeout);
  client.set_read_timeout(options_.timeout);
  client.set_write_timeout(options_.timeout);
  client.set_follow_location(false);
  httplib::Result res = client.Post(url.path, headers, body, "application/json");
  result.duration_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::steady_clock::now() - started)
                                            .count());
  if (!res) {
    result.error = "no answer: " + httplib::to_string(res.error());
    return result;
  }
  result.status_code = res->status;
  result.delivered = domain::is_delivered_status(res->status);
  if (!result.delivered) {
    result.error = "HTTP " + std::to_string(res->status);
    if (!res->reason.empty()) result.error += " " + res->reason.substr(0, kMaxErrorChars);
  }
  return result;
}

bool WebhookSender::deliver_one() {
  return db_.in_transaction([&](pqxx::work& tx) {
    std::optional<store::DueDelivery> due = store::claim_due_delivery(tx, options_.clock());
    if (!due) return false;
    absl::Time now = options_.clock();
    store::AttemptResult result = post(*due, now);
    if (!result.delivered) {
      result.next_attempt = domain::next_attempt_after_failure(options_.retry, due->schedule_start,
                                                               due->failures + 1, now);
    }
    store::record_attempt(tx, *due, now, result);
    kit::Counter* counter = result.delivered      ? delivered_
                            : result.next_attempt ? retried_
                                                  : failed_;
    if (counter != nullptr) counter->inc();
    if (!result.delivered) {
      spdlog::info("webhook delivery {} to party {} attempt {}: {}{}", due->delivery_id,
                   due->party_id, due->attempts + 1, result.error,
                   result.next_attempt ? "" : "; giving up");
    }
    return true;
  });
}

void WebhookSender::deliver_due(std::stop_token stop) {
  while (!stop.stop_requested() && deliver_one()) {
  }
}

void WebhookSender::run(std::stop_token stop) {
  kit::PeriodicWorker({"webhook-sender", options_.poll_interval}, [this](std::stop_token s) {
    deliver_due(s);
  }).run(stop);
}

}  // namespace aftercare::dispatch
