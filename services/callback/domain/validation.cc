#include "callback/domain/validation.h"

#include <google/protobuf/descriptor.h>

#include "callback/domain/dates.h"
#include "callback/domain/names.h"

namespace aftercare::callback::domain {
std::string check_uuid(std::string_view value, std::string_view field) {
  if (value.empty()) return std::string(field) + " is required";
  if (!is_uuid(value)) return std::string(field) + " must be a UUID";
  return "";
}

std::string check_date(const aftercare::v1::Date& date, std::string_view field) {
  std::string name(field);
  if (date.year() < 1000 || date.year() > 9999) return name + " must have a 4-digit year";
  if (date.month() < 1 || date.month() > 12)
    return name + " has no month " + std::to_string(date.month());
  if (date.day() < 1 || date.day() > days_in_month(date.year(), date.month())) {
    return name + " is not a real date";
  }
  return "";
}

std::string mask_digit_runs(std::string_view text, size_t min_run) {
  std::string out(text);
  size_t i = 0;
  while (i < out.size()) {
    if (out[i] < '0' || out[i] > '9') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && out[j] >= '0' && out[j] <= '9') ++j;
    if (j - i >= min_run) {
      for (size_t k = i; k < j; ++k) out[k] = '*';
    }
    i = j;
  }
  return out;
}

}  // namespace aftercare::callback::domain
