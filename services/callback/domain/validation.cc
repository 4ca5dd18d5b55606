#include "callback/domain/validation.h"

#include <google/protobuf/descriptor.h>

#include "callback/domain/dates.h"
#include "callback/domain/names.h"

namespace aftercare::callback::domain {
namespace {

constexpr size_t kMaxIdLength = 64;

bool hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::string check_id(std::string_view value, std::string_view field) {
  std::string name(field);
  if (value.empty()) return name + " is required";
  if (value.size() > kMaxIdLength) return name + " is longer than 64 characters";
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return name + " may contain only letters, digits, '_' and '-'";
  }
  return "";
}

bool is_uuid(std::string_view value) {
  if (value.size() != 36) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (value[i] != '-') return false;
    } else if (!hex(value[i])) {
      return false;
    }
  }
  return true;
}

std::string check_uuid(std::string_view value, std::string_view field) {
  if (value.empty()) return std::string(field) + " is required";
  if (!is_uuid(value)) return std::string(field) + " must be a UUID";
  return "";
}

std::optional<size_t> utf8_length(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    size_t len;
    uint32_t cp;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > text.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += len;
    ++count;
  }
  return count;
}

std::string check_text(std::string_view value, std::string_view field, size_t max_chars) {
  std::string name(field);
  if (value.find('\0') != std::string_view::npos) return name + " must not contain NUL";
  auto length = utf8_length(value);
  if (!length) return name + " is not valid UTF-8";
  if (*length > max_chars) {
    return name + " is longer than " + std::to_string(max_chars) + " characters";
  }
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

std::string check_enum_value(const google::protobuf::EnumDescriptor& descriptor, int value,
                             std::string_view field) {
  if (value != 0 && descriptor.FindValueByNumber(value) != nullptr) return "";
  std::string names;
  for (int i = 0; i < descriptor.value_count(); ++i) {
    int number = descriptor.value(i)->number();
    if (number == 0) continue;
    if (!names.empty()) names += ", ";
    names += kit::enum_public_name(descriptor, number);
  }
  return std::string(field) + " must be one of " + names;
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
