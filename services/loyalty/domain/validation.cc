#include "loyalty/domain/validation.h"

namespace aftercare::loyalty::domain {

namespace v1 = aftercare::v1;

std::string check_id(std::string_view value, size_t max_len) {
  if (value.empty()) return "is required";
  if (value.size() > max_len) return "must be at most " + std::to_string(max_len) + " characters";
  for (unsigned char c : value)
    if (c <= 0x20 || c >= 0x7f) return "must be printable ASCII without spaces";
  return "";
}

std::string check_text(std::string_view value, size_t max_bytes, bool required) {
  if (value.empty()) return required ? "is required" : "";
  if (value.size() > max_bytes) return "must be at most " + std::to_string(max_bytes) + " bytes";
  // UTF-8 well-formedness (no overlongs, no surrogates) and no control characters.
  size_t i = 0;
  while (i < value.size()) {
    unsigned char c = value[i];
    int extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return "must not contain control characters";
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return "must be valid UTF-8";
    }
    if (i + extra >= value.size()) return "must be valid UTF-8";
    for (int k = 1; k <= extra; ++k) {
      unsigned char cc = value[i + k];
      if ((cc & 0xc0) != 0x80) return "must be valid UTF-8";
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return "must be valid UTF-8";
    i += extra + 1;
  }
  return "";
}

std::string check_points(int64_t points) {
  if (points <= 0) return "must be greater than 0";
  if (points > kMaxPointsPerOperation)
    return "must be at most " + std::to_string(kMaxPointsPerOperation);
  return "";
}

bool is_uuid(std::string_view value) {
  if (value.size() != 36) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

bool known_reason(v1::EarnReason reason) {
  return reason != v1::EARN_REASON_UNSPECIFIED && v1::EarnReason_IsValid(reason);
}

FieldError check_earning(v1::EarnReason reason, int64_t points, const LoyaltyPolicy& policy) {
  if (!known_reason(reason))
    return {"reason", "must be one of survey, feedback, referral, repurchase, activity"};
  if (auto e = check_points(points); !e.empty()) return {"points", e};
  const EarningRule rule = policy.rule_of(reason);
  if (rule.max_points <= 0)
    return {"reason", reason_name(reason) + " points are not awarded by staff in this project"};
  if (points > rule.max_points)
    return {"points",
            "must be at most " + std::to_string(rule.max_points) + " for " + reason_name(reason)};
  return {};
}

}  // namespace aftercare::loyalty::domain
