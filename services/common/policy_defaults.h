// The platform defaults of the per-project policy sections owned by dispatch, callback, loyalty
// and billing (DOMAIN). Intake stores a project's overrides and answers GetPolicy with the
// effective values, so it needs the defaults too; a unit test keeps this list equal to each
// service's own domain defaults.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "aftercare/v1/common.pb.h"

namespace aftercare::kit {

// Sets every field the project did not override to its platform default.
void fill_platform_defaults(aftercare::v1::Policy* policy);

// "" or "<field> must be between <low> and <high>": the bounds of a policy override (intake,
// callback and dispatch had a copy each).
std::string check_range(std::string_view field, int64_t value, int64_t low, int64_t high);

// One integer override of a project's policy: when `set`, `value` must lie in [low, high] and is
// written to `target` (a field of the policy being built).
struct IntOverride {
  bool set;
  int64_t value;
  const char* field;
  int64_t low;
  int64_t high;
  std::variant<int*, int64_t*> target;
};
// Applies the set overrides in order: "" or the first out-of-range one's check_range message.
std::string apply_int_overrides(std::initializer_list<IntOverride> overrides);

// "HH:MM" (00:00-23:59, two digits each) as minutes after midnight; nullopt for anything else.
std::optional<int> minute_of_day(std::string_view hh_mm);

// Owner messages per owner and day a project may allow at most.
inline constexpr int kMaxDailyMessageCap = 100;

// The overrides whose format intake checks before it stores a policy (the owning service checks
// the same again when it applies them): "" or an error naming the field, e.g.
// "callback.quiet_hours_start must be HH:MM".
std::string check_platform_overrides(const aftercare::v1::Policy& policy);

// Issue 20: "" or the first bad field of Policy.targets ("targets.satisfaction_bp must be between
// 0 and 10000", a staff id empty or over 128 characters, more than 1000 of them).
std::string check_targets(const aftercare::v1::TargetPolicy& targets);

}  // namespace aftercare::kit
