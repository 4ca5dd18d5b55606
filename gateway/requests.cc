#include "gateway/gateway_internal.h"

namespace aftercare::gateway {

namespace {

// "2026-11" (month), "2026-W07" (ISO week), "2026-Q2" (quarter), "2026" (year, issue 20).
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
  } else if (text.size() == 4 &&
             std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    out->set_granularity(aftercare::v1::REPORT_GRANULARITY_YEAR);
    year = std::stoi(text);
  } else {
    return false;
  }
  out->set_year(year);
  out->set_index(index);
  return true;
}

}  // namespace

size_t Gateway::body_limit(const HttpRequest& head) const {
  if (auto m = table_.find(head.method, head.raw_path)) {
    const Target& t = targets_[m->id];
    if (t.route && t.route->max_body_bytes) return t.route->max_body_bytes;
  }
  return config_.max_body_bytes;
}

void Gateway::on_request(HttpRequest req, std::shared_ptr<HttpExchange> exchange) {
  auto r = std::make_shared<Request>();
  r->http = std::move(req);
  r->exchange = std::move(exchange);
  // The stages block briefly (Redis, JWT): off the I/O threads.
  net::post(*workers_, [this, r] { dispatch(r); });
}

void Gateway::dispatch(const std::shared_ptr<Request>& r) {
  auto scope = kit::TraceScope::from_header(r->http.header("traceparent"));
  r->trace = kit::current_trace();
  try {
    auto m = table_.find(r->http.method, r->http.raw_path);
    if (!m) {
      // The web console, last: only GET paths no route matched reach it.
      if ((r->http.method == "GET" || r->http.method == "HEAD") && web_.enabled())
        return send_plain(*r, web(r->http));
      return send_plain(*r, error_response(404, "not_found", "no such route"));
    }
    const Target& t = targets_[m->id];
    switch (t.kind) {
      case Kind::kApi:
        return api(t, table_.pattern(m->id).names(), m->params, r);
      case Kind::kPartnerEvents:
        return partner_events(m->params[0], r);
      case Kind::kReport:
        return report(m->params[0], m->params[1], r);
      case Kind::kHealthz:
        return send_plain(*r, healthz());
      case Kind::kOpenApi: {
        HttpResponse res;
        res.content_type = "application/json; charset=utf-8";
        res.body = openapi_;
        return send_plain(*r, std::move(res));
      }
      case Kind::kDevLogin: {
        HttpResponse res = dev_login(r->http, &r->caller);
        return finish(*r, std::move(res));
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("unhandled: {}", e.what());
    send_plain(*r, error_response(500, "internal", "internal error"));
  }
}

void Gateway::send_plain(Request& r, HttpResponse res) {
  r.exchange->send(std::move(res));
}

// One access line per request, under the request's trace (the log line carries trace_id). The
// path only, never the query string (it may hold personal data).
void Gateway::finish(Request& r, HttpResponse res, const Route* route) {
  kit::TraceScope scope(r.trace);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count();
  spdlog::info("access method={} path={} status={} latency_ms={:.1f} role={} sub={}", r.http.method,
               r.http.path, res.status, seconds * 1000,
               r.caller.role_name().empty() ? "-" : r.caller.role_name(),
               r.caller.sub.empty() ? "-" : r.caller.sub);
  if (route) {
    metrics_
        .counter("aftercare_gateway_requests_total", "HTTP requests by method, route and status",
                 {{"method", route->method},
                  {"route", route->pattern},
                  {"status", std::to_string(res.status)}})
        .inc();
    metrics_
        .histogram("aftercare_gateway_request_seconds", "HTTP request latency in seconds",
                   {{"method", route->method}, {"route", route->pattern}})
        .observe(seconds);
  }
  r.exchange->send(std::move(res));
}

std::optional<HttpResponse> Gateway::admit_caller(Request& r) {
  auto who = authenticate(r.http.header("Authorization"), config_.jwt_secret,
                          std::chrono::system_clock::now());
  if (auto* refused = std::get_if<HttpResponse>(&who)) return std::move(*refused);
  r.caller = std::get<kit::Caller>(who);
  return admit(r.caller, [this](const std::string& subject, int* retry_after) {
    return limiter_.allow(subject, retry_after);
  });
}

void Gateway::call(const std::string& rpc, const Request& r, std::shared_ptr<const Message> request,
                   std::shared_ptr<Message> response, const std::string& idempotency_key,
                   std::chrono::milliseconds deadline, std::function<void(grpc::Status)> done) {
  ++rpcs_;
  kit::TraceScope scope(r.trace);
  forward_->call(rpc, r.caller, std::move(request), std::move(response), idempotency_key, deadline,
                 [this, trace = r.trace, done = std::move(done)](grpc::Status status) {
                   // Off gRPC's thread: the completion may touch Redis (idempotency).
                   net::post(*workers_, [this, trace, done, status = std::move(status)] {
                     {
                       kit::TraceScope scope(trace);
                       done(status);
                     }
                     std::lock_guard lock(rpcs_mu_);
                     if (--rpcs_ == 0) rpcs_idle_.notify_all();
                   });
                 });
}

void Gateway::api(const Target& target, const std::vector<std::string>& names,
                  const std::vector<std::string>& params, const std::shared_ptr<Request>& r) {
  const Route& route = *target.route;
  auto refuse = [&](HttpResponse res) {
    res.set_header("traceparent", r->trace.traceparent());
    finish(*r, std::move(res), &route);
  };
  std::shared_ptr<Message> request = new_message(target.method->input_type());
  std::shared_ptr<Message> response = new_message(target.method->output_type());
  size_t limit = route.max_body_bytes ? route.max_body_bytes : config_.max_body_bytes;
  if (route.provider_signed) {
    r->caller = kit::Caller{"provider", kit::Role::none, {}, {}, ""};  // no role on the wire
    if (auto refused = bind_signed(names, params, r->http, limit, request.get()))
      return refuse(std::move(*refused));
  } else {
    if (auto refused = admit_caller(*r)) return refuse(std::move(*refused));
    if (auto refused = authorize(route, r->caller)) return refuse(std::move(*refused));
    if (auto refused =
            gateway::bind(route, names, params, r->http, r->caller, limit, request.get()))
      return refuse(std::move(*refused));
  }
  IdempotencyStage::Claim claim;
  if (auto answered = idempotency_stage_.begin(route, r->http, r->caller, request.get(), &claim))
    return refuse(std::move(*answered));
  if (auto shed = ticket_gate_.admit(route.rpc)) {
    shed_->inc();
    idempotency_stage_.finish(claim, *shed);  // frees the key: the retry is a new attempt
    return refuse(std::move(*shed));
  }
  call(route.rpc, *r, request, response, claim.header_key, std::chrono::milliseconds(0),
       [this, r, &route, claim, response](grpc::Status status) {
         HttpResponse res = respond(route, status, *response);
         idempotency_stage_.finish(claim, res);
         res.set_header("traceparent", r->trace.traceparent());
         finish(*r, std::move(res), &route);
       });
}

void Gateway::report(const std::string& project, const std::string& period_text,
                     const std::shared_ptr<Request>& r) {
  auto refuse = [&](HttpResponse res) {
    res.set_header("traceparent", r->trace.traceparent());
    finish(*r, std::move(res));
  };
  if (auto refused = admit_caller(*r)) return refuse(std::move(*refused));
  if (auto refused = authorize_report(r->caller)) return refuse(std::move(*refused));
  aftercare::v1::ReportPeriod period;
  if (!parse_period(period_text, &period))
    return refuse(error_response(400, "invalid_argument",
                                 "period: must be YYYY-MM, YYYY-Www, YYYY-Qn or YYYY"));
  if (auto refused = authorize_project(r->caller, project)) return refuse(std::move(*refused));

  // Each service reports its own figures (DOMAIN §6); they are asked at once, in parallel.
  struct Section {
    std::string name, rpc;
    std::shared_ptr<Message> request, response;
    grpc::Status status;
  };
  struct Sections {
    std::vector<Section> all;
    std::atomic<int> remaining{0};
  };
  auto sections = std::make_shared<Sections>();
  for (const auto& [name, rpc] : report_sections()) {
    const auto* m = method_of(rpc);  // checked to exist at start-up
    Section s{name, rpc, new_message(m->input_type()), new_message(m->output_type()), {}};
    const auto* d = s.request->GetDescriptor();
    s.request->GetReflection()->SetString(s.request.get(), d->FindFieldByName("project_id"),
                                          project);
    s.request->GetReflection()
        ->MutableMessage(s.request.get(), d->FindFieldByName("period"))
        ->CopyFrom(period);
    sections->all.push_back(std::move(s));
  }
  sections->remaining = static_cast<int>(sections->all.size());
  auto assemble = [this, r, sections, project, period_text] {
    json body = {{"project_id", project}, {"period", period_text}};
    json incomplete = json::array();
    for (auto& s : sections->all) {
      if (s.status.ok()) {
        body[s.name] = to_json(*s.response);
      } else if (s.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                 s.status.error_code() == grpc::StatusCode::NOT_FOUND ||
                 s.status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
        auto res = status_response(s.status);
        res.set_header("traceparent", r->trace.traceparent());
        return finish(*r, std::move(res));
      } else {
        body[s.name] = nullptr;
        incomplete.push_back({{"section", s.name}, {"reason", s.status.error_message()}});
      }
    }
    // A section whose service is down is reported as missing rather than failing the report.
    body["incomplete"] = incomplete;
    auto res = json_response(200, body);
    res.set_header("traceparent", r->trace.traceparent());
    finish(*r, std::move(res));
  };
  for (auto& s : sections->all)
    call(s.rpc, *r, s.request, s.response, "", std::chrono::milliseconds(0),
         [sections, &s, assemble](grpc::Status status) {
           s.status = std::move(status);
           if (sections->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) assemble();
         });
}

HttpResponse Gateway::dev_login(const HttpRequest& req, kit::Caller* caller) {
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object())
    return error_response(400, "invalid_argument", "body must be a JSON object");
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
      return error_response(400, "invalid_argument", key + ": unknown field");
  if (!body.contains("role") || !body["role"].is_string() ||
      !known_role(body["role"].get<std::string>()))
    return error_response(400, "invalid_argument", "role: must be one of the roles of DESIGN.md");
  claims.role = body["role"].get<std::string>();
  if (!body.contains("sub") || !body["sub"].is_string() || body["sub"].get<std::string>().empty() ||
      body["sub"].get<std::string>().size() > 128)
    return error_response(400, "invalid_argument", "sub: required, 1-128 characters");
  claims.sub = body["sub"].get<std::string>();
  if (!list("projects", &claims.projects))
    return error_response(400, "invalid_argument", "projects: must be an array of ids");
  if (!list("units", &claims.units))
    return error_response(400, "invalid_argument", "units: must be an array of ids");
  if (body.contains("party_id")) {
    if (!body["party_id"].is_string() || body["party_id"].get<std::string>().size() > 128)
      return error_response(400, "invalid_argument", "party_id: must be a string");
    claims.party_id = body["party_id"].get<std::string>();
  }
  auto exp = std::chrono::system_clock::now() + config_.dev_token_ttl;
  claims.exp = std::chrono::duration_cast<std::chrono::seconds>(exp.time_since_epoch()).count();
  *caller = caller_of(claims);
  spdlog::info("dev login: minted a {} token for {}", claims.role, claims.sub);
  return json_response(200,
                       {{"token", mint_token(config_.jwt_secret, claims)}, {"exp", claims.exp}});
}

}  // namespace aftercare::gateway
