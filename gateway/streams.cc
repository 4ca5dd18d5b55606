#include "gateway/gateway_internal.h"

namespace aftercare::gateway {

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

}  // namespace aftercare::gateway
