// Stages 1 and 2: who calls (401 for no, bad, expired tokens or unknown roles; 429 with
// Retry-After when the bucket is empty) and whether the role may use the route (403) or the
// feed (404 for another party's).
#include "gateway/authenticate.h"

#include <gtest/gtest.h>

#include "gateway/authorize.h"

namespace aftercare::gateway {
namespace {

const auto kNow = std::chrono::system_clock::from_time_t(1'800'000'000);

std::string bearer(const std::string& role, int64_t exp = 1'800'000'100,
                   const std::string& secret = "s") {
  return "Bearer " + mint_token(secret, {"u1", role, {"P01"}, {}, "B-1", exp});
}

int status_of(const std::variant<kit::Caller, HttpResponse>& v) {
  return std::holds_alternative<HttpResponse>(v) ? std::get<HttpResponse>(v).status : 0;
}

TEST(Authenticate, ValidTokensBecomeTheCaller) {
  auto who = authenticate(bearer("builder"), "s", kNow);
  ASSERT_TRUE(std::holds_alternative<kit::Caller>(who));
  const auto& c = std::get<kit::Caller>(who);
  EXPECT_EQ(c.sub, "u1");
  EXPECT_EQ(c.role, kit::Role::builder);
  EXPECT_EQ(c.party_id, "B-1");
  EXPECT_EQ(c.projects, std::vector<std::string>{"P01"});
}

TEST(Authenticate, EverythingElseIs401) {
  EXPECT_EQ(status_of(authenticate("", "s", kNow)), 401);
  EXPECT_EQ(status_of(authenticate("Basic abc", "s", kNow)), 401);
  EXPECT_EQ(status_of(authenticate("Bearer not-a-token", "s", kNow)), 401);
  EXPECT_EQ(status_of(authenticate(bearer("agent", 1'799'999'999), "s", kNow)), 401);
  EXPECT_EQ(status_of(authenticate(bearer("agent", 1'800'000'100, "other"), "s", kNow)), 401);
  auto unknown = authenticate(bearer("janitor"), "s", kNow);
  ASSERT_EQ(status_of(unknown), 401);
  EXPECT_NE(std::get<HttpResponse>(unknown).body.find("unknown role"), std::string::npos);
}

TEST(Admit, AnEmptyBucketIs429WithRetryAfter) {
  kit::Caller c{"u1", kit::Role::agent, {}, {}, ""};
  std::string asked;
  EXPECT_FALSE(admit(c, [&](const std::string& s, int*) {
    asked = s;
    return true;
  }));
  EXPECT_EQ(asked, "u1");
  auto limited = admit(c, [](const std::string&, int* retry) {
    *retry = 3;
    return false;
  });
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->header("Retry-After"), "3");
  EXPECT_NE(limited->body.find("\"rate_limited\""), std::string::npos);
}

TEST(Authorize, RolesOfTheRouteAndTheFeedRules) {
  Route admin_only{"PUT", "/v1/projects/{project_id}", "x", {kit::Role::admin}};
  Route anyone{"GET", "/v1/tickets", "x", {}};
  kit::Caller agent{"a", kit::Role::agent, {"P01"}, {}, ""};
  kit::Caller admin{"root", kit::Role::admin, {"*"}, {}, ""};
  kit::Caller builder{"b", kit::Role::builder, {"P01"}, {}, "B-1"};
  EXPECT_EQ(authorize(admin_only, agent)->status, 403);
  EXPECT_FALSE(authorize(admin_only, admin));
  EXPECT_FALSE(authorize(anyone, agent));
  EXPECT_FALSE(authorize_partner_feed(builder, "B-1"));
  EXPECT_EQ(authorize_partner_feed(builder, "B-2")->status, 404);
  EXPECT_FALSE(authorize_partner_feed(admin, "B-2"));
  EXPECT_EQ(authorize_partner_feed(agent, "B-1")->status, 403);
  EXPECT_EQ(authorize_report(builder)->status, 403);
  EXPECT_FALSE(authorize_report(admin));
  EXPECT_EQ(authorize_project(agent, "P02")->status, 404);
  EXPECT_FALSE(authorize_project(admin, "P02"));
}

}  // namespace
}  // namespace aftercare::gateway
