// The OpenAPI document covers every route of the table and the special routes, uses the codec's
// conventions, and the committed gateway/openapi.json is exactly what the gateway generates.
#include "gateway/openapi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/gateway.h"

namespace aftercare::gateway {
namespace {

using json = nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Resolves "#/components/schemas/X" and fails the test when it does not exist.
const json& resolve(const json& doc, const json& schema) {
  static const json empty = json::object();
  if (!schema.contains("$ref")) return schema;
  std::string ref = schema["$ref"];
  const std::string prefix = "#/components/schemas/";
  EXPECT_TRUE(ref.starts_with(prefix)) << ref;
  std::string name = ref.substr(prefix.size());
  EXPECT_TRUE(doc["components"]["schemas"].contains(name)) << ref;
  return doc["components"]["schemas"].contains(name) ? doc["components"]["schemas"][name] : empty;
}

TEST(OpenApi, CoversEveryRouteOfTheTable) {
  json doc = openapi_document();
  EXPECT_EQ(doc["openapi"], "3.0.3");
  ASSERT_TRUE(doc["paths"].is_object());
  size_t operations = 0;
  for (const Route& route : routes()) {
    ASSERT_TRUE(doc["paths"].contains(route.pattern)) << route.pattern;
    const json& path = doc["paths"][route.pattern];
    std::string method = lower(route.method);
    ASSERT_TRUE(path.contains(method)) << route.method << " " << route.pattern;
    const json& op = path[method];
    EXPECT_EQ(op["x-grpc-method"], route.rpc);
    EXPECT_TRUE(op["responses"].contains(std::to_string(route.created_status))) << route.pattern;
    EXPECT_TRUE(op["responses"].contains("400"));
    EXPECT_TRUE(op["responses"].contains("401"));
    std::string description = op["description"];
    for (const auto& role : route.roles.names())
      EXPECT_NE(description.find(role), std::string::npos) << route.pattern << " " << role;
    // Every path parameter is declared.
    for (size_t i = route.pattern.find('{'); i != std::string::npos;
         i = route.pattern.find('{', i + 1)) {
      std::string name = route.pattern.substr(i + 1, route.pattern.find('}', i) - i - 1);
      bool found = false;
      for (const auto& p : op["parameters"])
        found = found || (p["name"] == name && p["in"] == "path");
      EXPECT_TRUE(found) << route.pattern << " lacks " << name;
    }
    if (route.method != "GET") {
      resolve(doc, op["requestBody"]["content"]["application/json"]["schema"]);
    }
    resolve(doc, op["responses"][std::to_string(route.created_status)]["content"]
                   ["application/json"]["schema"]);
    ++operations;
  }
  EXPECT_EQ(operations, routes().size());
  for (const char* special :
       {"/v1/partners/{party_id}/events", "/v1/projects/{project_id}/reports/{period}", "/healthz",
        "/openapi.json"})
    EXPECT_TRUE(doc["paths"].contains(special) && doc["paths"][special].contains("get")) << special;
  EXPECT_TRUE(doc["paths"]["/healthz"]["get"]["security"].empty());
  // /metrics is on the admin listener only (not routed by the Ingress).
  EXPECT_FALSE(doc["paths"].contains("/metrics"));
  EXPECT_EQ(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  EXPECT_TRUE(doc["components"]["schemas"].contains("Error"));
}

TEST(OpenApi, EveryReferenceResolves) {
  json doc = openapi_document();
  std::vector<const json*> stack = {&doc};
  size_t refs = 0;
  while (!stack.empty()) {
    const json* node = stack.back();
    stack.pop_back();
    if (node->is_object() && node->contains("$ref")) {
      resolve(doc, *node);
      ++refs;
    }
    if (node->is_structured())
      for (const auto& child : *node) stack.push_back(&child);
  }
  EXPECT_GT(refs, 50u);
}

TEST(OpenApi, UsesTheCodecConventions) {
  json doc = openapi_document();
  const json& schemas = doc["components"]["schemas"];
  const json& ticket = schemas["Ticket"]["properties"];
  ASSERT_TRUE(ticket.is_object());
  // Enum as lower-case names without prefix.
  const json& kind = resolve(doc, ticket["kind"]);
  EXPECT_EQ(kind["type"], "string");
  EXPECT_NE(std::find(kind["enum"].begin(), kind["enum"].end(), "repair"), kind["enum"].end());
  // Timestamp as date-time.
  EXPECT_EQ(ticket["reported_at"]["format"], "date-time");
  // *_centi_m2 as *_m2 number.
  bool found_area = false;
  for (const auto& [name, schema] : schemas.items()) {
    if (!schema.contains("properties")) continue;
    for (const auto& [field, fs] : schema["properties"].items()) {
      EXPECT_FALSE(field.ends_with("_centi_m2")) << name << "." << field;
      if (field.ends_with("_m2") && fs.value("type", "") == "number") found_area = true;
    }
  }
  EXPECT_TRUE(found_area);
}

TEST(OpenApi, CommittedCopyMatchesTheGenerator) {
  // The checkout's path comes from CMake: __FILE__ is relative when ccache rewrites paths
  // (tests/run sets CCACHE_BASEDIR so clean clones share the cache).
  std::filesystem::path file =
      std::filesystem::path(AFTERCARE_SOURCE_DIR) / "gateway" / "openapi.json";
  std::ifstream in(file);
  ASSERT_TRUE(in) << "cannot read " << file;
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_TRUE(committed.str() == openapi_text())
      << file << " is stale: regenerate it with `aftercare-gateway --print-openapi > " << file
      << "`";
}

}  // namespace
}  // namespace aftercare::gateway
