// callback's own settings, each declared once with its default and bounds (read by
// kit::read_setting; docs/operations.md lists them).
#pragma once

#include <limits>

#include "common/config.h"

namespace aftercare::callback {

inline constexpr kit::IntSetting kGeneratorIntervalS{
    "AFTERCARE_CALLBACK_GENERATOR_INTERVAL_S", 60, 1, std::numeric_limits<int>::max(),
    "periodic and warranty-expiry outreach generator, seconds"};
inline constexpr kit::IntSetting kMessageIntervalS{
    "AFTERCARE_CALLBACK_MESSAGE_INTERVAL_S", 5, 1, 3600,
    "owner-message sender round: posts due messages, retries failed posts"};
inline constexpr kit::IntSetting kCloseIntervalS{"AFTERCARE_CALLBACK_CLOSE_INTERVAL_S", 300, 1,
                                                 86400, "period-close sweep, seconds"};
inline constexpr kit::IntSetting kCloseGraceS{
    "AFTERCARE_CALLBACK_CLOSE_GRACE_S", 3600, 0, 86400,
    "a period closes this long after its end (project time zone)"};

}  // namespace aftercare::callback
