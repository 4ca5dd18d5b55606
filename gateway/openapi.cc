#include "gateway/openapi.h"

#include <google/protobuf/descriptor.h>

#include <set>
#include <string>
#include <vector>

#include "aftercare/v1/billing.pb.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/intake.pb.h"
#include "aftercare/v1/loyalty.pb.h"
#include "common/input.h"
#include "gateway/gateway.h"

namespace aftercare::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using json = nlohmann::json;

constexpr std::string_view kCentiSuffix = "_centi_m2";
constexpr std::string_view kPackage = "aftercare.v1.";

const google::protobuf::MethodDescriptor* find_method(const std::string& rpc) {
  auto dot = rpc.rfind('.');
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(rpc.substr(0, dot));
  if (!service) throw std::logic_error("openapi: unknown service in " + rpc);
  const auto* method = service->FindMethodByName(rpc.substr(dot + 1));
  if (!method) throw std::logic_error("openapi: unknown method " + rpc);
  return method;
}

std::string component_name(const std::string& full_name) {
  std::string_view n = full_name;
  if (n.starts_with(kPackage)) n.remove_prefix(kPackage.size());
  return std::string(n);
}

std::string ref_to(const std::string& full_name) {
  return "#/components/schemas/" + component_name(full_name);
}

std::string public_field_name(const FieldDescriptor& f) {
  const std::string& n = f.name();
  if (n.size() > kCentiSuffix.size() && n.ends_with(kCentiSuffix))
    return n.substr(0, n.size() - kCentiSuffix.size()) + "_m2";
  return n;
}

json error_responses() {
  json out = json::object();
  const std::pair<const char*, const char*> kErrors[] = {
      {"400", "Invalid input (malformed JSON, wrong type, unknown field or enum value)"},
      {"401", "Missing, invalid or expired bearer token"},
      {"403", "The caller's role may not use this route"},
      {"404", "Unknown, or outside the caller's scope"},
      {"409", "Already exists, failed precondition, or Idempotency-Key conflict"},
      {"429", "Rate limited (see Retry-After)"},
      {"503", "A service or its database is unavailable"},
  };
  for (auto [code, why] : kErrors)
    out[code] = {{"description", why},
                 {"content",
                  {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  return out;
}

class SchemaBuilder {
 public:
  // The schema of one field value (without the repeated wrapper).
  json value_schema(const FieldDescriptor& f) {
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return {{"type", "integer"}, {"format", "int32"}};
      case FieldDescriptor::CPPTYPE_UINT32:
        return {{"type", "integer"}, {"format", "int32"}, {"minimum", 0}};
      case FieldDescriptor::CPPTYPE_INT64:
        if (public_field_name(f) != f.name())
          return {{"type", "number"},
                  {"multipleOf", 0.01},
                  {"description", "square metres, at most 2 decimals"}};
        return {{"type", "integer"}, {"format", "int64"}};
      case FieldDescriptor::CPPTYPE_UINT64:
        return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}};
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return {{"type", "number"}, {"format", "double"}};
      case FieldDescriptor::CPPTYPE_FLOAT:
        return {{"type", "number"}, {"format", "float"}};
      case FieldDescriptor::CPPTYPE_BOOL:
        return {{"type", "boolean"}};
      case FieldDescriptor::CPPTYPE_STRING:
        if (f.type() == FieldDescriptor::TYPE_BYTES)
          return {{"type", "string"}, {"format", "byte"}};
        return {{"type", "string"}};
      case FieldDescriptor::CPPTYPE_ENUM:
        add_enum(*f.enum_type());
        return {{"$ref", ref_to(f.enum_type()->full_name())}};
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return message_ref(*f.message_type());
    }
    return json::object();
  }

  json field_schema(const FieldDescriptor& f) {
    if (f.is_repeated()) return {{"type", "array"}, {"items", value_schema(f)}};
    json s = value_schema(f);
    if (f.has_presence() && !f.containing_oneof()) {
      // Unset messages and optional scalars are shown as null.
      if (s.contains("$ref")) s = {{"allOf", json::array({s})}};
      s["nullable"] = true;
    }
    return s;
  }

  // A $ref for a message, or the inline string schema of the special types.
  json message_ref(const Descriptor& d) {
    const std::string& name = d.full_name();
    if (name == "google.protobuf.Timestamp") return {{"type", "string"}, {"format", "date-time"}};
    if (name == "aftercare.v1.Date") return {{"type", "string"}, {"format", "date"}};
    if (name == "aftercare.v1.YearMonth")
      return {{"type", "string"}, {"pattern", "^[0-9]{4}-[0-9]{2}$"}, {"example", "2026-11"}};
    add_message(d);
    return {{"$ref", ref_to(name)}};
  }

  void add_message(const Descriptor& d) {
    std::string key = component_name(d.full_name());
    if (schemas_.contains(key)) return;
    schemas_[key] = json::object();  // placeholder: recursion stops here
    json props = json::object();
    std::vector<std::string> oneofs;
    for (int i = 0; i < d.field_count(); ++i) {
      const FieldDescriptor& f = *d.field(i);
      props[public_field_name(f)] = field_schema(f);
    }
    json schema = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
    for (int i = 0; i < d.oneof_decl_count(); ++i) {
      if (d.oneof_decl(i)->is_synthetic()) continue;  // proto3 `optional`
      std::string members;
      for (int k = 0; k < d.oneof_decl(i)->field_count(); ++k)
        members += (members.empty() ? "" : ", ") + d.oneof_decl(i)->field(k)->name();
      oneofs.push_back("at most one of " + members);
    }
    if (!oneofs.empty()) {
      std::string text;
      for (const auto& o : oneofs) text += (text.empty() ? "" : "; ") + o;
      schema["description"] = text;
    }
    schemas_[key] = schema;
  }

  void add_enum(const EnumDescriptor& e) {
    std::string key = component_name(e.full_name());
    if (schemas_.contains(key)) return;
    json values = json::array();
    for (int i = 0; i < e.value_count(); ++i)
      values.push_back(kit::enum_public_name(e, e.value(i)->number()));
    schemas_[key] = {{"type", "string"},
                     {"enum", values},
                     {"description", "\"" + kit::enum_public_name(e, 0) +
                                         "\" (the zero value) may appear in responses but is "
                                         "never accepted as input"}};
  }

  json& schemas() { return schemas_; }

 private:
  json schemas_ = json::object();
};

std::vector<std::string> path_params(const std::string& pattern) {
  std::vector<std::string> names;
  for (size_t i = pattern.find('{'); i != std::string::npos; i = pattern.find('{', i + 1))
    names.push_back(pattern.substr(i + 1, pattern.find('}', i) - i - 1));
  return names;
}

std::string roles_text(const kit::Roles& roles) {
  if (roles.empty()) return "any signed-in caller (the service checks scope)";
  std::string text;
  for (const auto& r : roles.names()) text += (text.empty() ? "" : ", ") + r;
  return text;
}

json roles_array(const kit::Roles& roles) {
  json a = json::array();
  for (const auto& r : roles.names()) a.push_back(r);
  return a;
}

json operation_for(const Route& route, SchemaBuilder& schemas) {
  const auto* method = find_method(route.rpc);
  const Descriptor& in = *method->input_type();
  json params = json::array();
  std::set<std::string> from_path;
  for (const auto& name : path_params(route.pattern)) {
    auto renamed = route.renames.find(name);
    std::string field = renamed == route.renames.end() ? name : renamed->second;
    from_path.insert(field);
    const FieldDescriptor* f = in.FindFieldByName(field);
    json schema = f && !f->is_repeated() ? schemas.value_schema(*f) : json{{"type", "string"}};
    params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", schema}});
  }
  json op = {
      {"operationId", method->service()->name() + "." + method->name()},
      {"summary", route.method + " " + route.pattern + " -> " + route.rpc},
      {"description",
       "Roles: " + roles_text(route.roles) + "." +
           (route.owner_param.empty() ? std::string()
                                      : " Owners only with their own " + route.owner_param + ".") +
           (route.idempotent_create
                ? " Idempotent with Idempotency-Key (same key and caller replay "
                  "the first answer; a different body is 409)."
                : "")},
      {"x-roles", roles_array(route.roles)},
      {"x-grpc-method", route.rpc},
      {"tags", json::array({method->service()->name()})},
  };
  if (route.method == "GET") {
    // Every other scalar field of the request can be given in the query string.
    for (int i = 0; i < in.field_count(); ++i) {
      const FieldDescriptor& f = *in.field(i);
      if (f.is_repeated() || from_path.contains(f.name())) continue;
      json schema = schemas.value_schema(f);
      if (schema.contains("$ref") && f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) continue;
      params.push_back({{"name", public_field_name(f)},
                        {"in", "query"},
                        {"required", false},
                        {"schema", schema}});
    }
  } else {
    op["requestBody"] = {
        {"required", false},
        {"description",
         "The request message; path parameters may be repeated in the body only with the "
         "same value."},
        {"content", {{"application/json", {{"schema", schemas.message_ref(in)}}}}}};
  }
  if (route.provider_signed) {
    // No JWT: the provider signs the raw body; the body is the receipt, not the request message.
    op["security"] = json::array();
    op["description"] =
        "Called by the channel's provider, no bearer token: X-AfterCare-Signature is "
        "sha256=<hex HMAC-SHA256 of the raw body with the channel secret>. A wrong signature is "
        "401, an unknown message_id 404; a receipt never moves a message backwards.";
    op["requestBody"] = {
        {"required", true},
        {"content",
         {{"application/json",
           {{"schema",
             {{"type", "object"},
              {"required", json::array({"message_id", "status"})},
              {"properties",
               {{"message_id", {{"type", "string"}, {"format", "uuid"}}},
                {"status", {{"type", "string"}, {"enum", json::array({"delivered", "failed"})}}},
                {"at", {{"type", "string"}, {"format", "date-time"}}}}}}}}}}}};
    params.push_back({{"name", "X-AfterCare-Signature"},
                      {"in", "header"},
                      {"required", true},
                      {"schema", {{"type", "string"}, {"pattern", "^sha256=[0-9a-f]{64}$"}}}});
  }
  if (route.idempotent_create)
    params.push_back({{"name", "Idempotency-Key"},
                      {"in", "header"},
                      {"required", false},
                      {"schema", {{"type", "string"}, {"maxLength", 200}}}});
  if (!params.empty()) op["parameters"] = params;
  json responses = error_responses();
  json ok = {{"description", "OK"},
             {"content",
              {{"application/json", {{"schema", schemas.message_ref(*method->output_type())}}}}}};
  responses[std::to_string(route.created_status)] = ok;
  if (route.created_status != 200) {
    ok["description"] = "Nothing new was created (replayed payment or earning)";
    responses["200"] = ok;
  }
  op["responses"] = responses;
  return op;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void add_special_routes(json& paths, SchemaBuilder& schemas) {
  json path_party = {
      {"name", "party_id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
  json events_ok = {{"description",
                     "Long-poll JSON by default; Server-Sent Events with Accept: "
                     "text/event-stream (id = cursor, resumable with Last-Event-ID)"},
                    {"content",
                     {{"application/json",
                       {{"schema", schemas.message_ref(
                                       *aftercare::v1::ListPartnerEventsResponse::descriptor())}}},
                      {"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
  json events_responses = error_responses();
  events_responses["200"] = events_ok;
  paths["/v1/partners/{party_id}/events"]["get"] = {
      {"operationId", "PartnerEvents"},
      {"summary",
       "GET /v1/partners/{party_id}/events -> "
       "aftercare.v1.DispatchService.ListPartnerEvents"},
      {"description", "Roles: builder, contractor, crew (their own party_id only), admin."},
      {"x-roles", json::array({"admin", "builder", "contractor", "crew"})},
      {"tags", json::array({"DispatchService"})},
      {"parameters",
       json::array({path_party,
                    {{"name", "after"},
                     {"in", "query"},
                     {"required", false},
                     {"schema", {{"type", "string"}}},
                     {"description", "cursor to resume after"}},
                    {{"name", "wait"},
                     {"in", "query"},
                     {"required", false},
                     {"schema", {{"type", "integer"}, {"minimum", 0}, {"maximum", 30}}},
                     {"description", "long-poll seconds (default 25)"}},
                    {{"name", "Last-Event-ID"},
                     {"in", "header"},
                     {"required", false},
                     {"schema", {{"type", "string"}}}}})},
      {"responses", events_responses}};

  json incomplete_item = {
      {"type", "object"},
      {"properties", {{"section", {{"type", "string"}}}, {"reason", {{"type", "string"}}}}}};
  json report_props = {{"project_id", {{"type", "string"}}},
                       {"period", {{"type", "string"}}},
                       {"incomplete", {{"type", "array"}, {"items", incomplete_item}}}};
  for (const auto& [section, rpc] : report_sections()) {
    json s = {{"allOf", json::array({schemas.message_ref(*find_method(rpc)->output_type())})},
              {"nullable", true}};
    report_props[section] = s;
  }
  json report_responses = error_responses();
  report_responses["200"] = {
      {"description",
       "Each service's section; a section whose service is down is null and "
       "listed in incomplete"},
      {"content",
       {{"application/json", {{"schema", {{"type", "object"}, {"properties", report_props}}}}}}}};
  paths["/v1/projects/{project_id}/reports/{period}"]["get"] = {
      {"operationId", "ProjectReport"},
      {"summary",
       "GET /v1/projects/{project_id}/reports/{period}: the KPI report of every "
       "service"},
      {"description", "Roles: admin, finance, supervisor."},
      {"x-roles", json::array({"admin", "finance", "supervisor"})},
      {"tags", json::array({"Reports"})},
      {"parameters", json::array({{{"name", "project_id"},
                                   {"in", "path"},
                                   {"required", true},
                                   {"schema", {{"type", "string"}}}},
                                  {{"name", "period"},
                                   {"in", "path"},
                                   {"required", true},
                                   {"schema",
                                    {{"type", "string"},
                                     {"pattern", "^[0-9]{4}-([0-9]{2}|W[0-9]{2}|Q[1-4])$"},
                                     {"example", "2026-11"}}}}})},
      {"responses", report_responses}};

  json health = {{"type", "object"},
                 {"properties",
                  {{"status", {{"type", "string"}, {"enum", json::array({"ok", "degraded"})}}},
                   {"services",
                    {{"type", "object"},
                     {"additionalProperties",
                      {{"type", "string"}, {"enum", json::array({"up", "degraded", "down"})}}}}}}}};
  paths["/healthz"]["get"] = {
      {"operationId", "Healthz"},
      {"summary", "Aggregated health of the services (no auth)"},
      {"tags", json::array({"Operations"})},
      {"security", json::array()},
      {"responses",
       {{"200",
         {{"description", "every service is up"},
          {"content", {{"application/json", {{"schema", health}}}}}}},
        {"503",
         {{"description",
           "a service is down, or degraded (its database, broker or outbox; "
           "the service's own /healthz names which)"},
          {"content", {{"application/json", {{"schema", health}}}}}}}}}};
  paths["/openapi.json"]["get"] = {
      {"operationId", "OpenApi"},
      {"summary", "This document (no auth)"},
      {"tags", json::array({"Operations"})},
      {"security", json::array()},
      {"responses",
       {{"200",
         {{"description", "OpenAPI 3.0 document"},
          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}}}};
}

}  // namespace

json openapi_document() {
  // The route table names methods only as strings: reference each service's generated file so
  // the linker keeps its descriptors in the pool.
  for (const auto* d :
       {aftercare::v1::OpenTicketRequest::descriptor(), aftercare::v1::WorkOrder::descriptor(),
        aftercare::v1::Callback::descriptor(), aftercare::v1::Member::descriptor(),
        aftercare::v1::Invoice::descriptor()})
    if (d->file()->service_count() == 0)
      throw std::logic_error("openapi: no service in " + d->file()->name());
  SchemaBuilder schemas;
  json paths = json::object();
  for (const Route& route : routes())
    paths[route.pattern][lower(route.method)] = operation_for(route, schemas);
  add_special_routes(paths, schemas);
  schemas.schemas()["Error"] = {
      {"type", "object"},
      {"required", json::array({"error"})},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", json::array({"code", "message"})},
          {"properties",
           {{"code",
             {{"type", "string"},
              {"description",
               "invalid_argument, unauthenticated, permission_denied, not_found, "
               "already_exists, failed_precondition, aborted, rate_limited, "
               "idempotency_key_reused, request_in_progress, unimplemented, unavailable, "
               "internal"}}},
            {"message", {{"type", "string"}}}}}}}}}};
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "AfterCare public HTTP API"},
        {"version", "v1"},
        {"description",
         "Generated from gateway/routes.cc and the .proto descriptors (aftercare-gateway "
         "--print-openapi). JSON uses the .proto field names; enums are lower-case names "
         "without their type prefix; int64 amounts are JSON integers (fen); times are RFC 3339; "
         "*_centi_m2 fields appear as *_m2 numbers. Every response carries a traceparent "
         "header."}}},
      {"servers", json::array({{{"url", "http://127.0.0.1:8080"}}})},
      {"security", json::array({{{"bearerAuth", json::array()}}})},
      {"paths", paths},
      {"components",
       {{"securitySchemes",
         {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}},
        {"schemas", schemas.schemas()}}},
  };
}

std::string openapi_text() {
  return openapi_document().dump(2) + "\n";
}

}  // namespace aftercare::gateway
