// Human-readable ticket numbers, unique per project: the number an agent reads to the owner on
// the phone, e.g. "P01-20261122-0007". The date makes numbers short and tells at a glance
// when the report came in; the sequence restarts every local day.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"

namespace aftercare::intake::domain {

// "<project_code>-<YYYYMMDD>-<sequence>", the sequence zero-padded to 4 digits and simply
// longer past 9999 so a busy day never wraps into duplicates. local_day is the project-local
// day of creation; sequence_of_the_day starts at 1 (allocated by the store).
std::string format_ticket_no(std::string_view project_code, absl::CivilDay local_day,
                             int64_t sequence_of_the_day);

}  // namespace aftercare::intake::domain
