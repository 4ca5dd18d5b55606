// Input checks shared by the intake handlers. Each returns "" when the value is acceptable, else
// a message that starts with the field name, ready for INVALID_ARGUMENT. `field` is the name
// the caller used (e.g. "unit_id", "owner_phone"), so one check serves several fields.
#pragma once

#include "common/input.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aftercare/v1/common.pb.h"
#include "intake/domain/names.h"

namespace aftercare::intake::domain {

// Ids are typed by people and end up in URLs, logs and Kafka keys: [A-Za-z0-9_-]{1,64}.
using kit::check_id;
// A canonical lower-case UUID (ticket ids).
std::string check_uuid(std::string_view value, std::string_view field);

using kit::utf8_length;  // Unicode characters, nullopt for invalid UTF-8

// Free text of 1..max_chars characters. Characters, not bytes: a Chinese character takes three
// bytes but is one character to the owner. NUL is refused because PostgreSQL text cannot store
// it.
using kit::check_text;

// A ticket description: 1-2000 characters.
std::string check_description(std::string_view value, std::string_view field = "description");

// An IANA zone name that can be loaded ("Asia/Shanghai"). Names are restricted to the IANA
// spelling before loading because the loader would otherwise open any file path it is given.
std::string check_time_zone(std::string_view name, std::string_view field = "timezone");

// Area in hundredths of m2: positive and at most 10^8 (1 000 000 m2, far beyond any unit).
std::string check_area_centi_m2(int64_t area_centi_m2, std::string_view field = "area_centi_m2");

// A real calendar date with a 4-digit year (2026-02-30 and month 13 are refused).
std::string check_date(const aftercare::v1::Date& date, std::string_view field);

// Digits, spaces and hyphens with an optional leading '+', 5-20 characters, at least 5 digits.
std::string check_phone(std::string_view value, std::string_view field = "owner_phone");

// A known, specified enum value ("kind must be one of repair, complaint, ...").
using kit::check_enum;

}  // namespace aftercare::intake::domain
