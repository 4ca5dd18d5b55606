// Stage 1 of a request: who is calling. A valid HS256 bearer token of a known role becomes the
// caller; then the caller's rate limit is taken (429 with Retry-After when empty).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "common/call.h"
#include "gateway/http_message.h"
#include "gateway/jwt.h"

namespace aftercare::gateway {

// The roles of DESIGN.md a token may carry.
bool known_role(const std::string& role);
kit::Caller caller_of(const Claims& claims);

// The caller of `authorization` (the header's value), or the 401 to send.
std::variant<kit::Caller, HttpResponse> authenticate(const std::string& authorization,
                                                     const std::string& secret,
                                                     std::chrono::system_clock::time_point now);

// true = allowed; false = limited with the seconds to wait (RateLimiter::allow's shape).
using RateCheck = std::function<bool(const std::string& subject, int* retry_after_s)>;

// nullopt when the caller may go on, else the 429 to send.
std::optional<HttpResponse> admit(const kit::Caller& caller, const RateCheck& check);

}  // namespace aftercare::gateway
