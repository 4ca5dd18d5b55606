#include "dispatch/domain/validation.h"

namespace aftercare::dispatch::domain {
namespace {

constexpr size_t kMaxIdLength = 64;
constexpr int64_t kMaxFen = 1'000'000'000'000;

std::string named(std::string_view field, std::string_view problem) {
  std::string message(field);
  message += ' ';
  message += problem;
  return message;
}

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string check_id(std::string_view value, std::string_view field) {
  if (value.empty()) return named(field, "is required");
  if (value.size() > kMaxIdLength) {
    return named(field, "must be at most " + std::to_string(kMaxIdLength) + " characters");
  }
  for (char c : value) {
    if (!is_ascii_alnum(c) && c != '_' && c != '-') {
      return named(field, "may contain only letters, digits, '_' and '-'");
    }
  }
  return "";
}

std::string check_text(std::string_view value, std::string_view field, size_t min_chars,
                       size_t max_chars) {
  if (value.find('\0') != std::string_view::npos) return named(field, "must not contain NUL");
  auto length = utf8_length(value);
  if (!length) return named(field, "must be valid UTF-8");
  if (*length < min_chars) {
    return min_chars == 1
               ? named(field, "is required")
               : named(field, "must be at least " + std::to_string(min_chars) + " characters");
  }
  if (*length > max_chars) {
    return named(field, "must be at most " + std::to_string(max_chars) + " characters");
  }
  return "";
}

std::string check_fen(int64_t fen, std::string_view field, int64_t min_fen) {
  if (fen < min_fen || fen > kMaxFen) {
    return named(field, "must be between " + std::to_string(min_fen) + " and " +
                            std::to_string(kMaxFen) + " fen");
  }
  return "";
}

}  // namespace aftercare::dispatch::domain
