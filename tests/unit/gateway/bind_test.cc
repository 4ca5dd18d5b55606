// Stage 3: path, query and body become the route's request message; conflicts, bad JSON and
// bodies over the limit are refused before anything is forwarded.
#include "gateway/bind.h"

#include <gtest/gtest.h>

#include "aftercare/v1/intake.pb.h"
#include "aftercare/v1/loyalty.pb.h"

namespace aftercare::gateway {
namespace {

const Route kOpen{"POST", "/v1/tickets", "aftercare.v1.IntakeService.OpenTicket", {}, 201, true};
const Route kGet{"GET", "/v1/tickets/{ticket_id}", "aftercare.v1.IntakeService.GetTicket", {}};
const Route kMember{
    "GET",     "/v1/members/{owner_id}", "aftercare.v1.LoyaltyService.GetMember", {}, 200, false,
    "owner_id"};
const kit::Caller kAgent{"agent-1", kit::Role::agent, {"P01"}, {}, ""};

HttpRequest post(const std::string& target, const std::string& body) {
  HttpRequest r;
  r.method = "POST";
  parse_target(target, &r);
  r.body = body;
  return r;
}

TEST(Bind, BodyAndUrlFillTheRequest) {
  aftercare::v1::OpenTicketRequest m;
  auto r = post("/v1/tickets",
                R"({"project_id":"P01","unit_id":"U1","kind":"repair","description":"漏水"})");
  ASSERT_FALSE(bind(kOpen, {}, {}, r, kAgent, 1 << 20, &m));
  EXPECT_EQ(m.project_id(), "P01");
  EXPECT_EQ(m.kind(), aftercare::v1::TICKET_KIND_REPAIR);
  EXPECT_EQ(m.description(), "漏水");

  aftercare::v1::GetTicketRequest g;
  HttpRequest get;
  get.method = "GET";
  parse_target("/v1/tickets/T%201", &get);
  ASSERT_FALSE(bind(kGet, {"ticket_id"}, {"T 1"}, get, kAgent, 1 << 20, &g));
  EXPECT_EQ(g.ticket_id(), "T 1");
}

TEST(Bind, RefusesWhatCannotBeBound) {
  aftercare::v1::OpenTicketRequest m;
  auto code = [&](const HttpRequest& r) {
    auto refused = bind(kOpen, {}, {}, r, kAgent, 64, &m);
    return refused ? refused->status : 0;
  };
  EXPECT_EQ(code(post("/v1/tickets", "{not json")), 400);
  EXPECT_EQ(code(post("/v1/tickets", "[1]")), 400);
  EXPECT_EQ(code(post("/v1/tickets", R"({"colour":"red"})")), 400);
  EXPECT_EQ(code(post("/v1/tickets?project_id=P01", R"({"project_id":"P02"})")), 400);
  EXPECT_EQ(code(post("/v1/tickets?unit_id=U1&unit_id=U2", "")), 400);
  auto big = bind(kOpen, {}, {}, post("/v1/tickets", std::string(65, ' ')), kAgent, 64, &m);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("too large"), std::string::npos);
}

TEST(Bind, OwnersNameOnlyThemselves) {
  aftercare::v1::GetMemberRequest m;
  HttpRequest r;
  r.method = "GET";
  parse_target("/v1/members/o2", &r);
  kit::Caller owner{"o1", kit::Role::owner, {"P01"}, {"U1"}, ""};
  EXPECT_EQ(bind(kMember, {"owner_id"}, {"o2"}, r, owner, 1024, &m)->status, 404);
  EXPECT_FALSE(bind(kMember, {"owner_id"}, {"o1"}, r, owner, 1024, &m));
  EXPECT_FALSE(bind(kMember, {"owner_id"}, {"o2"}, r, kAgent, 1024, &m));
}

}  // namespace
}  // namespace aftercare::gateway
