// Pure helpers for reading public input, shared by every service's domain rules and the gateway:
// enum values spelled as in the public contract, and UTF-8 text measured in characters.
#pragma once

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <string_view>

namespace aftercare::kit {

// The contract spells an enum value as the rest of its proto name in lower case
// (TICKET_KIND_REPAIR <-> "repair"): every enum of the package starts with
// <ENUM_NAME>_UNSPECIFIED = 0, which tells the prefix. "unspecified" for 0; the number itself for
// a value the descriptor does not know (a newer peer), so messages never lose information.
std::string enum_public_name(const google::protobuf::EnumDescriptor& descriptor, int number);
// The inverse, for non-zero values only; nullopt for unknown words and for "unspecified".
std::optional<int> parse_enum_public_name(const google::protobuf::EnumDescriptor& descriptor,
                                          std::string_view name);

// Number of Unicode characters, or nullopt for invalid UTF-8 (overlong forms, surrogates,
// truncated sequences). Chinese text is ordinary input.
std::optional<size_t> utf8_length(std::string_view text);

// The validator set of the services (issue 24: billing, dispatch and intake had a copy each).
// Each check returns "" when the value is acceptable, else a message that starts with the field
// name, ready for INVALID_ARGUMENT ("party_id is required"). Lengths are counted in Unicode
// characters, never bytes: 漏水 is two.

// Ids are typed by people and end up in URLs, logs and Kafka keys: [A-Za-z0-9_-]{1,64} (ASCII, so
// characters and bytes agree).
inline constexpr size_t kMaxIdChars = 64;
std::string check_id(std::string_view value, std::string_view field);

// A canonical UUID, 8-4-4-4-12 hex digits with dashes (billing, callback and intake had a copy
// each). `lower_only` refuses the digits A-F: intake compares its ticket ids as text, as
// PostgreSQL prints them.
bool is_uuid(std::string_view value, bool lower_only = false);

// Free text of min_chars..max_chars characters, valid UTF-8, without NUL (PostgreSQL text cannot
// store it). min_chars 0 allows an empty value. Line breaks and tabs are ordinary text.
std::string check_text(std::string_view value, std::string_view field, size_t min_chars,
                       size_t max_chars);
// The same with min_chars 1 (the value is required).
std::string check_text(std::string_view value, std::string_view field, size_t max_chars);
// One line of 1..max_chars characters: as check_text, and no control characters at all (payment
// references, names printed on a receipt).
std::string check_line(std::string_view value, std::string_view field, size_t max_chars);

// A known, specified enum value ("kind must be one of repair, complaint, ...").
std::string check_enum_value(const google::protobuf::EnumDescriptor& descriptor, int value,
                             std::string_view field);

}  // namespace aftercare::kit
