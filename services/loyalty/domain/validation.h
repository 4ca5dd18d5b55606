// Input checks of the loyalty API. Each returns "" when the value is acceptable, else the reason
// (the service turns it into INVALID_ARGUMENT naming the field). Nothing here touches storage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aftercare/v1/common.pb.h"
#include "loyalty/domain/policy.h"

namespace aftercare::loyalty::domain {

// Identifiers (owner_id, source_id, merchant_id, project_id...): 1..max_len bytes of printable
// ASCII without spaces.
std::string check_id(std::string_view value, size_t max_len = 128);
// Free text (item, note, reason, names): valid UTF-8 without control characters, at most
// max_chars characters (kit::utf8_length: Chinese text is ordinary input); empty allowed only
// when !required.
std::string check_text(std::string_view value, size_t max_chars, bool required);
// An amount of points: > 0 and at most kMaxPointsPerOperation.
std::string check_points(int64_t points);
// A staff-entered earning: known reason, the reason enabled for staff, points within its cap.
// Returns {field, why} with an empty field when acceptable.
struct FieldError {
  std::string field;
  std::string why;
  bool ok() const { return field.empty(); }
};
FieldError check_earning(aftercare::v1::EarnReason reason, int64_t points,
                         const LoyaltyPolicy& policy);
// A canonical UUID (8-4-4-4-12 hex digits), the form of redemption and entry ids.
bool is_uuid(std::string_view value);
// True when reason is a valid, specified enum value.
bool known_reason(aftercare::v1::EarnReason reason);

}  // namespace aftercare::loyalty::domain
