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
std::string check_id(std::string_view value, std::string_view field);

using kit::utf8_length;  // Unicode characters, nullopt for invalid UTF-8

// Free text of min_chars..max_chars characters (characters, not bytes: 漏水 is two). NUL is
// refused because PostgreSQL text cannot store it.
std::string check_text(std::string_view value, std::string_view field, size_t min_chars,
                       size_t max_chars);

// Money in fen: min..10^12 (ten billion yuan, far beyond any repair).
std::string check_fen(int64_t fen, std::string_view field, int64_t min_fen);

// A known, specified enum value ("kind must be one of builder, crew, contractor").
template <typename Enum>
std::string check_enum(Enum value, std::string_view field) {
  const auto* descriptor = google::protobuf::GetEnumDescriptor<Enum>();
  int number = static_cast<int>(value);
  if (number != 0 && descriptor->FindValueByNumber(number) != nullptr) return "";
  return std::string(field) + " must be " + one_of<Enum>();
}

}  // namespace aftercare::dispatch::domain
