#include "gateway/jwt.h"

#include <gtest/gtest.h>

namespace aftercare::gateway {
namespace {

using namespace std::chrono;

TEST(Jwt, MintedTokenVerifiesWithItsClaims) {
  auto now = system_clock::now();
  Claims c{"owner-7", "owner",
           {"P01"},   {"U-101", "U-102"},
           "",        duration_cast<seconds>(now.time_since_epoch()).count() + 60};
  std::string token = mint_token("s3cret", c);
  std::string why;
  auto v = verify_token("s3cret", token, now, &why);
  ASSERT_TRUE(v) << why;
  EXPECT_EQ(v->sub, "owner-7");
  EXPECT_EQ(v->role, "owner");
  EXPECT_EQ(v->projects, c.projects);
  EXPECT_EQ(v->units, c.units);
}

TEST(Jwt, RejectsWrongSecretExpiryAndGarbage) {
  auto now = system_clock::now();
  Claims c{"a", "admin", {"*"},
           {},  "",      duration_cast<seconds>(now.time_since_epoch()).count() + 60};
  std::string token = mint_token("s3cret", c);
  std::string why;
  EXPECT_FALSE(verify_token("other", token, now, &why));
  EXPECT_FALSE(verify_token("s3cret", token, now + seconds(61), &why));
  EXPECT_EQ(why, "token expired");
  EXPECT_FALSE(verify_token("s3cret", "not.a.token", now, &why));
  EXPECT_FALSE(verify_token("s3cret", "", now, &why));
}

}  // namespace
}  // namespace aftercare::gateway
