#include "common/input.h"

#include "common/field_check.h"

#include <cctype>

namespace aftercare::kit {
namespace {

// Every enum of the package starts with <ENUM_NAME>_UNSPECIFIED = 0, so that value's name
// tells how long the prefix is without having to re-derive UPPER_SNAKE from CamelCase.
std::string_view prefix_of(const google::protobuf::EnumDescriptor& descriptor) {
  const google::protobuf::EnumValueDescriptor* zero = descriptor.FindValueByNumber(0);
  if (zero == nullptr) return {};
  std::string_view name = zero->name();
  constexpr std::string_view kUnspecified = "UNSPECIFIED";
  if (name.size() < kUnspecified.size() || !name.ends_with(kUnspecified)) return {};
  return name.substr(0, name.size() - kUnspecified.size());
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool is_uuid(std::string_view value, bool lower_only) {
  if (value.size() != 36) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const bool hex =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (!lower_only && c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex) return false;
  }
  return true;
}

std::string check_id(std::string_view value, std::string_view field) {
  if (value.empty()) return kit::named_problem(field, "is required");
  if (value.size() > kMaxIdChars) {
    return kit::named_problem(field,
                              "must be at most " + std::to_string(kMaxIdChars) + " characters");
  }
  for (char c : value) {
    if (!kit::is_ascii_alnum(c) && c != '_' && c != '-') {
      return kit::named_problem(field, "may contain only letters, digits, '_' and '-'");
    }
  }
  return "";
}

std::string check_text(std::string_view value, std::string_view field, size_t min_chars,
                       size_t max_chars) {
  std::optional<size_t> length = utf8_length(value);
  if (!length) return kit::named_problem(field, "is not valid UTF-8");
  if (value.find('\0') != std::string_view::npos) {
    return kit::named_problem(field, "must not contain NUL characters");
  }
  if (*length < min_chars) {
    return min_chars == 1
               ? kit::named_problem(field, "is required")
               : kit::named_problem(
                     field, "must be at least " + std::to_string(min_chars) + " characters");
  }
  if (*length > max_chars) {
    return kit::named_problem(field,
                              "must be at most " + std::to_string(max_chars) + " characters");
  }
  return "";
}

std::string check_text(std::string_view value, std::string_view field, size_t max_chars) {
  return check_text(value, field, 1, max_chars);
}

std::string check_line(std::string_view value, std::string_view field, size_t max_chars) {
  if (std::string problem = check_text(value, field, max_chars); !problem.empty()) return problem;
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return kit::named_problem(field, "must not contain control characters");
    }
  }
  return "";
}

std::string check_enum_value(const google::protobuf::EnumDescriptor& descriptor, int value,
                             std::string_view field) {
  if (value != 0 && descriptor.FindValueByNumber(value) != nullptr) return "";
  std::string choices;
  for (int i = 0; i < descriptor.value_count(); ++i) {
    int number = descriptor.value(i)->number();
    if (number == 0) continue;
    if (!choices.empty()) choices += ", ";
    choices += enum_public_name(descriptor, number);
  }
  return kit::named_problem(field, "must be one of " + choices);
}

std::string enum_public_name(const google::protobuf::EnumDescriptor& descriptor, int number) {
  const google::protobuf::EnumValueDescriptor* value = descriptor.FindValueByNumber(number);
  if (value == nullptr) return std::to_string(number);
  std::string_view name = value->name();
  std::string_view prefix = prefix_of(descriptor);
  if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
  return lower(name);
}

std::optional<int> parse_enum_public_name(const google::protobuf::EnumDescriptor& descriptor,
                                          std::string_view name) {
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = descriptor.value(i);
    if (value->number() != 0 && enum_public_name(descriptor, value->number()) == name) {
      return value->number();
    }
  }
  return std::nullopt;
}

std::optional<size_t> utf8_length(std::string_view text) {
  size_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    size_t extra;
    char32_t code_point;
    if (lead < 0x80) {
      extra = 0;
      code_point = lead;
    } else if (lead >= 0xC2 && lead <= 0xDF) {  // 0xC0/0xC1 would only start overlong forms
      extra = 1;
      code_point = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2;
      code_point = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3;
      code_point = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (extra > text.size() - i - 1) return std::nullopt;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char next = byte(i + k);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr char32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[extra]) return std::nullopt;             // overlong
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return std::nullopt;  // surrogate
    if (code_point > 0x10FFFF) return std::nullopt;
    i += extra + 1;
    ++count;
  }
  return count;
}

}  // namespace aftercare::kit
