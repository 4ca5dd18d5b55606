#include "dispatch/domain/names.h"

#include <cctype>

namespace aftercare::dispatch::domain::internal {
namespace {

// Every enum of the package starts with <ENUM_NAME>_UNSPECIFIED = 0, which gives the prefix.
std::string_view prefix_of(const google::protobuf::EnumDescriptor& descriptor) {
  const google::protobuf::EnumValueDescriptor* zero = descriptor.FindValueByNumber(0);
  if (zero == nullptr) return {};
  std::string_view name = zero->name();
  constexpr std::string_view kUnspecified = "UNSPECIFIED";
  if (!name.ends_with(kUnspecified)) return {};
  return name.substr(0, name.size() - kUnspecified.size());
}

}  // namespace

std::string public_name(const google::protobuf::EnumDescriptor& descriptor, int number) {
  const google::protobuf::EnumValueDescriptor* value = descriptor.FindValueByNumber(number);
  if (value == nullptr) return std::to_string(number);
  std::string_view name = value->name();
  std::string_view prefix = prefix_of(descriptor);
  if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int> parse_public_name(const google::protobuf::EnumDescriptor& descriptor,
                                     std::string_view name) {
  for (int i = 0; i < descriptor.value_count(); ++i) {
    int number = descriptor.value(i)->number();
    if (number != 0 && public_name(descriptor, number) == name) return number;
  }
  return std::nullopt;
}

}  // namespace aftercare::dispatch::domain::internal
