#include "intake/domain/names.h"

#include <cctype>
#include <string>

namespace aftercare::intake::domain::internal {
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

std::string public_name(const google::protobuf::EnumDescriptor& descriptor, int number) {
  const google::protobuf::EnumValueDescriptor* value = descriptor.FindValueByNumber(number);
  if (value == nullptr) return std::to_string(number);
  std::string_view name = value->name();
  std::string_view prefix = prefix_of(descriptor);
  if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
  return lower(name);
}

std::optional<int> parse_public_name(const google::protobuf::EnumDescriptor& descriptor,
                                     std::string_view name) {
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = descriptor.value(i);
    if (value->number() != 0 && public_name(descriptor, value->number()) == name) {
      return value->number();
    }
  }
  return std::nullopt;
}

}  // namespace aftercare::intake::domain::internal
