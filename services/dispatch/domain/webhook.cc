#include "dispatch/domain/webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace aftercare::dispatch::domain {
namespace {

constexpr int kMaxPort = 65535;
constexpr size_t kMaxHostChars = 253;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}
bool is_ipv6_char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// a.b.c.d with each part 0-255 in plain decimal; nullopt otherwise.
std::optional<std::array<int, 4>> dotted_quad(std::string_view host) {
  std::array<int, 4> parts{};
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    size_t end = i < 3 ? host.find('.', start) : host.size();
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view part = host.substr(start, end - start);
    if (part.empty() || part.size() > 3 || !all_of(part, is_digit)) return std::nullopt;
    if (part.size() > 1 && part[0] == '0') return std::nullopt;  // octal forms
    parts[i] = std::stoi(std::string(part));
    if (parts[i] > 255) return std::nullopt;
    start = end + 1;
  }
  return parts;
}

}  // namespace

bool is_private_host(std::string_view host_in) {
  std::string host = lower(host_in);
  if (host.ends_with(".")) host.pop_back();
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  if (host.starts_with("[")) {
    std::string v6 = host.substr(1, host.size() >= 2 ? host.size() - 2 : 0);
    return v6 == "::" || v6 == "::1" || v6.starts_with("fc") || v6.starts_with("fd") ||
           v6.starts_with("fe8") || v6.starts_with("fe9") || v6.starts_with("fea") ||
           v6.starts_with("feb") || v6.starts_with("::ffff:") || v6.starts_with("0:0:0:0:0:");
  }
  // A name (some label starts with a letter: top-level domains do) is not resolved here.
  for (size_t start = 0; start <= host.size();) {
    size_t end = std::min(host.find('.', start), host.size());
    if (end == start || !is_digit(host[start])) return false;
    start = end + 1;
  }
  std::optional<std::array<int, 4>> q = dotted_quad(host);
  // Other numeric forms (2130706433, 0x7f.1, 127.1) reach loopback through the resolver.
  if (!q) return true;
  auto [a, b, c, d] = *q;
  (void)c;
  (void)d;
  return a == 0 || a == 10 || a == 127 || (a == 169 && b == 254) ||
         (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168) ||
         (a == 100 && b >= 64 && b <= 127) || a >= 224;
}

std::string parse_webhook_url(std::string_view url, bool allow_private, size_t max_chars,
                              WebhookUrl* out) {
  if (url.empty()) return "url is required";
  if (url.size() > max_chars) return "url must be at most " + std::to_string(max_chars) + " bytes";
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return "url must not contain spaces, control or non-ASCII characters (percent-encode them)";
  }
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return "url must start with http:// or https://";
  WebhookUrl w;
  w.scheme = lower(url.substr(0, sep));
  if (w.scheme != "http" && w.scheme != "https") return "url must start with http:// or https://";
  if (url.find('#') != std::string_view::npos) return "url must not contain a fragment (#)";
  std::string_view rest = url.substr(sep + 3);
  size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (authority.find('@') != std::string_view::npos) return "url must not contain user info";
  std::string_view host, port;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "url has an unterminated [IPv6] host";
    host = authority.substr(0, close + 1);
    if (!all_of(host.substr(1, host.size() - 2), is_ipv6_char))
      return "url has an invalid [IPv6] host";
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return "url has an invalid port";
      port = after.substr(1);
      if (port.empty()) return "url has an empty port";
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return "url has an empty port";
    }
    if (host.empty()) return "url must name a host";
    if (host.size() > kMaxHostChars || !all_of(host, is_host_char) || host.starts_with(".") ||
        host.starts_with("-"))
      return "url has an invalid host";
  }
  if (!port.empty()) {
    if (port.size() > 5 || !all_of(port, is_digit)) return "url has an invalid port";
    w.port = std::stoi(std::string(port));
    if (w.port < 1 || w.port > kMaxPort) return "url port must be between 1 and 65535";
  } else {
    w.port = w.scheme == "https" ? 443 : 80;
  }
  w.host = lower(host);
  if (!allow_private && is_private_host(w.host))
    return "url must not point to a loopback, private or link-local address";
  w.origin = w.scheme + "://" + w.host + ":" + std::to_string(w.port);
  w.path = path.empty() ? "/" : path.starts_with("?") ? "/" + std::string(path) : std::string(path);
  *out = std::move(w);
  return "";
}

std::string check_webhook_secret(std::string_view secret, size_t min_chars, size_t max_chars) {
  if (secret.size() < min_chars)
    return "secret must be at least " + std::to_string(min_chars) + " characters";
  if (secret.size() > max_chars)
    return "secret must be at most " + std::to_string(max_chars) + " characters";
  for (char c : secret) {
    if (c < 0x20 || c > 0x7e) return "secret must be printable ASCII";
  }
  return "";
}

std::string secret_hint(std::string_view secret) {
  constexpr size_t kShown = 4;
  return "****" + std::string(secret.size() > kShown ? secret.substr(secret.size() - kShown) : "");
}

std::optional<absl::Time> next_attempt_after_failure(const WebhookRetryPolicy& policy,
                                                     absl::Time schedule_start, int failures,
                                                     absl::Time failed_at) {
  if (failures < 1) failures = 1;
  absl::Duration delay = static_cast<size_t>(failures) <= policy.backoff.size()
                             ? policy.backoff[failures - 1]
                             : policy.then_every;
  absl::Time next = failed_at + delay;
  if (next > schedule_start + policy.give_up_after) return std::nullopt;
  return next;
}

bool is_delivered_status(int http_status) {
  return http_status >= 200 && http_status <= 299;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return "sha256=" + hmac_sha256_hex(secret, signed_text);
}

}  // namespace aftercare::dispatch::domain
