#include "loyalty/domain/validation.h"

#include <optional>

#include "common/input.h"

namespace aftercare::loyalty::domain {

namespace v1 = aftercare::v1;

std::string check_id(std::string_view value, size_t max_len) {
  if (value.empty()) return "is required";
  if (value.size() > max_len) return "must be at most " + std::to_string(max_len) + " characters";
  for (unsigned char c : value)
    if (c <= 0x20 || c >= 0x7f) return "must be printable ASCII without spaces";
  return "";
}

std::string check_text(std::string_view value, size_t max_chars, bool required) {
  if (value.empty()) return required ? "is required" : "";
  // Measured in characters by the kit (issue 24: this copy counted bytes, so 134 Chinese
  // characters already exceeded a 400 limit).
  std::optional<size_t> chars = kit::utf8_length(value);
  if (!chars) return "must be valid UTF-8";
  if (*chars > max_chars) return "must be at most " + std::to_string(max_chars) + " characters";
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f) return "must not contain control characters";
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
