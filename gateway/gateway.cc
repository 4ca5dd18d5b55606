#include "gateway/gateway_internal.h"

namespace aftercare::gateway {

namespace {

// One SSE event per feed entry: its cursor as id, so EventSource resumes with Last-Event-ID.
std::string sse_event(const aftercare::v1::PartnerEvent& e) {
  return "id: " + e.cursor() + "\nevent: " + e.event().type() + "\ndata: " + to_json(e).dump() +
         "\n\n";
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

}  // namespace

Gateway::Gateway(GatewayConfig config)
    : config_(std::move(config)),
      redis_(config_.redis_addr, 8, std::chrono::milliseconds(100)),
      limiter_(redis_, config_.rate_per_second, config_.rate_burst),
      idempotency_(redis_, std::chrono::hours(24)),
      idempotency_stage_(idempotency_),
      web_(config_.web_root),
      openapi_(openapi_text()),
      slots_(StreamSlots::create(config_.streams_per_subject, config_.streams_max)),
      ticket_gate_(config_.kafka_bootstrap ? config_.ticket_lag_limit : 0) {
  // A write to a socket the peer has closed (a Redis connection, a client) must be an error,
  // not the end of the process (cpp-httplib's server used to set this).
  std::signal(SIGPIPE, SIG_IGN);
  kit::register_build_info(metrics_, "gateway");
  shed_ = &metrics_.counter("aftercare_gateway_shed_total",
                            "ticket creates answered 503 because the ticket path was behind");
  lag_gauge_ = &metrics_.gauge("aftercare_gateway_ticket_path_lag",
                               "events dispatch has not consumed from intake (-1 = unknown)");
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  for (const auto& [name, addr] : config_.service_addrs)
    channels[name] = kit::service_channel(addr);
  forward_ = std::make_unique<Forwarder>(std::move(channels), config_.rpc_deadline);

  register_service_descriptors();
  for (const auto& [section, rpc] : report_sections())
    if (!method_of(rpc))
      throw std::logic_error("report section " + section + " names an unknown method " + rpc);
  // Every pattern is compiled here, once; a request only walks the compiled segments.
  auto add = [&](const std::string& method, const std::string& pattern, Target t) {
    size_t id = table_.add(method, pattern);
    targets_.resize(id + 1);
    targets_[id] = t;
  };
  for (const Route& route : routes()) {
    const auto* method = method_of(route.rpc);
    if (!method)
      throw std::logic_error("route " + route.pattern + " names an unknown method " + route.rpc);
    add(route.method, route.pattern, {Kind::kApi, &route, method});
  }
  add("GET", "/v1/partners/{party_id}/events", {Kind::kPartnerEvents});
  add("GET", "/v1/projects/{project_id}/reports/{period}", {Kind::kReport});
  add("GET", "/healthz", {Kind::kHealthz});
  add("GET", "/openapi.json", {Kind::kOpenApi});
  // Development sign-in for the web console: off (404, like any unknown route) unless enabled.
  if (config_.dev_login) {
    spdlog::warn("dev login enabled: POST /v1/dev/login mints tokens for any role (local only)");
    add("POST", "/v1/dev/login", {Kind::kDevLogin});
  }
  if (web_.enabled())
    spdlog::info("web console served at / from {}", web_.root());
  else if (!config_.web_root.empty())
    spdlog::warn("web console not served: {} has no index.html", config_.web_root);

  io_ = std::make_unique<net::io_context>(config_.io_threads);
  workers_ = std::make_unique<net::thread_pool>(static_cast<size_t>(config_.workers));
  timers_ = std::make_unique<Timers>(*io_);
  server_ = std::make_unique<HttpServer>(
      *io_, config_.limits, [this](const HttpRequest& head) { return body_limit(head); },
      [this](HttpRequest req, std::shared_ptr<HttpExchange> ex) {
        on_request(std::move(req), std::move(ex));
      });

  FeedHub::Options feed_options;
  feed_options.poll_wait_s = config_.feed_poll_wait_s;
  feed_options.render = sse_event;
  hub_ = std::make_shared<FeedHub>(
      // The shared poll: an async long-poll in dispatch, cancellable at shutdown.
      [this](const kit::Caller& caller, const std::string& party, int64_t after, int wait_s,
             FeedHub::Page done) -> std::function<void()> {
        auto req = std::make_shared<aftercare::v1::ListPartnerEventsRequest>();
        req->set_party_id(party);
        req->set_after(std::to_string(after));
        req->set_wait_seconds(wait_s);
        auto res = std::make_shared<aftercare::v1::ListPartnerEventsResponse>();
        auto context = std::shared_ptr<grpc::ClientContext>(
            kit::client_context(caller, std::chrono::seconds(wait_s + 10)));
        std::weak_ptr<grpc::ClientContext> weak = context;
        auto channel = forward_->channels().find("dispatch");
        if (channel == forward_->channels().end()) {
          done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no address for dispatch"), {});
          return [] {};
        }
        auto stub = std::make_shared<
            grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>>(
            channel->second);
        grpc::ClientContext* raw = context.get();
        stub->UnaryCall(raw, "/aftercare.v1.DispatchService/ListPartnerEvents", grpc::StubOptions(),
                        req.get(), res.get(),
                        [context, req, res, stub, done = std::move(done)](grpc::Status s) {
                          done(std::move(s), std::move(*res));
                        });
        return [weak] {
          if (auto c = weak.lock()) c->TryCancel();
        };
      },
      [this](std::chrono::milliseconds delay, std::function<void()> fn) {
        auto timer = std::make_shared<net::steady_timer>(*io_, delay);
        timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code) { fn(); });
      },
      feed_options);
}

Gateway::~Gateway() {
  stop();
  {
    // serve() runs the shutdown; what follows tears down what it still uses.
    std::unique_lock lock(serve_mu_);
    serve_done_.wait(lock, [&] { return !serving_; });
  }
  {
    // A service call's completion touches this object: wait for the last (deadlines bound it).
    std::unique_lock lock(rpcs_mu_);
    rpcs_idle_.wait(lock, [&] { return rpcs_.load() == 0; });
  }
  hub_.reset();  // cancels the shared polls and waits for their callbacks
  workers_->join();
  {
    std::lock_guard lock(streams_mu_);
    streams_.clear();
  }
  timers_.reset();
  server_->close();
  io_.reset();
  server_.reset();
}

int Gateway::bind() {
  admin_ = std::make_unique<AdminServer>(AdminServer::Handlers{[this] { return metrics_text(); },
                                                               [this] { return healthz(); },
                                                               [this] { return readyz(); }});
  admin_port_ = admin_->bind(config_.http_addr, config_.admin_port);
  if (admin_port_ <= 0) {
    spdlog::error("cannot listen on {}:{} (admin)", config_.http_addr, config_.admin_port);
    return -1;
  }
  return server_->bind(config_.http_addr, config_.http_port);
}

// Gauges read at scrape time, then the text.
std::string Gateway::metrics_text() {
  metrics_.gauge("aftercare_gateway_streams_open", "open partner streams and long-polls")
      .set(slots_->open());
  metrics_.gauge("aftercare_gateway_connections", "open HTTP connections")
      .set(server_->connections());
  const auto& c = server_->counters();
  metrics_
      .gauge("aftercare_gateway_dropped_connections", "connections the front closed",
             {{"reason", "header_timeout"}})
      .set(static_cast<int64_t>(c.header_timeouts.load()));
  metrics_
      .gauge("aftercare_gateway_dropped_connections", "connections the front closed",
             {{"reason", "slow_reader"}})
      .set(static_cast<int64_t>(c.slow_readers.load()));
  return metrics_.render();
}

// Readiness of this pod (the admin /readyz): draining pods leave the Service at once; a pod that
// cannot reach a service it needs (no replica answers its gRPC health from here) is pulled out.
// A degraded service (broker or outbox trouble) still takes work: that is not a reason.
HttpResponse Gateway::readyz() {
  if (stopping_.load()) return json_response(503, {{"status", "draining"}});
  json needs = json::object();
  bool ready = true;
  for (const auto& name : config_.ready_services) {
    auto it = forward_->channels().find(name);
    const std::string readiness =
        it == forward_->channels().end()
            ? "unknown"
            : service_readiness(it->second, name, std::chrono::milliseconds(300));
    needs[name] = readiness;
    ready = ready && (readiness == "up" || readiness == "degraded");
  }
  return json_response(ready ? 200 : 503,
                       {{"status", ready ? "ok" : "unavailable"}, {"services", needs}});
}

void Gateway::serve() {
  {
    std::lock_guard lock(serve_mu_);
    if (stopping_.load()) return;
    serving_ = true;
  }
  server_->start();
  if (admin_) admin_->start();
  heartbeat();
  start_lag_probe();
  std::vector<std::thread> threads;
  for (int i = 1; i < config_.io_threads; ++i) threads.emplace_back([this] { io_->run(); });
  io_->run();
  for (auto& t : threads) t.join();
  if (admin_) admin_->stop();
  std::lock_guard lock(serve_mu_);
  serving_ = false;
  serve_done_.notify_all();
}

void Gateway::start_lag_probe() {
  if (!config_.kafka_bootstrap || config_.ticket_lag_limit <= 0) return;
  auto probe = std::make_shared<kit::ConsumerLagProbe>(config_.kafka_bootstrap, config_.lag_group,
                                                       config_.lag_topic);
  lag_probe_ = std::make_unique<kit::PeriodicWorker>(
      kit::PeriodicWorker::Options{"ticket-path-lag", config_.lag_probe_interval},
      [this, probe](std::stop_token) {
        auto reading = probe->read(std::chrono::milliseconds(2000));
        ticket_gate_.observe(reading, std::chrono::steady_clock::now());
        lag_gauge_->set(reading ? reading->lag : -1);
        if (!reading) throw std::runtime_error("the brokers did not tell the consumer lag");
      },
      &metrics_);
  lag_thread_ = std::jthread([this](std::stop_token stop) { lag_probe_->run(stop); });
}

void Gateway::stop() {
  {
    std::lock_guard lock(serve_mu_);
    if (stopping_.exchange(true)) return;
  }
  lag_thread_.request_stop();
  net::post(*io_, [this] {
    spdlog::info("gateway draining: {} streams, {} requests in flight", open_streams(),
                 server_->in_flight());
    server_->drain();
    std::vector<std::shared_ptr<Stream>> open;
    {
      std::lock_guard lock(streams_mu_);
      for (auto& [raw, weak] : streams_)
        if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    for (auto& s : open) s->shutdown();
    hub_->stop();
    shutdown_step(std::chrono::steady_clock::now() + config_.shutdown_grace);
  });
}

void Gateway::shutdown_step(std::chrono::steady_clock::time_point deadline) {
  bool quiet = server_->in_flight() == 0 && server_->connections() == 0 &&
               hub_->polls_in_flight() == 0 && rpcs_.load() == 0;
  if (quiet || std::chrono::steady_clock::now() >= deadline) {
    if (!quiet)
      spdlog::warn("shutdown grace over: {} requests, {} connections still open",
                   server_->in_flight(), server_->connections());
    timers_->heartbeat.cancel();
    timers_->guard.reset();
    io_->stop();
    return;
  }
  timers_->shutdown.expires_after(std::chrono::milliseconds(20));
  timers_->shutdown.async_wait([this, deadline](boost::system::error_code ec) {
    if (!ec) shutdown_step(deadline);
  });
}

HttpResponse Gateway::web(const HttpRequest& req) {
  // Unknown API paths keep the API's JSON 404 (the SPA never answers for /v1).
  if (reserved_path(req.path)) return error_response(404, "not_found", "no such route");
  auto file = web_.resolve(req.path, req.header("Accept").find("text/html") != std::string::npos);
  if (!file) return error_response(404, "not_found", "no such file");
  std::ifstream in(file->path, std::ios::binary);
  if (!in) return error_response(404, "not_found", "no such file");
  HttpResponse res;
  res.body.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  res.content_type = file->content_type;
  res.set_header("Cache-Control", file->cache_control);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (file->content_type.starts_with("text/html")) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data: blob:; style-src 'self' "
                   "'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'");
    res.set_header("Referrer-Policy", "no-referrer");
  }
  return res;
}

// What /healthz reports: every service's readiness by its gRPC health (up, degraded, down) and
// Redis (informative: the gateway works without it). Kept in one function so what it checks can
// change in one place.
HttpResponse Gateway::healthz() {
  json services = json::object();
  bool all_up = true;
  for (const auto& [name, channel] : forward_->channels()) {
    const std::string readiness = service_readiness(channel, name, std::chrono::milliseconds(300));
    services[name] = readiness;
    all_up = all_up && readiness == "up";
  }
  services["redis"] = redis_.ping() ? "up" : "down";
  return json_response(all_up ? 200 : 503,
                       {{"status", all_up ? "ok" : "degraded"}, {"services", services}});
}

}  // namespace aftercare::gateway
