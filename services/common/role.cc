#include "common/role.h"

#include <algorithm>
#include <array>

#include "aftercare/v1/common.pb.h"

namespace aftercare::kit {
namespace {

namespace v1 = aftercare::v1;
static_assert(static_cast<int>(Role::owner) == v1::ROLE_OWNER);
static_assert(static_cast<int>(Role::agent) == v1::ROLE_AGENT);
static_assert(static_cast<int>(Role::verifier) == v1::ROLE_VERIFIER);
static_assert(static_cast<int>(Role::dispatcher) == v1::ROLE_DISPATCHER);
static_assert(static_cast<int>(Role::crew) == v1::ROLE_CREW);
static_assert(static_cast<int>(Role::contractor) == v1::ROLE_CONTRACTOR);
static_assert(static_cast<int>(Role::builder) == v1::ROLE_BUILDER);
static_assert(static_cast<int>(Role::supervisor) == v1::ROLE_SUPERVISOR);
static_assert(static_cast<int>(Role::finance) == v1::ROLE_FINANCE);
static_assert(static_cast<int>(Role::admin) == v1::ROLE_ADMIN);
static_assert(static_cast<int>(Role::service) == v1::ROLE_SERVICE);
static_assert(static_cast<int>(Role::hq) == v1::ROLE_HQ);
static_assert(v1::Role_MAX == v1::ROLE_HQ, "a new aftercare.v1.Role needs its kit::Role");

constexpr std::array<std::string_view, 13> kNames = {
    "",        "owner",      "agent",   "verifier", "dispatcher", "crew", "contractor",
    "builder", "supervisor", "finance", "admin",    "service",    "hq"};

}  // namespace

std::string role_name(Role role) {
  auto i = static_cast<size_t>(role);
  return i < kNames.size() ? std::string(kNames[i]) : std::string();
}

Role role_from_name(std::string_view name) {
  if (name.empty()) return Role::none;
  for (size_t i = 1; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Role>(i);
  return Role::none;
}

int role_to_wire(Role role) {
  return static_cast<int>(role);
}

Role role_from_wire(int value) {
  return value > 0 && static_cast<size_t>(value) < kNames.size() ? static_cast<Role>(value)
                                                                 : Role::none;
}

std::vector<std::string> Roles::names() const {
  std::vector<std::string> out;
  for (size_t i = 1; i < kNames.size(); ++i)
    if (contains(static_cast<Role>(i))) out.emplace_back(kNames[i]);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace aftercare::kit
