#include "intake/domain/ticket_number.h"

#include <cstdio>

namespace aftercare::intake::domain {

std::string format_ticket_no(std::string_view project_code, absl::CivilDay local_day,
                             int64_t sequence_of_the_day) {
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, "-%04lld%02d%02d-%04lld",
                static_cast<long long>(local_day.year()), local_day.month(), local_day.day(),
                static_cast<long long>(sequence_of_the_day));
  return std::string(project_code) + suffix;
}

}  // namespace aftercare::intake::domain
