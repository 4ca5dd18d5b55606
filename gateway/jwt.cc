#include "gateway/jwt.h"

#include <jwt.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>

namespace aftercare::gateway {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

const unsigned char* key_bytes(const std::string& secret) {
  return reinterpret_cast<const unsigned char*>(secret.data());
}

}  // namespace

std::string mint_token(const std::string& secret, const Claims& c) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  JwtPtr token(raw);
  nlohmann::json grants = {
      {"sub", c.sub}, {"role", c.role}, {"projects", c.projects}, {"exp", c.exp}};
  if (!c.units.empty()) grants["units"] = c.units;
  if (!c.party_id.empty()) grants["party_id"] = c.party_id;
  if (jwt_add_grants_json(token.get(), grants.dump().c_str()) != 0 ||
      jwt_set_alg(token.get(), JWT_ALG_HS256, key_bytes(secret), static_cast<int>(secret.size())) !=
          0)
    throw std::runtime_error("cannot build token");
  char* encoded = jwt_encode_str(token.get());
  if (!encoded) throw std::runtime_error("cannot encode token");
  std::string out(encoded);
  free(encoded);  // libjwt 1.10 returns malloc()ed strings
  return out;
}

std::optional<Claims> verify_token(const std::string& secret, const std::string& text,
                                   std::chrono::system_clock::time_point now, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Claims> {
    if (why) *why = reason;
    return std::nullopt;
  };
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), key_bytes(secret), static_cast<int>(secret.size())) != 0 ||
      !raw)
    return fail("invalid token signature or format");
  JwtPtr token(raw);
  if (jwt_get_alg(token.get()) != JWT_ALG_HS256) return fail("token must be HS256");
  char* grants_text = jwt_get_grants_json(token.get(), nullptr);
  if (!grants_text) return fail("token has no claims");
  auto grants = nlohmann::json::parse(grants_text, nullptr, false);
  free(grants_text);  // libjwt 1.10 returns malloc()ed strings
  if (!grants.is_object()) return fail("token claims are not an object");
  Claims c;
  try {
    c.sub = grants.at("sub").get<std::string>();
    c.role = grants.at("role").get<std::string>();
    c.exp = grants.at("exp").get<int64_t>();
    if (grants.contains("projects"))
      c.projects = grants["projects"].get<std::vector<std::string>>();
    if (grants.contains("units")) c.units = grants["units"].get<std::vector<std::string>>();
    if (grants.contains("party_id")) c.party_id = grants["party_id"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return fail("token claims have missing or wrong-typed fields");
  }
  if (c.exp <= std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count())
    return fail("token expired");
  return c;
}

}  // namespace aftercare::gateway
