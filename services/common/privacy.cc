#include "common/privacy.h"

namespace aftercare::kit {

std::string mask_phone(std::string_view phone) {
  std::string digits;
  for (char c : phone)
    if (c >= '0' && c <= '9') digits += c;
  if (digits.size() >= 11) return digits.substr(0, 3) + "****" + digits.substr(digits.size() - 4);
  if (digits.size() <= 2) return std::string(digits.size(), '*');
  return std::string(digits.size() - 2, '*') + digits.substr(digits.size() - 2);
}

std::string mask_digit_runs(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') {
      out += text[i++];
      continue;
    }
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    size_t len = i - start;
    if (len >= 7) {
      out.append(len - 4, '*');
      out.append(text.substr(i - 4, 4));
    } else {
      out.append(text.substr(start, len));
    }
  }
  return out;
}

}  // namespace aftercare::kit
