// The two building blocks of every validator (common/input.h and the services' domain checks):
// a message that starts with the field name, and the ASCII letters and digits of ids and names.
#pragma once

#include <string>
#include <string_view>

namespace aftercare::kit {

// "party_id is required": the field first, so INVALID_ARGUMENT can name it (field_error.h).
inline std::string named_problem(std::string_view field, std::string_view problem) {
  std::string message(field);
  message += ' ';
  message += problem;
  return message;
}

inline bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace aftercare::kit
