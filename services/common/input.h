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

}  // namespace aftercare::kit
