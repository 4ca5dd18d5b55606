// Input checks of the dispatch handlers. Each returns "" when the value is acceptable, else a
// message that starts with the field name, ready for INVALID_ARGUMENT.
#pragma once

#include "common/input.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dispatch/domain/names.h"

namespace aftercare::dispatch::domain {

// Ids end up in URLs, logs and Kafka keys: [A-Za-z0-9_-]{1,64} (the same rule as intake).
using kit::check_id;

using kit::utf8_length;  // Unicode characters, nullopt for invalid UTF-8

// Free text of min_chars..max_chars characters (characters, not bytes: 漏水 is two). NUL is
// refused because PostgreSQL text cannot store it.
using kit::check_text;

// Money in fen: min..10^12 (ten billion yuan, far beyond any repair).
std::string check_fen(int64_t fen, std::string_view field, int64_t min_fen);

// A known, specified enum value ("kind must be one of builder, crew, contractor").
using kit::check_enum;

}  // namespace aftercare::dispatch::domain
