#include "gateway/gateway.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/codegen/rpc_method.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "aftercare/v1/billing.pb.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/intake.pb.h"
#include "aftercare/v1/loyalty.pb.h"
#include "common/call.h"
#include "common/json_codec.h"
#include "common/log.h"
#include "common/trace.h"
#include "gateway/health.h"
#include "gateway/jwt.h"
#include "gateway/openapi.h"

namespace aftercare::gateway {

using kit::from_json;
using kit::to_json;
namespace {

using google::protobuf::Message;
using json = nlohmann::json;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  send_json(res, status, {{"error", {{"code", code}, {"message", message}}}});
}

// aftercare.v1.IntakeService.OpenTicket -> "intake"
std::string service_of(const std::string& rpc) {
  static const std::map<std::string, std::string> kServices = {{"IntakeService", "intake"},
                                                               {"DispatchService", "dispatch"},
                                                               {"CallbacksService", "callback"},
                                                               {"LoyaltyService", "loyalty"},
                                                               {"BillingService", "billing"}};
  auto first = rpc.find('.', std::string("aftercare.v1.").size());
  std::string name =
      rpc.substr(std::string("aftercare.v1.").size(), first - std::string("aftercare.v1.").size());
  auto it = kServices.find(name);
  return it == kServices.end() ? "" : it->second;
}

const google::protobuf::MethodDescriptor* method_of(const std::string& rpc) {
  auto dot = rpc.rfind('.');
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(rpc.substr(0, dot));
  return service ? service->FindMethodByName(rpc.substr(dot + 1)) : nullptr;
}

std::unique_ptr<Message> new_message(const google::protobuf::Descriptor* d) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

// "/v1/tickets/{ticket_id}" -> regex and the parameter names in order.
std::pair<std::string, std::vector<std::string>> compile_pattern(const std::string& pattern) {
  std::string regex;
  std::vector<std::string> names;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      auto close = pattern.find('}', i);
      names.push_back(pattern.substr(i + 1, close - i - 1));
      regex += "([^/]+)";
      i = close;
    } else if (std::string(".+*?()[]^$|\\").find(pattern[i]) != std::string::npos) {
      regex += std::string("\\") + pattern[i];
    } else {
      regex += pattern[i];
    }
  }
  return {regex, names};
}

std::string fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return std::to_string(h);
}

// "2026-11" (month), "2026-W07" (ISO week), "2026-Q2" (quarter).
bool parse_period(const std::string& text, aftercare::v1::ReportPeriod* out) {
  int year = 0, index = 0;
  char tail = 0;
  if (text.size() == 7 && std::sscanf(text.c_str(), "%4d-%2d%c", &year, &index, &tail) == 2) {
    out->set_granularity(aftercare::v1::REPORT_GRANULARITY_MONTH);
  } else if (text.size() == 8 &&
             std::sscanf(text.c_str(), "%4d-W%2d%c", &year, &index, &tail) == 2) {
    out->set_granularity(aftercare::v1::REPORT_GRANULARITY_WEEK);
  } else if (text.size() == 7 &&
             std::sscanf(text.c_str(), "%4d-Q%1d%c", &year, &index, &tail) == 2) {
    out->set_granularity(aftercare::v1::REPORT_GRANULARITY_QUARTER);
  } else {
    return false;
  }
  out->set_year(year);
  out->set_index(index);
  return true;
}

kit::Caller caller_of(const Claims& c) {
  return {c.sub, c.role, c.projects, c.units, c.party_id};
}

// One access line per request, under the request's trace (the log line carries trace_id). The
// path only, never the query string (it may hold personal data).
void access_log(const httplib::Request& req, const httplib::Response& res,
                const kit::Caller& caller, std::chrono::steady_clock::time_point started) {
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("access method={} path={} status={} latency_ms={:.1f} role={} sub={}", req.method,
               req.path, res.status, ms, caller.role.empty() ? "-" : caller.role,
               caller.sub.empty() ? "-" : caller.sub);
}

const std::set<std::string> kRoles = {"owner",      "agent",   "verifier",   "dispatcher", "crew",
                                      "contractor", "builder", "supervisor", "finance",    "admin"};

}  // namespace

std::pair<int, std::string> http_status_of(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return {200, "ok"};
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return {400, "invalid_argument"};
    case grpc::StatusCode::UNAUTHENTICATED:
      return {401, "unauthenticated"};
    case grpc::StatusCode::PERMISSION_DENIED:
      return {403, "permission_denied"};
    case grpc::StatusCode::NOT_FOUND:
      return {404, "not_found"};
    case grpc::StatusCode::ALREADY_EXISTS:
      return {409, "already_exists"};
    case grpc::StatusCode::FAILED_PRECONDITION:
      return {409, "failed_precondition"};
    case grpc::StatusCode::ABORTED:
      return {409, "aborted"};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return {429, "resource_exhausted"};
    case grpc::StatusCode::UNIMPLEMENTED:
      return {501, "unimplemented"};
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return {503, "unavailable"};
    default:
      return {500, "internal"};
  }
}

// Pulls every service's generated descriptors into the binary: the route table names methods
// only as strings, so without a reference the linker would drop them from the static library.
void register_service_descriptors() {
  for (const auto* d :
       {aftercare::v1::OpenTicketRequest::descriptor(), aftercare::v1::WorkOrder::descriptor(),
        aftercare::v1::Callback::descriptor(), aftercare::v1::Member::descriptor(),
        aftercare::v1::Invoice::descriptor()})
    if (!d->file()->FindServiceByName(d->file()->service_count() ? d->file()->service(0)->name()
                                                                 : ""))
      throw std::logic_error("no service in " + d->file()->name());
}

Gateway::Gateway(GatewayConfig config)
    : config_(std::move(config)),
      redis_(config_.redis_addr, 8, std::chrono::milliseconds(100)),
      limiter_(redis_, config_.rate_per_second, config_.rate_burst),
      idempotency_(redis_, std::chrono::hours(24)),
      web_(config_.web_root),
      http_(std::make_unique<httplib::Server>()) {
  for (const auto& [name, addr] : config_.service_addrs)
    channels_[name] = kit::service_channel(addr);

  // Long-lived partner streams hold a thread each: give the pool room.
  http_->new_task_queue = [] { return new httplib::ThreadPool(64); };
  // httplib refuses anything above the largest route's limit; handle() applies each route's own.
  size_t largest_body = config_.max_body_bytes;
  for (const Route& route : routes()) largest_body = std::max(largest_body, route.max_body_bytes);
  http_->set_payload_max_length(largest_body);
  http_->set_read_timeout(10, 0);
  http_->set_write_timeout(10, 0);
  http_->set_keep_alive_max_count(1000);
  // cpp-httplib writes a response's headers and body separately: with Nagle's algorithm on, the
  // body waits for the client's delayed ACK of the headers, ~40 ms on every keep-alive request
  // (tests/bench/run: GET /v1/tickets/{id} at one connection 44 ms -> 1.8 ms).
  http_->set_tcp_nodelay(true);
  http_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      send_error(res, 400, "invalid_argument", "request body is too large");
    else if (res.status == 404)
      send_error(res, 404, "not_found", "no such route");
    else
      send_error(res, res.status, "http_error", "request refused");
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          spdlog::error("unhandled: {}", e.what());
        }
        send_error(res, 500, "internal", "internal error");
      });

  register_service_descriptors();
  for (const auto& [section, rpc] : report_sections())
    if (!method_of(rpc))
      throw std::logic_error("report section " + section + " names an unknown method " + rpc);
  for (const Route& route : routes()) {
    if (!method_of(route.rpc))
      throw std::logic_error("route " + route.pattern + " names an unknown method " + route.rpc);
    auto [regex, names] = compile_pattern(route.pattern);
    auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
      handle(route, req, res);
    };
    if (route.method == "GET")
      http_->Get(regex, handler);
    else if (route.method == "PUT")
      http_->Put(regex, handler);
    else
      http_->Post(regex, handler);
  }
  http_->Get(R"(/v1/partners/([^/]+)/events)",
             [this](const auto& req, auto& res) { partner_events(req, res); });
  http_->Get(R"(/v1/projects/([^/]+)/reports/([^/]+))",
             [this](const auto& req, auto& res) { report(req, res); });
  http_->Get("/healthz", [this](const auto&, auto& res) { healthz(res); });
  http_->Get("/openapi.json", [doc = openapi_text()](const auto&, auto& res) {
    res.set_content(doc, "application/json; charset=utf-8");
  });
  http_->Get("/metrics", [this](const auto&, auto& res) {
    res.set_content(metrics_.render(), "text/plain; version=0.0.4");
  });
  // Development sign-in for the web console: off (404, like any unknown route) unless enabled.
  if (config_.dev_login) {
    spdlog::warn("dev login enabled: POST /v1/dev/login mints tokens for any role (local only)");
    http_->Post("/v1/dev/login", [this](const auto& req, auto& res) { dev_login(req, res); });
  }
  // The web console, last: only GET paths no route above matched reach it.
  if (web_.enabled()) {
    spdlog::info("web console served at / from {}", web_.root());
    http_->Get(R"(/.*)", [this](const auto& req, auto& res) { web(req, res); });
  } else if (!config_.web_root.empty()) {
    spdlog::warn("web console not served: {} has no index.html", config_.web_root);
  }
}

Gateway::~Gateway() = default;

int Gateway::bind() {
  if (config_.http_port == 0) return http_->bind_to_any_port(config_.http_addr);
  return http_->bind_to_port(config_.http_addr, config_.http_port) ? config_.http_port : -1;
}

void Gateway::serve() {
  http_->listen_after_bind();
}
void Gateway::stop() {
  http_->stop();
}

std::shared_ptr<grpc::Channel> Gateway::channel_for(const std::string& rpc) {
  auto it = channels_.find(service_of(rpc));
  return it == channels_.end() ? nullptr : it->second;
}

grpc::Status Gateway::unary(const std::string& rpc, const kit::Caller& caller,
                            const Message& request, Message* response,
                            const std::string& idempotency_key,
                            std::chrono::milliseconds deadline) {
  auto channel = channel_for(rpc);
  if (!channel) return {grpc::StatusCode::UNAVAILABLE, "no address for " + service_of(rpc)};
  auto context =
      kit::client_context(caller, deadline.count() > 0 ? deadline : config_.rpc_deadline);
  if (!idempotency_key.empty()) context->AddMetadata("idempotency-key", idempotency_key);
  auto dot = rpc.rfind('.');
  std::string path = "/" + rpc.substr(0, dot) + "/" + rpc.substr(dot + 1);
  grpc::internal::RpcMethod method(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  return grpc::internal::BlockingUnaryCall<Message, Message>(channel.get(), method, context.get(),
                                                             request, response);
}

bool Gateway::authenticate(const httplib::Request& req, httplib::Response& res,
                           kit::Caller* caller) {
  std::string header = req.get_header_value("Authorization");
  if (!header.starts_with("Bearer ")) {
    send_error(res, 401, "unauthenticated", "missing bearer token");
    return false;
  }
  std::string why;
  auto claims =
      verify_token(config_.jwt_secret, header.substr(7), std::chrono::system_clock::now(), &why);
  if (!claims) {
    send_error(res, 401, "unauthenticated", why);
    return false;
  }
  if (!kRoles.contains(claims->role)) {
    send_error(res, 401, "unauthenticated", "unknown role in token");
    return false;
  }
  *caller = caller_of(*claims);
  int retry_after = 1;
  if (!limiter_.allow(caller->sub.empty() ? "anonymous" : caller->sub, &retry_after)) {
    res.set_header("Retry-After", std::to_string(retry_after));
    send_error(res, 429, "rate_limited",
               "too many requests, retry after " + std::to_string(retry_after) + " s");
    return false;
  }
  return true;
}

void Gateway::handle(const Route& route, const httplib::Request& req, httplib::Response& res) {
  auto started = std::chrono::steady_clock::now();
  auto scope = kit::TraceScope::from_header(req.get_header_value("traceparent"));
  res.set_header("traceparent", kit::current_trace().traceparent());
  kit::Caller caller;
  auto finish = [&] {
    access_log(req, res, caller, started);
    metrics_
        .counter(
            "aftercare_gateway_requests_total", "HTTP requests by route and status",
            {{"route", route.method + " " + route.pattern}, {"status", std::to_string(res.status)}})
        .inc();
    metrics_
        .histogram("aftercare_gateway_request_seconds", "HTTP request latency",
                   {{"route", route.pattern}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  if (!authenticate(req, res, &caller)) return finish();
  if (!route.roles.empty() && !route.roles.contains(caller.role)) {
    send_error(res, 403, "permission_denied",
               "role " + caller.role + " may not call " + route.method + " " + route.pattern);
    return finish();
  }
  if (size_t limit = route.max_body_bytes ? route.max_body_bytes : config_.max_body_bytes;
      req.body.size() > limit) {
    send_error(res, 400, "invalid_argument",
               "request body is too large (limit " + std::to_string(limit) + " bytes)");
    return finish();
  }
  auto [regex, names] = compile_pattern(route.pattern);
  json url = json::object();
  for (size_t i = 0; i < names.size() && i + 1 < req.matches.size(); ++i) {
    std::string value = httplib::detail::decode_url(req.matches[i + 1].str(), false);
    if (names[i] == route.owner_param && caller.is("owner") && value != caller.sub) {
      send_error(res, 404, "not_found", names[i] + " " + value + " not found");
      return finish();
    }
    auto renamed = route.renames.find(names[i]);
    url[renamed == route.renames.end() ? names[i] : renamed->second] = value;
  }
  for (const auto& [key, value] : req.params) {
    if (url.contains(key)) {
      send_error(res, 400, "invalid_argument", key + ": given twice");
      return finish();
    }
    url[key] = value;
  }

  const auto* method = method_of(route.rpc);
  if (!method) {
    send_error(res, 500, "internal", "route without a method: " + route.rpc);
    return finish();
  }
  auto request = new_message(method->input_type());
  auto response = new_message(method->output_type());
  if (!req.body.empty() && route.method != "GET") {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      send_error(res, 400, "invalid_argument", "body is not valid JSON");
      return finish();
    }
    if (!body.is_object()) {
      send_error(res, 400, "invalid_argument", "body must be a JSON object");
      return finish();
    }
    for (const auto& [key, value] : url.items())
      if (body.contains(key) && !(body[key].is_string() && body[key] == value)) {
        send_error(res, 400, "invalid_argument", key + ": the body disagrees with the URL");
        return finish();
      }
    if (std::string err = from_json(body, request.get()); !err.empty()) {
      send_error(res, 400, "invalid_argument", err);
      return finish();
    }
  }
  if (std::string err = from_json(url, request.get(), /*from_url=*/true); !err.empty()) {
    send_error(res, 400, "invalid_argument", err);
    return finish();
  }

  // Idempotent creates: the first answer is replayed for the same caller and key.
  std::string key = req.get_header_value("Idempotency-Key");
  if (key.size() > 200) {
    send_error(res, 400, "invalid_argument", "Idempotency-Key is longer than 200 characters");
    return finish();
  }
  std::string idem_key, request_hash;
  bool claimed = false;
  if (route.idempotent_create && !key.empty()) {
    if (const auto* f = request->GetDescriptor()->FindFieldByName("idempotency_key");
        f && f->type() == google::protobuf::FieldDescriptor::TYPE_STRING)
      request->GetReflection()->SetString(request.get(), f, key);
    idem_key = caller.sub + ":" + route.method + " " + route.pattern + ":" + key;
    request_hash = fnv1a(req.path + "\n" + req.body);
    if (auto earlier = idempotency_.claim(idem_key, request_hash, &claimed)) {
      if (earlier->request_hash != request_hash)
        send_error(res, 409, "idempotency_key_reused",
                   "Idempotency-Key was used for a different request");
      else if (earlier->status == 0)
        send_error(res, 409, "request_in_progress",
                   "the first request with this Idempotency-Key is still running");
      else {
        res.status = earlier->status;
        res.set_header("Idempotent-Replayed", "true");
        res.set_content(earlier->body, "application/json; charset=utf-8");
      }
      return finish();
    }
  }

  grpc::Status status = unary(route.rpc, caller, *request, response.get(), key);
  if (!status.ok()) {
    auto [http, code] = http_status_of(status.error_code());
    send_error(res, http, code, status.error_message());
    if (claimed) idempotency_.release(idem_key);  // a failed create may be retried with the key
    return finish();
  }
  json body = to_json(*response);
  int ok_status = route.created_status;
  // A repeated earning (same source_id) or payment reference changed nothing: not "created".
  if (body.is_object() && ((body.contains("awarded") && body["awarded"] == false) ||
                           (body.contains("replayed") && body["replayed"] == true)))
    ok_status = 200;
  send_json(res, ok_status, body);
  if (claimed) idempotency_.complete(idem_key, request_hash, ok_status, res.body);
  finish();
}

void Gateway::partner_events(const httplib::Request& req, httplib::Response& res) {
  auto started = std::chrono::steady_clock::now();
  auto scope = kit::TraceScope::from_header(req.get_header_value("traceparent"));
  res.set_header("traceparent", kit::current_trace().traceparent());
  kit::Caller caller;
  struct Logged {
    std::function<void()> fn;
    ~Logged() { fn(); }
  } logged{[&] { access_log(req, res, caller, started); }};
  if (!authenticate(req, res, &caller)) return;
  std::string party = httplib::detail::decode_url(req.matches[1].str(), false);
  // Partner feeds are for partners (and admins, for support): any other role is refused as a
  // role; a partner asking for another party's feed learns nothing about it (404).
  bool partner = caller.is("builder") || caller.is("crew") || caller.is("contractor");
  if (!partner && !caller.is("admin"))
    return send_error(res, 403, "permission_denied",
                      "role " + caller.role + " may not read partner event streams");
  if (partner && caller.party_id != party)
    return send_error(res, 404, "not_found", "party " + party + " not found");
  std::string after =
      req.has_param("after") ? req.get_param_value("after") : req.get_header_value("Last-Event-ID");
  int wait = 25;
  if (req.has_param("wait")) {
    try {
      wait = std::clamp(std::stoi(req.get_param_value("wait")), 0, 30);
    } catch (const std::exception&) {
      return send_error(res, 400, "invalid_argument", "wait: must be seconds 0-30");
    }
  }
  bool sse = req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
  if (!sse) {
    aftercare::v1::ListPartnerEventsRequest r;
    r.set_party_id(party);
    r.set_after(after);
    r.set_wait_seconds(wait);
    aftercare::v1::ListPartnerEventsResponse out;
    auto status = unary("aftercare.v1.DispatchService.ListPartnerEvents", caller, r, &out, "",
                        std::chrono::seconds(wait + 5));
    if (!status.ok()) {
      auto [http, code] = http_status_of(status.error_code());
      return send_error(res, http, code, status.error_message());
    }
    return send_json(res, 200, to_json(out));
  }
  // Server-Sent Events: each event with its cursor as id, resumable with Last-Event-ID.
  auto cursor = std::make_shared<std::string>(after);
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream", [this, caller, party, cursor](size_t, httplib::DataSink& sink) {
        aftercare::v1::ListPartnerEventsRequest r;
        r.set_party_id(party);
        r.set_after(*cursor);
        r.set_wait_seconds(15);
        aftercare::v1::ListPartnerEventsResponse out;
        auto status = unary("aftercare.v1.DispatchService.ListPartnerEvents", caller, r, &out, "",
                            std::chrono::seconds(20));
        if (!status.ok()) {
          std::string msg =
              "event: error\ndata: " + json{{"message", status.error_message()}}.dump() + "\n\n";
          sink.write(msg.data(), msg.size());
          std::this_thread::sleep_for(std::chrono::seconds(1));
          return sink.is_writable();
        }
        std::string chunk = out.events_size() == 0 ? ": keep-alive\n\n" : "";
        for (const auto& e : out.events()) {
          chunk += "id: " + e.cursor() + "\nevent: " + e.event().type() +
                   "\ndata: " + to_json(e).dump() + "\n\n";
          *cursor = e.cursor();
        }
        return sink.write(chunk.data(), chunk.size());
      });
}

void Gateway::report(const httplib::Request& req, httplib::Response& res) {
  auto started = std::chrono::steady_clock::now();
  auto scope = kit::TraceScope::from_header(req.get_header_value("traceparent"));
  res.set_header("traceparent", kit::current_trace().traceparent());
  kit::Caller caller;
  struct Logged {
    std::function<void()> fn;
    ~Logged() { fn(); }
  } logged{[&] { access_log(req, res, caller, started); }};
  if (!authenticate(req, res, &caller)) return;
  if (!caller.is("supervisor") && !caller.is("finance") && !caller.is("admin"))
    return send_error(res, 403, "permission_denied",
                      "reports are for supervisors, finance and admins");
  std::string project = httplib::detail::decode_url(req.matches[1].str(), false);
  aftercare::v1::ReportPeriod period;
  if (!parse_period(req.matches[2].str(), &period))
    return send_error(res, 400, "invalid_argument", "period: must be YYYY-MM, YYYY-Www or YYYY-Qn");
  if (!caller.sees_project(project))
    return send_error(res, 404, "not_found", "project " + project + " not found");

  // Each service reports its own figures (DOMAIN §6); they are asked in parallel.
  struct Section {
    const char* name;
    std::string rpc;
    std::unique_ptr<Message> request, response;
    grpc::Status status;
  };
  std::vector<Section> sections;
  auto add = [&](const char* name, const std::string& rpc) {
    const auto* m = method_of(rpc);  // checked to exist at start-up
    Section s{name, rpc, new_message(m->input_type()), new_message(m->output_type()), {}};
    const auto* d = s.request->GetDescriptor();
    s.request->GetReflection()->SetString(s.request.get(), d->FindFieldByName("project_id"),
                                          project);
    s.request->GetReflection()
        ->MutableMessage(s.request.get(), d->FindFieldByName("period"))
        ->CopyFrom(period);
    sections.push_back(std::move(s));
  };
  for (const auto& [name, rpc] : report_sections()) add(name.c_str(), rpc);
  std::vector<std::thread> calls;
  for (auto& s : sections)
    calls.emplace_back(
        [&, &s = s] { s.status = unary(s.rpc, caller, *s.request, s.response.get()); });
  for (auto& t : calls) t.join();
  json body = {{"project_id", project}, {"period", req.matches[2].str()}};
  json incomplete = json::array();
  for (auto& s : sections) {
    if (s.status.ok()) {
      body[s.name] = to_json(*s.response);
    } else if (s.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
               s.status.error_code() == grpc::StatusCode::NOT_FOUND ||
               s.status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      auto [http, code] = http_status_of(s.status.error_code());
      return send_error(res, http, code, s.status.error_message());
    } else {
      body[s.name] = nullptr;
      incomplete.push_back({{"section", s.name}, {"reason", s.status.error_message()}});
    }
  }
  // A section whose service is down is reported as missing rather than failing the whole report.
  body["incomplete"] = incomplete;
  send_json(res, 200, body);
}

void Gateway::dev_login(const httplib::Request& req, httplib::Response& res) {
  auto started = std::chrono::steady_clock::now();
  kit::Caller caller;
  struct Logged {
    std::function<void()> fn;
    ~Logged() { fn(); }
  } logged{[&] { access_log(req, res, caller, started); }};
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object())
    return send_error(res, 400, "invalid_argument", "body must be a JSON object");
  Claims claims;
  auto list = [&](const char* name, std::vector<std::string>* out) -> bool {
    if (!body.contains(name)) return true;
    const json& v = body[name];
    if (!v.is_array()) return false;
    for (const auto& item : v) {
      if (!item.is_string() || item.get<std::string>().empty() ||
          item.get<std::string>().size() > 128)
        return false;
      out->push_back(item.get<std::string>());
    }
    return out->size() <= 1000;
  };
  for (const auto& [key, value] : body.items())
    if (key != "role" && key != "sub" && key != "projects" && key != "units" && key != "party_id")
      return send_error(res, 400, "invalid_argument", key + ": unknown field");
  if (!body.contains("role") || !body["role"].is_string() ||
      !kRoles.contains(body["role"].get<std::string>()))
    return send_error(res, 400, "invalid_argument", "role: must be one of the roles of DESIGN.md");
  claims.role = body["role"].get<std::string>();
  if (!body.contains("sub") || !body["sub"].is_string() || body["sub"].get<std::string>().empty() ||
      body["sub"].get<std::string>().size() > 128)
    return send_error(res, 400, "invalid_argument", "sub: required, 1-128 characters");
  claims.sub = body["sub"].get<std::string>();
  if (!list("projects", &claims.projects))
    return send_error(res, 400, "invalid_argument", "projects: must be an array of ids");
  if (!list("units", &claims.units))
    return send_error(res, 400, "invalid_argument", "units: must be an array of ids");
  if (body.contains("party_id")) {
    if (!body["party_id"].is_string() || body["party_id"].get<std::string>().size() > 128)
      return send_error(res, 400, "invalid_argument", "party_id: must be a string");
    claims.party_id = body["party_id"].get<std::string>();
  }
  auto exp = std::chrono::system_clock::now() + config_.dev_token_ttl;
  claims.exp = std::chrono::duration_cast<std::chrono::seconds>(exp.time_since_epoch()).count();
  caller = caller_of(claims);
  spdlog::info("dev login: minted a {} token for {}", claims.role, claims.sub);
  send_json(res, 200, {{"token", mint_token(config_.jwt_secret, claims)}, {"exp", claims.exp}});
}

void Gateway::web(const httplib::Request& req, httplib::Response& res) {
  // Unknown API paths keep the API's JSON 404 (the SPA never answers for /v1).
  if (reserved_path(req.path)) return send_error(res, 404, "not_found", "no such route");
  auto file =
      web_.resolve(req.path, req.get_header_value("Accept").find("text/html") != std::string::npos);
  if (!file) return send_error(res, 404, "not_found", "no such file");
  std::ifstream in(file->path, std::ios::binary);
  if (!in) return send_error(res, 404, "not_found", "no such file");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  res.set_header("Cache-Control", file->cache_control);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (file->content_type.starts_with("text/html")) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data: blob:; style-src 'self' "
                   "'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'");
    res.set_header("Referrer-Policy", "no-referrer");
  }
  res.set_content(std::move(content), file->content_type);
}

void Gateway::healthz(httplib::Response& res) {
  json services = json::object();
  bool all_up = true;
  for (auto& [name, channel] : channels_) {
    const std::string readiness = service_readiness(channel, name, std::chrono::milliseconds(300));
    services[name] = readiness;
    all_up = all_up && readiness == "up";
  }
  services["redis"] = redis_.ping() ? "up" : "down";  // informative: the gateway works without it
  send_json(res, all_up ? 200 : 503,
            {{"status", all_up ? "ok" : "degraded"}, {"services", services}});
}

}  // namespace aftercare::gateway
