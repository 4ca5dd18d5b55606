#include "gateway/gateway.h"

#include <google/protobuf/descriptor.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <charconv>
#include <csignal>
#include <fstream>
#include <thread>

#include "aftercare/v1/billing.pb.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/intake.pb.h"
#include "aftercare/v1/loyalty.pb.h"
#include "common/config.h"
#include "common/json_codec.h"
#include "common/log.h"
#include "common/server_metrics.h"
#include "common/trace.h"
#include "gateway/authenticate.h"
#include "gateway/authorize.h"
#include "gateway/bind.h"
#include "gateway/health.h"
#include "gateway/jwt.h"
#include "gateway/openapi.h"
#include "gateway/partner_feed.h"
#include "gateway/settings.h"
#include "gateway/stream_limits.h"

namespace aftercare::gateway {

namespace net = boost::asio;
using google::protobuf::Message;
using json = nlohmann::json;
using kit::to_json;

namespace {

constexpr const char* kListPartnerEvents = "aftercare.v1.DispatchService.ListPartnerEvents";
constexpr int kCatchUpPage = 100;

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

// One HTTP request on its way through the stages.
struct Gateway::Request {
  HttpRequest http;
  std::shared_ptr<HttpExchange> exchange;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  kit::TraceContext trace;
  kit::Caller caller;
};

struct Gateway::Timers {
  explicit Timers(net::io_context& io) : heartbeat(io), shutdown(io), guard(io.get_executor()) {}
  net::steady_timer heartbeat, shutdown;
  net::executor_work_guard<net::io_context::executor_type> guard;
};

// A partner stream (SSE) or a waiting long-poll: a subscriber of its party's shared feed,
// holding a stream slot while it lasts.
class Gateway::Stream : public FeedSubscriber, public std::enable_shared_from_this<Stream> {
 public:
  Stream(Gateway& g, std::shared_ptr<Request> r, std::string party, StreamSlots::Lease lease)
      : gateway(g), request(std::move(r)), party(std::move(party)), lease(std::move(lease)) {}
  // Sends a keep-alive unless the stream has written since `quiet_since`.
  virtual void heartbeat(std::chrono::steady_clock::time_point) {}
  virtual void shutdown() = 0;
  // The stream is over: leave the feed, free the slot.
  void release() {
    std::lock_guard lock(mu);
    over = true;
    membership.reset();
    lease.reset();
  }
  void joined(FeedHub::Membership m) {
    std::lock_guard lock(mu);
    if (!over) membership = std::move(m);
  }

  Gateway& gateway;
  std::shared_ptr<Request> request;
  const std::string party;
  std::mutex mu;
  bool over = false;
  StreamSlots::Lease lease;
  FeedHub::Membership membership;
};

class Gateway::SseStream : public Gateway::Stream {
 public:
  using Stream::Stream;
  bool opened = false;  // only touched by the catch-up chain, which runs one step at a time

  void deliver(const std::vector<FeedEvent>& events) override {
    std::string chunk;
    for (const auto& e : events) chunk += *e.text;
    request->exchange->write(std::move(chunk));
    last_write = std::chrono::steady_clock::now().time_since_epoch();
  }
  void fail(const grpc::Status& status) override {
    request->exchange->write(
        "event: error\ndata: " + json{{"message", status.error_message()}}.dump() + "\n\n");
  }
  // An SSE comment: proxies see traffic and keep the connection; EventSource ignores it.
  void heartbeat(std::chrono::steady_clock::time_point quiet_since) override {
    if (std::chrono::steady_clock::time_point(last_write.load()) >= quiet_since) return;
    request->exchange->write(": keep-alive\n\n");
    last_write = std::chrono::steady_clock::now().time_since_epoch();
  }
  std::atomic<std::chrono::steady_clock::duration> last_write{};
  void shutdown() override {
    request->exchange->end(
        "event: shutdown\nretry: 2000\ndata: " +
        json{{"message", "the gateway is shutting down; reconnect with Last-Event-ID"}}.dump() +
        "\n\n");
    release();
  }
};

class Gateway::LongPoll : public Gateway::Stream {
 public:
  LongPoll(Gateway& g, std::shared_ptr<Request> r, std::string party, StreamSlots::Lease lease,
           std::string after, int wait_s)
      : Stream(g, std::move(r), std::move(party), std::move(lease)),
        after(std::move(after)),
        deadline(std::chrono::steady_clock::now() + std::chrono::seconds(wait_s)),
        strand(net::make_strand(*g.io_)),
        timer(strand) {}
  // The timer is only touched on its strand (the answer may come from any thread).
  void start_timer() {
    auto self = std::static_pointer_cast<LongPoll>(shared_from_this());
    net::dispatch(strand, [self] {
      self->timer.expires_at(self->deadline);
      self->timer.async_wait([self](boost::system::error_code ec) {
        if (!ec) self->answer({});
      });
    });
  }
  void deliver(const std::vector<FeedEvent>& events) override { answer(events); }
  void fail(const grpc::Status&) override {}  // the wait ends with what there is
  void shutdown() override { answer({}); }

  // Once: the events (or none when the wait is over), off the feed's lock.
  void answer(std::vector<FeedEvent> events) {
    if (answered.exchange(true)) return;
    auto self = std::static_pointer_cast<LongPoll>(shared_from_this());
    net::post(strand, [self] { self->timer.cancel(); });
    net::post(*gateway.workers_, [self, events = std::move(events)] {
      self->release();
      aftercare::v1::ListPartnerEventsResponse out;
      for (const auto& e : events) *out.add_events() = *e.event;
      out.set_next_cursor(events.empty() ? self->after : events.back().event->cursor());
      auto res = json_response(200, to_json(out));
      res.set_header("traceparent", self->request->trace.traceparent());
      self->gateway.finish(*self->request, std::move(res));
      self->gateway.unregister_stream(self.get());
    });
  }

  std::string after;  // set before the stream joins the feed, read after
  std::chrono::steady_clock::time_point deadline;
  std::atomic<bool> answered{false};
  net::strand<net::io_context::executor_type> strand;
  net::steady_timer timer;
};

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

// The keep-alive comments go out in kHeartbeatSlices slices, one slice per tick, so 5,000
// streams are not written in one burst every 15 s (the burst showed as API tail latency).
constexpr int kHeartbeatSlices = 15;

void Gateway::heartbeat() {
  timers_->heartbeat.expires_after(config_.heartbeat / kHeartbeatSlices);
  timers_->heartbeat.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_.load()) return;
    uint64_t slice = heartbeat_tick_++ % kHeartbeatSlices;
    std::vector<std::shared_ptr<Stream>> due;
    {
      std::lock_guard lock(streams_mu_);
      for (auto& [raw, weak] : streams_)
        if (reinterpret_cast<uintptr_t>(raw) / alignof(std::max_align_t) % kHeartbeatSlices ==
            slice)
          if (auto s = weak.lock()) due.push_back(std::move(s));
    }
    auto quiet_since = std::chrono::steady_clock::now() - config_.heartbeat / 2;
    for (auto& s : due) s->heartbeat(quiet_since);
    heartbeat();
  });
}

int Gateway::open_streams() const {
  return slots_->open();
}

void Gateway::register_stream(const std::shared_ptr<Stream>& s) {
  std::lock_guard lock(streams_mu_);
  streams_[s.get()] = s;
}

void Gateway::unregister_stream(const Stream* s) {
  std::lock_guard lock(streams_mu_);
  streams_.erase(s);
}

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

void Gateway::partner_events(const std::string& party, const std::shared_ptr<Request>& r) {
  auto refuse = [&](HttpResponse res) {
    res.set_header("traceparent", r->trace.traceparent());
    finish(*r, std::move(res));
  };
  if (auto refused = admit_caller(*r)) return refuse(std::move(*refused));
  if (auto refused = authorize_partner_feed(r->caller, party)) return refuse(std::move(*refused));
  std::string after =
      r->http.has_query("after") ? r->http.query_value("after") : r->http.header("Last-Event-ID");
  int wait = 25;
  if (r->http.has_query("wait")) {
    // Whole seconds, the whole value: std::stoi read "80x" as 80.
    const std::string text = r->http.query_value("wait");
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
      return refuse(error_response(400, "invalid_argument", "wait: must be whole seconds 0-30"));
    wait = std::clamp(value, 0, 30);
  }
  bool sse = r->http.header("Accept").find("text/event-stream") != std::string::npos;
  StreamSlots::Lease lease;
  // A long-poll that answers at once holds nothing; every other one counts as a stream.
  if (sse || wait > 0)
    if (auto refused = slots_->acquire(r->caller.sub, &lease)) return refuse(std::move(*refused));
  std::shared_ptr<Stream> s;
  if (sse)
    s = std::make_shared<SseStream>(*this, r, party, std::move(lease));
  else
    s = std::make_shared<LongPoll>(*this, r, party, std::move(lease), after, wait);
  catch_up(s, after);
}

// The subscriber's own reads from its cursor (wait 0) until it is at the end of the feed; then it
// joins the party's shared poller. Each step runs after the previous one answered, so the
// events go out in order.
void Gateway::catch_up(const std::shared_ptr<Stream>& s, const std::string& after) {
  auto req = std::make_shared<aftercare::v1::ListPartnerEventsRequest>();
  req->set_party_id(s->party);
  req->set_after(after);
  req->set_limit(kCatchUpPage);
  auto res = std::make_shared<aftercare::v1::ListPartnerEventsResponse>();
  call(kListPartnerEvents, *s->request, req, res, "", std::chrono::milliseconds(0),
       [this, s, after, res](grpc::Status status) {
         auto* sse = dynamic_cast<SseStream*>(s.get());
         auto* poll = dynamic_cast<LongPoll*>(s.get());
         Request& r = *s->request;
         if (!status.ok()) {
           s->release();
           if (sse && sse->opened) {
             sse->fail(status);
             r.exchange->end("");
             return;
           }
           auto out = status_response(status);
           out.set_header("traceparent", r.trace.traceparent());
           return finish(r, std::move(out));
         }
         {
           std::lock_guard lock(s->mu);
           if (s->over) return;  // the client went away meanwhile
         }
         bool any = res->events_size() > 0;
         if (poll && (any || std::chrono::steady_clock::now() >= poll->deadline)) {
           s->release();
           poll->answered = true;
           auto out = json_response(200, to_json(*res));
           out.set_header("traceparent", r.trace.traceparent());
           return finish(r, std::move(out));
         }
         if (sse && !sse->opened) {
           // Server-Sent Events: each event with its cursor as id, resumable with Last-Event-ID.
           sse->opened = true;
           HttpResponse head;
           head.status = 200;
           head.content_type = "text/event-stream";
           head.set_header("Cache-Control", "no-cache");
           head.set_header("traceparent", r.trace.traceparent());
           {
             kit::TraceScope scope(r.trace);
             double ms = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - r.started)
                             .count();
             spdlog::info("access method={} path={} status=200 latency_ms={:.1f} role={} sub={}",
                          r.http.method, r.http.path, ms, r.caller.role_name(), r.caller.sub);
           }
           register_stream(s);
           r.exchange->open_stream(std::move(head));
           // The connection owns its stream: when it closes, the stream leaves the feed and
           // frees its slot (the feed and the registry only hold weak references).
           r.exchange->on_close([this, s] {
             s->release();
             unregister_stream(s.get());
           });
         }
         if (sse && any) sse->deliver(FeedHub::events_of(*res, hub_->options()));
         std::string cursor = res->next_cursor().empty() ? after : res->next_cursor();
         if (res->events_size() >= kCatchUpPage) return catch_up(s, cursor);  // more to read
         if (poll) {
           poll->after = cursor;
           register_stream(s);
         }
         auto membership = hub_->join(s->party, r.caller, cursor_value(cursor).value_or(0), s);
         if (!membership) {
           if (stopping_.load()) return s->shutdown();
           return catch_up(s, cursor);  // the shared feed moved on meanwhile: read up to it
         }
         s->joined(std::move(membership));
         if (poll) poll->start_timer();
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
