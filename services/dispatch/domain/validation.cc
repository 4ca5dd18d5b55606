#include "dispatch/domain/validation.h"

#include "common/field_check.h"

namespace aftercare::dispatch::domain {
namespace {

constexpr int64_t kMaxFen = 1'000'000'000'000;

}  // namespace

std::string check_fen(int64_t fen, std::string_view field, int64_t min_fen) {
  if (fen < min_fen || fen > kMaxFen) {
    return kit::named_problem(field, "must be between " + std::to_string(min_fen) + " and " +
                                         std::to_string(kMaxFen) + " fen");
  }
  return "";
}

}  // namespace aftercare::dispatch::domain
