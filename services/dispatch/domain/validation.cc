#include "dispatch/domain/validation.h"

namespace aftercare::dispatch::domain {
namespace {

constexpr int64_t kMaxFen = 1'000'000'000'000;

std::string named(std::string_view field, std::string_view problem) {
  std::string message(field);
  message += ' ';
  message += problem;
  return message;
}

}  // namespace

std::string check_fen(int64_t fen, std::string_view field, int64_t min_fen) {
  if (fen < min_fen || fen > kMaxFen) {
    return named(field, "must be between " + std::to_string(min_fen) + " and " +
                            std::to_string(kMaxFen) + " fen");
  }
  return "";
}

}  // namespace aftercare::dispatch::domain
