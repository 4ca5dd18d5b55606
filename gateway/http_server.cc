#include "gateway/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <limits>
#include <optional>

#include "gateway/bind.h"

namespace aftercare::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// The server's I/O objects; close() destroys them while the io_context still lives (sessions
// may outlive them, the server object must outlive the sessions).
struct HttpServer::Impl {
  explicit Impl(net::io_context& io) : io(io), acceptor(net::make_strand(io)), retry(io) {}
  net::io_context& io;
  tcp::acceptor acceptor;
  net::steady_timer retry;  // after EMFILE: accept again a little later
};

class HttpServer::Session : public HttpExchange, public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer* server, tcp::socket&& socket) : server_(server), stream_(std::move(socket)) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_next(); });
  }
  void drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->state_ == State::kReading) self->close();
    });
  }
  void forget() {
    std::lock_guard lock(server_->sessions_mu_);
    server_->sessions_.erase(this);
  }

  void send(HttpResponse response) override {
    net::post(
        stream_.get_executor(), [self = shared_from_this(), r = std::move(response)]() mutable {
          if (self->state_ != State::kHandling) return;
          self->done_handling();
          self->write_response(std::move(r), self->keep_alive_ && !self->server_->draining_.load());
        });
  }

  void open_stream(HttpResponse head) override {
    net::post(stream_.get_executor(), [self = shared_from_this(), h = std::move(head)] {
      if (self->state_ != State::kHandling) return;
      self->done_handling();
      self->state_ = State::kStreaming;
      std::string text = "HTTP/1.1 " + std::to_string(h.status) + " " +
                         std::string(http::obsolete_reason(static_cast<http::status>(h.status))) +
                         "\r\n";
      for (const auto& [name, value] : h.headers) text += name + ": " + value + "\r\n";
      if (!h.content_type.empty()) text += "Content-Type: " + h.content_type + "\r\n";
      // The stream ends only with the connection: say so, and frame the body in chunks.
      text += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
      self->queued_bytes_ += text.size();
      self->queue_.push_back(std::move(text));
      self->pump();
      self->watch();
    });
  }

  void write(std::string data) override {
    net::post(stream_.get_executor(),
              [self = shared_from_this(), d = std::move(data)]() mutable { self->chunk(d); });
  }

  void end(std::string data) override {
    net::post(stream_.get_executor(), [self = shared_from_this(), d = std::move(data)]() mutable {
      if (self->state_ != State::kStreaming || self->ending_) return;
      self->chunk(d);
      self->queue_.push_back("0\r\n\r\n");
      self->ending_ = true;
      self->pump();
    });
  }

  void on_close(std::function<void()> fn) override {
    net::post(stream_.get_executor(), [self = shared_from_this(), fn = std::move(fn)]() mutable {
      if (self->state_ == State::kClosed)
        fn();
      else
        self->on_close_ = std::move(fn);
    });
  }

 private:
  enum class State { kReading, kHandling, kWriting, kStreaming, kClosed };

  const ServerLimits& limits() const { return server_->limits_; }

  void read_next() {
    if (server_->draining_.load()) return close();
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
    // No body limit while the head is read (Beast would refuse a large Content-Length before
    // the route is known); the route's own limit is set once the head is in. (Beast 1.74
    // compares the length against an empty optional as "over", so the largest value it is.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
    // Idle keep-alive: the connection waits for the first byte of its next request.
    stream_.expires_after(limits().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->buffer_.commit(n);
                              if (ec) {
                                if (ec == beast::error::timeout)
                                  ++self->server_->counters_.idle_closed;
                                return self->close();
                              }
                              self->read_header();
                            });
  }

  void read_header() {
    // From the first byte on, the whole head must arrive within the header timeout: a client
    // trickling a byte at a time is dropped all the same.
    stream_.expires_after(limits().header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      ++server_->counters_.too_large;
      // The parser keeps the request line once it has it: without one, the line itself was
      // too long.
      bool line_too_long = parser_->get().target().empty();
      linger = true;
      return write_response(
          line_too_long ? error_response(414, "invalid_argument", "request line is too long")
                        : error_response(431, "invalid_argument", "request headers are too large"),
          false);
    }
    if (ec == beast::error::timeout) {
      ++server_->counters_.header_timeouts;
      return close();
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset)
      return close();
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_method).category())
        return write_response(error_response(400, "invalid_argument", "malformed HTTP request"),
                              false);
      return close();
    }
    auto& head = parser_->get();
    req_ = HttpRequest{};
    req_.method = std::string(head.method_string());
    req_.target = std::string(head.target());
    parse_target(req_.target, &req_);
    for (const auto& field : head)
      req_.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    keep_alive_ = parser_->keep_alive();
    head_request_ = head.method() == http::verb::head;
    size_t limit = server_->body_limit_(req_);
    if (auto length = parser_->content_length(); length && *length > limit) {
      ++server_->counters_.too_large;
      linger = true;
      return write_response(body_too_large(limit), false);  // the body is never read
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) return dispatch();
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      auto interim = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      stream_.expires_after(limits().write_timeout);
      return net::async_write(stream_, net::buffer(*interim),
                              [self = shared_from_this(), interim](beast::error_code ec, size_t) {
                                if (ec) return self->close();
                                self->read_body();
                              });
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(limits().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec == http::error::body_limit) {
                         ++self->server_->counters_.too_large;
                         self->linger = true;
                         return self->write_response(
                             body_too_large(self->server_->body_limit_(self->req_)), false);
                       }
                       if (ec) return self->close();
                       self->dispatch();
                     });
  }

  void dispatch() {
    req_.body = std::move(parser_->get().body());
    parser_.reset();
    state_ = State::kHandling;
    counted_ = true;
    ++server_->in_flight_;
    stream_.expires_never();
    server_->handler_(std::move(req_), shared_from_this());
  }

  void done_handling() {
    if (counted_) --server_->in_flight_;
    counted_ = false;
  }

  void write_response(HttpResponse r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    for (const auto& [name, value] : r.headers) res->insert(name, value);
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    if (head_request_) res->body().clear();  // the GET's headers (and length), no body
    state_ = State::kWriting;
    stream_.expires_after(limits().write_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec) return self->close();
                        if (!keep_alive)
                          return self->linger ? self->lingering_close() : self->close();
                        self->read_next();
                      });
  }

  // After refusing a request whose body was not read: stop sending, then read and drop what the
  // client is still sending for a moment before closing. Closing at once with unread bytes
  // makes the kernel send a reset, and a client still writing its body would lose the 413.
  void lingering_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    state_ = State::kWriting;
    stream_.expires_after(std::chrono::seconds(2));
    drain_some();
  }
  void drain_some() {
    stream_.async_read_some(net::buffer(drain_buf_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (64u << 20)) return self->close();
                              self->drain_some();
                            });
  }

  void chunk(const std::string& data) {
    if (state_ != State::kStreaming || ending_ || data.empty()) return;
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string framed = size + data + "\r\n";
    queued_bytes_ += framed.size();
    if (queued_bytes_ > limits().stream_backlog_bytes) {
      // The client stopped reading: its events would only pile up in memory.
      ++server_->counters_.slow_readers;
      return close();
    }
    queue_.push_back(std::move(framed));
    pump();
  }

  void pump() {
    if (writing_ || queue_.empty() || state_ == State::kClosed) return;
    writing_ = true;
    stream_.expires_after(limits().write_timeout);
    net::async_write(stream_, net::buffer(queue_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       // Closed meanwhile: the queue is no longer this write's to pop.
                       if (ec || self->state_ == State::kClosed) return self->close();
                       self->queued_bytes_ -= self->queue_.front().size();
                       self->queue_.pop_front();
                       if (self->queue_.empty() && self->ending_) return self->close();
                       self->pump();
                     });
  }

  // A stream's client sends nothing more; a read that ends tells that it went away.
  void watch() {
    stream_.socket().async_read_some(net::buffer(watch_buf_),
                                     [self = shared_from_this()](beast::error_code ec, size_t) {
                                       if (ec) return self->close();
                                       self->watch();
                                     });
  }

  void close() {
    if (state_ == State::kClosed) return;
    done_handling();
    state_ = State::kClosed;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    if (!writing_) queue_.clear();  // a pending write still points into the queue
    if (on_close_) {
      auto fn = std::move(on_close_);
      on_close_ = nullptr;
      fn();
    }
  }

  HttpServer* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest req_;
  State state_ = State::kReading;
  bool keep_alive_ = true, head_request_ = false, counted_ = false;
  bool writing_ = false, ending_ = false;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  std::array<char, 512> watch_buf_{};
  std::array<char, 16384> drain_buf_{};
  size_t drained_ = 0;
  bool linger = false;  // the request's body (or head) was not read to its end
  std::function<void()> on_close_;

 public:
  ~Session() override { forget(); }
};

HttpServer::HttpServer(net::io_context& io, ServerLimits limits, BodyLimit body_limit,
                       Handler handler)
    : impl_(std::make_unique<Impl>(io)),
      limits_(limits),
      body_limit_(std::move(body_limit)),
      handler_(std::move(handler)) {}

HttpServer::~HttpServer() = default;

int HttpServer::bind(const std::string& address, int port) {
  beast::error_code ec;
  tcp::endpoint endpoint(net::ip::make_address(address, ec), static_cast<unsigned short>(port));
  if (ec) return -1;
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("cannot listen on {}:{}: {}", address, port, ec.message());
    return -1;
  }
  return a.local_endpoint().port();
}

void HttpServer::start() {
  auto accept = std::make_shared<std::function<void()>>();
  *accept = [this, accept] {
    impl_->acceptor.async_accept(
        net::make_strand(impl_->io), [this, accept](beast::error_code ec, tcp::socket socket) {
          if (!impl_->acceptor.is_open() || draining_.load()) return;
          if (ec) {
            // Out of descriptors (EMFILE) or the like: existing connections keep working; try
            // again shortly instead of spinning.
            spdlog::warn("accept failed: {}", ec.message());
            impl_->retry.expires_after(std::chrono::milliseconds(100));
            impl_->retry.async_wait([accept](beast::error_code) { (*accept)(); });
            return;
          }
          beast::error_code ignored;
          // Headers and body go out in one write anyway; no Nagle delay on small SSE chunks.
          socket.set_option(tcp::no_delay(true), ignored);
          auto session = std::make_shared<Session>(this, std::move(socket));
          {
            std::lock_guard lock(sessions_mu_);
            sessions_[session.get()] = session;
          }
          session->start();
          (*accept)();
        });
  };
  net::post(impl_->acceptor.get_executor(), [accept] { (*accept)(); });
}

void HttpServer::drain() {
  draining_ = true;
  net::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->retry.cancel();
  });
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [raw, weak] : sessions_)
      if (auto s = weak.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->drain();
}

void HttpServer::close() {
  impl_.reset();
}

int HttpServer::connections() const {
  std::lock_guard lock(sessions_mu_);
  return static_cast<int>(sessions_.size());
}

}  // namespace aftercare::gateway
