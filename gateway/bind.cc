#include "gateway/bind.h"

#include <nlohmann/json.hpp>

#include "common/json_codec.h"

namespace aftercare::gateway {

using json = nlohmann::json;

HttpResponse body_too_large(size_t limit) {
  return error_response(413, "payload_too_large",
                        "request body is too large (limit " + std::to_string(limit) + " bytes)");
}

std::optional<HttpResponse> bind(const Route& route, const std::vector<std::string>& names,
                                 const std::vector<std::string>& params, const HttpRequest& req,
                                 const kit::Caller& caller, size_t body_limit,
                                 google::protobuf::Message* request) {
  if (req.body.size() > body_limit) return body_too_large(body_limit);
  json url = json::object();
  for (size_t i = 0; i < names.size() && i < params.size(); ++i) {
    const std::string& value = params[i];
    if (names[i] == route.owner_param && caller.is(kit::Role::owner) && value != caller.sub)
      return error_response(404, "not_found", names[i] + " " + value + " not found");
    auto renamed = route.renames.find(names[i]);
    url[renamed == route.renames.end() ? names[i] : renamed->second] = value;
  }
  for (const auto& [key, value] : req.query) {
    if (url.contains(key)) return error_response(400, "invalid_argument", key + ": given twice");
    url[key] = value;
  }
  if (!req.body.empty() && route.method != "GET") {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded())
      return error_response(400, "invalid_argument", "body is not valid JSON");
    if (!body.is_object())
      return error_response(400, "invalid_argument", "body must be a JSON object");
    for (const auto& [key, value] : url.items())
      if (body.contains(key) && !(body[key].is_string() && body[key] == value))
        return error_response(400, "invalid_argument", key + ": the body disagrees with the URL");
    if (std::string err = kit::from_json(body, request); !err.empty())
      return error_response(400, "invalid_argument", err);
  }
  if (std::string err = kit::from_json(url, request, /*from_url=*/true); !err.empty())
    return error_response(400, "invalid_argument", err);
  return std::nullopt;
}

std::optional<HttpResponse> bind_signed(const std::vector<std::string>& names,
                                        const std::vector<std::string>& params,
                                        const HttpRequest& req, size_t body_limit,
                                        google::protobuf::Message* request) {
  if (req.body.size() > body_limit) return body_too_large(body_limit);
  const google::protobuf::Descriptor* d = request->GetDescriptor();
  const google::protobuf::Reflection* refl = request->GetReflection();
  auto set = [&](const std::string& field, const std::string& value) {
    const google::protobuf::FieldDescriptor* f = d->FindFieldByName(field);
    if (f && !f->is_repeated() &&
        (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING ||
         f->type() == google::protobuf::FieldDescriptor::TYPE_BYTES))
      refl->SetString(request, f, value);
  };
  for (size_t i = 0; i < names.size() && i < params.size(); ++i) set(names[i], params[i]);
  set("raw_body", req.body);
  set("signature", req.header("X-AfterCare-Signature"));
  return std::nullopt;
}

}  // namespace aftercare::gateway
