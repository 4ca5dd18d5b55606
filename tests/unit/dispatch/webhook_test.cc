// Webhook rules, pure: the retry schedule, the signature, endpoint URLs and secrets.
#include "dispatch/domain/webhook.h"

#include <gtest/gtest.h>

namespace aftercare::dispatch::domain {
namespace {

const absl::Time kEvent = absl::FromUnixSeconds(1'790'000'000);
const WebhookRetryPolicy kPolicy = WebhookRetryPolicy::defaults();

TEST(WebhookRetry, BacksOffOneFiveThirtyMinutesTwoAndSixHoursThenDaily) {
  absl::Time at = kEvent;  // the first attempt, when the event happened
  std::vector<absl::Duration> gaps;
  for (int failures = 1;; ++failures) {
    std::optional<absl::Time> next = next_attempt_after_failure(kPolicy, kEvent, failures, at);
    if (!next) break;
    gaps.push_back(*next - at);
    at = *next;
    ASSERT_LT(failures, 100) << "never gives up";
  }
  std::vector<absl::Duration> expected = {absl::Minutes(1), absl::Minutes(5), absl::Minutes(30),
                                          absl::Hours(2), absl::Hours(6)};
  for (int day = 0; day < 6; ++day) expected.push_back(absl::Hours(24));
  EXPECT_EQ(gaps, expected);
  // 12 attempts in all; the last at 6 d 8 h 36 min, the next would pass the 7 days.
  EXPECT_EQ(gaps.size() + 1, 12u);
  EXPECT_EQ(at - kEvent, absl::Hours(24 * 6 + 8) + absl::Minutes(36));
}

TEST(WebhookRetry, SevenDaysCountFromTheScheduleStartNotTheAttempt) {
  // A delivery that waited behind an earlier one of its party has less time left.
  absl::Time late = kEvent + absl::Hours(24 * 7) - absl::Seconds(30);
  EXPECT_FALSE(next_attempt_after_failure(kPolicy, kEvent, 1, late).has_value());
  EXPECT_EQ(next_attempt_after_failure(kPolicy, kEvent, 1, late - absl::Minutes(1)), late);
  // A redelivery by hand starts a new schedule.
  EXPECT_EQ(next_attempt_after_failure(kPolicy, late, 1, late), late + absl::Minutes(1));
}

TEST(WebhookRetry, OnlyTwoHundredsDeliver) {
  EXPECT_TRUE(is_delivered_status(200));
  EXPECT_TRUE(is_delivered_status(204));
  EXPECT_TRUE(is_delivered_status(299));
  for (int s : {0, 100, 301, 302, 400, 404, 429, 500, 503}) EXPECT_FALSE(is_delivered_status(s));
}

TEST(WebhookSignature, IsHmacSha256OfTimestampDotBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want", " for nothing?"),
            "sha256=" + hmac_sha256_hex("Jefe", "what do ya want. for nothing?"));
  EXPECT_NE(webhook_signature("secret-one-16chars", "1790000000", "{}"),
            webhook_signature("secret-two-16chars", "1790000000", "{}"));
  EXPECT_NE(webhook_signature("secret-one-16chars", "1790000000", "{}"),
            webhook_signature("secret-one-16chars", "1790000001", "{}"));
}

TEST(WebhookUrl, SplitsOriginAndPath) {
  WebhookUrl u;
  ASSERT_EQ(parse_webhook_url("https://hooks.example.com/aftercare?x=1", false, 2000, &u), "");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "hooks.example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.origin, "https://hooks.example.com:443");
  EXPECT_EQ(u.path, "/aftercare?x=1");
  ASSERT_EQ(parse_webhook_url("HTTP://Partner.Example.com:8080", false, 2000, &u), "");
  EXPECT_EQ(u.origin, "http://partner.example.com:8080");
  EXPECT_EQ(u.path, "/");
  ASSERT_EQ(parse_webhook_url("http://127.0.0.1:5000/hook", true, 2000, &u), "");
  EXPECT_EQ(u.origin, "http://127.0.0.1:5000");
  ASSERT_EQ(parse_webhook_url("http://[::1]:5000/h", true, 2000, &u), "");
  EXPECT_EQ(u.origin, "http://[::1]:5000");
}

TEST(WebhookUrl, RefusesWhatIsNotAPlainHttpEndpoint) {
  WebhookUrl u;
  EXPECT_EQ(parse_webhook_url("", false, 2000, &u), "url is required");
  EXPECT_EQ(parse_webhook_url("ftp://example.com/x", false, 2000, &u),
            "url must start with http:// or https://");
  EXPECT_EQ(parse_webhook_url("example.com/x", false, 2000, &u),
            "url must start with http:// or https://");
  EXPECT_EQ(parse_webhook_url("https://user:pw@example.com/", false, 2000, &u),
            "url must not contain user info");
  EXPECT_EQ(parse_webhook_url("https://example.com/a#b", false, 2000, &u),
            "url must not contain a fragment (#)");
  EXPECT_EQ(parse_webhook_url("https://exa mple.com/", false, 2000, &u),
            "url must not contain spaces, control or non-ASCII characters (percent-encode them)");
  EXPECT_EQ(parse_webhook_url("https://例子.com/", false, 2000, &u),
            "url must not contain spaces, control or non-ASCII characters (percent-encode them)");
  EXPECT_EQ(parse_webhook_url("https://example.com:0/", false, 2000, &u),
            "url port must be between 1 and 65535");
  EXPECT_EQ(parse_webhook_url("https://example.com:99999/", false, 2000, &u),
            "url port must be between 1 and 65535");
  EXPECT_EQ(parse_webhook_url("https://example.com:443x/", false, 2000, &u),
            "url has an invalid port");
  EXPECT_EQ(parse_webhook_url("https://example.com:/", false, 2000, &u), "url has an empty port");
  EXPECT_EQ(parse_webhook_url("https:///path", false, 2000, &u), "url must name a host");
  EXPECT_EQ(parse_webhook_url("https://exa_mple.com/", false, 2000, &u), "url has an invalid host");
  EXPECT_EQ(parse_webhook_url("https://example.com/" + std::string(2000, 'a'), false, 2000, &u),
            "url must be at most 2000 bytes");
}

TEST(WebhookUrl, PrivateNetworksOnlyWhenAllowed) {
  WebhookUrl u;
  for (const char* url :
       {"http://localhost/h", "http://api.localhost/h", "http://127.0.0.1/h", "http://10.1.2.3/h",
        "http://172.16.0.1/h", "http://172.31.255.255/h", "http://192.168.1.1/h",
        "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/h", "http://100.64.0.1/h",
        "http://[::1]/h", "http://[fd00::1]/h", "http://[fe80::1]/h", "http://[::ffff:7f00:1]/h",
        "http://2130706433/h", "http://0x7f.1/h", "http://127.1/h", "http://017.0.0.1/h"}) {
    EXPECT_EQ(parse_webhook_url(url, false, 2000, &u),
              "url must not point to a loopback, private or link-local address")
        << url;
    EXPECT_EQ(parse_webhook_url(url, true, 2000, &u), "") << url;
  }
  for (const char* url : {"http://172.32.0.1/h", "http://8.8.8.8/h", "http://[2001:db8::1]/h",
                          "https://partner.example.com/h", "https://10.example.com/h"}) {
    EXPECT_EQ(parse_webhook_url(url, false, 2000, &u), "") << url;
  }
}

TEST(WebhookSecret, AtLeastSixteenPrintableCharactersAndOnlyAHintGoesBack) {
  EXPECT_EQ(check_webhook_secret("0123456789abcdef", 16, 256), "");
  EXPECT_EQ(check_webhook_secret("0123456789abcde", 16, 256),
            "secret must be at least 16 characters");
  EXPECT_EQ(check_webhook_secret(std::string(257, 'a'), 16, 256),
            "secret must be at most 256 characters");
  EXPECT_EQ(check_webhook_secret("0123456789abcdef\n", 16, 256), "secret must be printable ASCII");
  EXPECT_EQ(secret_hint("0123456789abcdef"), "****cdef");
  EXPECT_EQ(secret_hint("abc"), "****");
}

}  // namespace
}  // namespace aftercare::dispatch::domain
