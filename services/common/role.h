// The caller's role, typed: the values of aftercare.v1.Role (common.proto), named as the JWT and
// the error messages spell them ("agent", "supervisor", ...). Names become roles in one place
// (role_from_name: the gateway reading a token) and the wire value in another (begin_call), so a
// check reads `caller.is(Role::agent)` and a misspelt role does not compile.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace aftercare::kit {

enum class Role : uint8_t {
  none = 0,  // ROLE_UNSPECIFIED: an anonymous caller, refused by every check
  owner = 1,
  agent = 2,
  verifier = 3,
  dispatcher = 4,
  crew = 5,
  contractor = 6,
  builder = 7,
  supervisor = 8,
  finance = 9,
  admin = 10,
  service = 11,  // another AfterCare service or a sweeper; never in a person's token
  hq = 12,
};

// "agent" for Role::agent; "" for Role::none.
std::string role_name(Role role);
// Role::agent for "agent"; Role::none for anything that names no role (case matters).
Role role_from_name(std::string_view name);
// The wire value (aftercare.v1.Role) and back; an unknown number is Role::none.
int role_to_wire(Role role);
Role role_from_wire(int value);

// A set of roles, built at compile time: `constexpr Roles kDeciders{Role::agent, Role::admin};`.
class Roles {
 public:
  constexpr Roles() = default;
  constexpr Roles(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ |= bit(r);
  }
  constexpr bool contains(Role r) const { return r != Role::none && (bits_ & bit(r)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr Roles operator|(Roles other) const {
    Roles out;
    out.bits_ = bits_ | other.bits_;
    return out;
  }
  // The members' names in alphabetical order (as a std::set<std::string> of them would list).
  std::vector<std::string> names() const;

 private:
  static constexpr uint32_t bit(Role r) { return uint32_t{1} << static_cast<unsigned>(r); }
  uint32_t bits_ = 0;
};

}  // namespace aftercare::kit
