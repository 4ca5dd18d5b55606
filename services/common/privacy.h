// Privacy rules for events (DOMAIN §7): analytics consumers read the event stream, so owner
// phone numbers and other long digit runs never leave a service in clear.
#pragma once

#include <string>
#include <string_view>

namespace aftercare::kit {

// "13812345678" -> "138****5678"; shorter numbers keep only their last 2 digits.
std::string mask_phone(std::string_view phone);

// Replaces every run of 7 or more ASCII digits in free text (descriptions, comments) with
// asterisks except its last 4 digits; other text, Chinese included, is unchanged.
std::string mask_digit_runs(std::string_view text);

}  // namespace aftercare::kit
