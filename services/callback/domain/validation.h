// Input checks shared by the callback handlers. Each returns "" when the value is acceptable,
// else a message that starts with the field name, ready for INVALID_ARGUMENT.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/generated_enum_reflection.h>

#include "aftercare/v1/common.pb.h"
#include "common/enum_names.h"
#include "common/input.h"

namespace aftercare::callback::domain {

// Ids typed by people or other services: [A-Za-z0-9_-]{1,64} (the kit's rule).
using kit::check_id;
// A callback id: a canonical UUID (lower- or upper-case hex).
std::string check_uuid(std::string_view value, std::string_view field);
using kit::is_uuid;

using kit::utf8_length;  // Unicode characters, nullopt for invalid UTF-8
// Free text of 0..max_chars characters (characters, not bytes: 中 is one); no NUL, valid UTF-8.
inline std::string check_text(std::string_view value, std::string_view field, size_t max_chars) {
  return kit::check_text(value, field, 0, max_chars);
}

// A real calendar date with a 4-digit year.
std::string check_date(const aftercare::v1::Date& date, std::string_view field);

// A known, specified enum value ("satisfaction must be one of satisfied, ...").
using kit::check_enum;

// Free text that goes into events: runs of `min_run` or more digits become '*' (a phone number
// told in a comment must not reach analytics, events.proto "Rules").
std::string mask_digit_runs(std::string_view text, size_t min_run = 7);

}  // namespace aftercare::callback::domain
