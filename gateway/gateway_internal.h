// The gateway's private parts, shared by its files: a request on its way through the stages,
// the timers, and the partner streams (SSE and long-poll). gateway.cc runs the process (start,
// drain, health), requests.cc takes a request through the stages of issue 17 (authenticate,
// authorize, bind, idempotency, forward, respond: each its own file), streams.cc the partner
// feeds.
#pragma once

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

inline constexpr const char* kListPartnerEvents = "aftercare.v1.DispatchService.ListPartnerEvents";
inline constexpr int kCatchUpPage = 100;

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

}  // namespace aftercare::gateway
