#include "intake/domain/validation.h"

#include "common/field_check.h"

#include "absl/time/time.h"
#include "common/civil_date.h"

namespace aftercare::intake::domain {
namespace {

constexpr size_t kMaxDescriptionChars = 2000;
constexpr size_t kMaxZoneNameLength = 64;
constexpr int64_t kMaxAreaCentiM2 = 100'000'000;
constexpr int kFirstYear = 1000;
constexpr int kLastYear = 9999;
constexpr size_t kMinPhoneLength = 5;
constexpr size_t kMaxPhoneLength = 20;
constexpr int kMinPhoneDigits = 5;

}  // namespace

std::string check_description(std::string_view value, std::string_view field) {
  return check_text(value, field, kMaxDescriptionChars);
}

std::string check_time_zone(std::string_view name, std::string_view field) {
  if (name.empty()) return kit::named_problem(field, "is required");
  bool spelled_like_iana = name.size() <= kMaxZoneNameLength && name.front() != '/' &&
                           name.back() != '/' && name.find("..") == std::string_view::npos &&
                           name.find("//") == std::string_view::npos && name != "localtime";
  for (char c : name) {
    if (!kit::is_ascii_alnum(c) && c != '/' && c != '_' && c != '-' && c != '+' && c != '.') {
      spelled_like_iana = false;
    }
  }
  absl::TimeZone zone;
  if (!spelled_like_iana || !absl::LoadTimeZone(std::string(name), &zone)) {
    return kit::named_problem(field, "must be an IANA time zone name such as Asia/Shanghai");
  }
  return "";
}

std::string check_area_centi_m2(int64_t area_centi_m2, std::string_view field) {
  if (area_centi_m2 <= 0 || area_centi_m2 > kMaxAreaCentiM2) {
    return kit::named_problem(
        field, "must be greater than 0 and at most " + std::to_string(kMaxAreaCentiM2));
  }
  return "";
}

std::string check_date(const aftercare::v1::Date& date, std::string_view field) {
  if (date.year() < kFirstYear || date.year() > kLastYear) {
    return kit::named_problem(field, "must have a 4-digit year");
  }
  if (date.month() < 1 || date.month() > 12 || date.day() < 1 ||
      date.day() > kit::days_in_month(date.year(), date.month())) {
    return kit::named_problem(field, "is not a valid date");
  }
  return "";
}

std::string check_phone(std::string_view value, std::string_view field) {
  if (value.size() < kMinPhoneLength || value.size() > kMaxPhoneLength) {
    return kit::named_problem(field, "must be " + std::to_string(kMinPhoneLength) + " to " +
                                         std::to_string(kMaxPhoneLength) + " characters");
  }
  int digits = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (!(c == ' ' || c == '-' || (c == '+' && i == 0))) {
      return kit::named_problem(field, "may contain only digits, spaces, '-' and a leading '+'");
    }
  }
  if (digits < kMinPhoneDigits) {
    return kit::named_problem(
        field, "must contain at least " + std::to_string(kMinPhoneDigits) + " digits");
  }
  return "";
}

std::string check_uuid(std::string_view value, std::string_view field) {
  return kit::is_uuid(value, /*lower_only=*/true) ? "" : std::string(field) + " must be a UUID";
}

}  // namespace aftercare::intake::domain
