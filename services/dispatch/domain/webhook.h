// Webhooks of partners (issue 4: "HMAC-signed JSON posts of the same events, retried with
// backoff (about 1 min, 5 min, 30 min, 2 h, 6 h, then daily for 7 days), each delivery logged,
// redeliverable by hand"). Pure rules: the endpoint URL and secret, the retry schedule, the
// signature. The sender (app/webhook_sender) does the I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace aftercare::dispatch::domain {

// A checked endpoint, split the way an HTTP client needs it.
struct WebhookUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // name, IPv4 or [IPv6]
  int port = 0;        // explicit or the scheme's default
  std::string origin;  // "https://host:port"
  std::string path;    // "/path?query", "/" when empty
};

// http:// or https:// with a host, an optional port and path; no user info, fragment, spaces or
// control characters; at most max_chars. Hosts on loopback, private and link-local networks
// ("localhost", 127.0.0.1, 10.x, 192.168.x, [::1]...) are refused unless allow_private: a
// partner must not make dispatch probe the platform's own network. Returns "" and fills `out`,
// or "url why".
std::string parse_webhook_url(std::string_view url, bool allow_private, size_t max_chars,
                              WebhookUrl* out);
// True for names and IP literals of loopback, private, link-local, CGNAT and unspecified
// addresses. Names other than localhost are not resolved here.
bool is_private_host(std::string_view host);

// min_chars..max_chars characters, printable ASCII (it is typed into the receiver's config).
std::string check_webhook_secret(std::string_view secret, size_t min_chars, size_t max_chars);
// "****" + the last 4 characters: enough to tell which secret is configured.
std::string secret_hint(std::string_view secret);

// When to try again after a failed attempt.
struct WebhookRetryPolicy {
  // Delay after the 1st, 2nd, ... failure of a schedule; after the last one, `then_every`.
  std::vector<absl::Duration> backoff = {absl::Minutes(1), absl::Minutes(5), absl::Minutes(30),
                                         absl::Hours(2), absl::Hours(6)};
  absl::Duration then_every = absl::Hours(24);
  // Attempts stop this long after the schedule started (the event, or a redelivery by hand).
  absl::Duration give_up_after = absl::Hours(24 * 7);

  static WebhookRetryPolicy defaults() { return WebhookRetryPolicy{}; }
};

// The next attempt after the `failures`-th failed attempt (1-based, counted since
// `schedule_start`) that ended at `failed_at`; nullopt = give up (the delivery fails) because
// that attempt would come later than schedule_start + give_up_after.
std::optional<absl::Time> next_attempt_after_failure(const WebhookRetryPolicy& policy,
                                                     absl::Time schedule_start, int failures,
                                                     absl::Time failed_at);

// An answer that counts as delivered: 200-299.
bool is_delivered_status(int http_status);

// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// The X-AfterCare-Signature header value: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." +
// body), where timestamp is the X-AfterCare-Timestamp header (Unix seconds).
std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body);

}  // namespace aftercare::dispatch::domain
