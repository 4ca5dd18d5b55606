#include "billing/domain/validation.h"

#include "common/field_check.h"

#include "billing/domain/period.h"
#include "billing/domain/policy.h"

namespace aftercare::billing::domain {
namespace {

constexpr size_t kMaxReferenceChars = 128;

}  // namespace

std::string check_reference(std::string_view value, std::string_view field) {
  return kit::check_line(value, field, kMaxReferenceChars);
}

std::string check_amount(int64_t amount_fen, std::string_view field) {
  if (amount_fen <= 0) return kit::named_problem(field, "must be greater than 0");
  if (amount_fen > Limits::kMaxAmountFen) {
    return kit::named_problem(field, "must be at most " + std::to_string(Limits::kMaxAmountFen));
  }
  return "";
}

std::string check_rate(int64_t fen_per_m2_month, std::string_view field) {
  if (fen_per_m2_month <= 0) return kit::named_problem(field, "must be greater than 0");
  if (fen_per_m2_month > Limits::kMaxFenPerM2Month) {
    return kit::named_problem(field,
                              "must be at most " + std::to_string(Limits::kMaxFenPerM2Month));
  }
  return "";
}

std::string check_due_day(int due_day, std::string_view field) {
  if (due_day < 1 || due_day > 31) return kit::named_problem(field, "must be between 1 and 31");
  return "";
}

std::string check_period(const aftercare::v1::YearMonth& period, std::string_view field) {
  if (!period_from_proto(period)) {
    return kit::named_problem(field,
                              "must be a month YYYY-MM with a 4-digit year and a month 01-12");
  }
  return "";
}

std::string check_date(const aftercare::v1::Date& date, std::string_view field) {
  if (!day_from_proto(date)) return kit::named_problem(field, "must be a real date YYYY-MM-DD");
  return "";
}

}  // namespace aftercare::billing::domain
