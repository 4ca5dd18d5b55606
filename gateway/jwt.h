// HS256 JSON Web Tokens with the claims of DESIGN.md: sub, role, projects, units, party_id, exp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace aftercare::gateway {

struct Claims {
  std::string sub;
  std::string role;
  std::vector<std::string> projects;
  std::vector<std::string> units;
  std::string party_id;
  int64_t exp = 0;  // seconds since the epoch
};

std::string mint_token(const std::string& secret, const Claims& claims);

// The claims of a valid token signed with `secret` and not expired at `now`; nullopt otherwise
// (with the reason in `why`).
std::optional<Claims> verify_token(const std::string& secret, const std::string& token,
                                   std::chrono::system_clock::time_point now, std::string* why);

}  // namespace aftercare::gateway
