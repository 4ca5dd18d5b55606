#include "billing/domain/names.h"

#include <cctype>

namespace aftercare::billing::domain::internal {
namespace {

// INVOICE_STATUS_OPEN -> prefix "INVOICE_STATUS_": the enum's name in UPPER_SNAKE plus "_".
std::string prefix_of(const google::protobuf::EnumDescriptor& descriptor) {
  std::string prefix;
  const std::string& name = descriptor.name();
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c))) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return prefix + "_";
}

}  // namespace

std::string public_name(const google::protobuf::EnumDescriptor& descriptor, int number) {
  const auto* value = descriptor.FindValueByNumber(number);
  if (value == nullptr) return std::to_string(number);
  std::string name = value->name();
  std::string prefix = prefix_of(descriptor);
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::optional<int> parse_public_name(const google::protobuf::EnumDescriptor& descriptor,
                                     std::string_view name) {
  if (name.empty() || name == "unspecified") return std::nullopt;
  std::string full = prefix_of(descriptor);
  for (char c : name) {
    if (!std::islower(static_cast<unsigned char>(c)) && c != '_' &&
        !std::isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    full += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  const auto* value = descriptor.FindValueByName(full);
  if (value == nullptr || value->number() == 0) return std::nullopt;
  return value->number();
}

}  // namespace aftercare::billing::domain::internal
