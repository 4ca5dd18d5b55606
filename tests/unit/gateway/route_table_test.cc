// Path patterns are compiled once and matched segment by segment: parameters decoded after
// splitting, the first route of the method wins, HEAD finds GET routes.
#include "gateway/route_table.h"

#include <gtest/gtest.h>

#include "gateway/http_message.h"

namespace aftercare::gateway {
namespace {

TEST(RouteTable, MatchesLiteralsAndDecodesParameters) {
  auto p = PathPattern::compile("/v1/tickets/{ticket_id}/history");
  EXPECT_EQ(p.names(), std::vector<std::string>{"ticket_id"});
  auto m = p.match("/v1/tickets/T%2001/history");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)[0], "T 01");
  EXPECT_FALSE(p.match("/v1/tickets/T1"));
  EXPECT_FALSE(p.match("/v1/tickets//history"));  // an empty parameter is no match
  EXPECT_FALSE(p.match("/v1/tickets/T1/history/"));
  // An encoded slash stays inside its segment.
  EXPECT_EQ((*p.match("/v1/tickets/a%2Fb/history"))[0], "a/b");
}

TEST(RouteTable, FirstRouteOfTheMethodWinsAndHeadFindsGet) {
  RouteTable t;
  size_t get_one = t.add("GET", "/v1/tickets/{ticket_id}");
  size_t post = t.add("POST", "/v1/tickets");
  size_t get_list = t.add("GET", "/v1/tickets");
  EXPECT_EQ(t.find("GET", "/v1/tickets/T1")->id, get_one);
  EXPECT_EQ(t.find("HEAD", "/v1/tickets/T1")->id, get_one);
  EXPECT_EQ(t.find("POST", "/v1/tickets")->id, post);
  EXPECT_EQ(t.find("GET", "/v1/tickets")->id, get_list);
  EXPECT_FALSE(t.find("DELETE", "/v1/tickets/T1"));
  EXPECT_FALSE(t.find("GET", "/v1/nothing"));
  EXPECT_FALSE(t.find("GET", ""));
}

TEST(RouteTable, RefusesMalformedPatternsAtStart) {
  EXPECT_THROW(PathPattern::compile("v1/tickets"), std::invalid_argument);
  EXPECT_THROW(PathPattern::compile("/v1/{ticket_id"), std::invalid_argument);
  EXPECT_THROW(PathPattern::compile("/v1/x{id}"), std::invalid_argument);
}

TEST(HttpMessage, ParsesTheTargetAndHeadersIgnoreCase) {
  HttpRequest r;
  parse_target("/v1/tickets%20x?project_id=P+1&status=open&status=closed&empty=&flag", &r);
  EXPECT_EQ(r.raw_path, "/v1/tickets%20x");
  EXPECT_EQ(r.path, "/v1/tickets x");
  ASSERT_EQ(r.query.size(), 5u);
  EXPECT_EQ(r.query_value("project_id"), "P 1");
  EXPECT_EQ(r.query[2].second, "closed");
  EXPECT_TRUE(r.has_query("flag"));
  EXPECT_EQ(percent_decode("a%zz%4", false), "a%zz%4");  // malformed escapes stay as sent
  r.headers.emplace("Last-Event-ID", "7");
  EXPECT_EQ(r.header("last-event-id"), "7");
  auto e = error_response(404, "not_found", "no such route");
  EXPECT_EQ(e.body, R"({"error":{"code":"not_found","message":"no such route"}})");
}

}  // namespace
}  // namespace aftercare::gateway
