// The event-driven HTTP/1.1 front (Boost.Beast on Asio): a connection costs a socket, a strand
// and its buffers, never a thread. A few I/O threads run every socket; the request stages run
// elsewhere (the gateway's workers) and answer through an HttpExchange from any thread.
//
// Limits of the front, each a setting: the wait for a keep-alive connection's next request
// (idle timeout) and for a request's headers once it started (header timeout: a client that
// never finishes its headers is dropped), the size of the request head (414/431), the body
// limit checked against Content-Length before a byte of the body is read and by the parser
// while reading a chunked one (413), the time to send a body and to read an answer, and the
// bytes a stream may queue for a slow reader.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "gateway/http_message.h"

namespace boost::asio {
class io_context;
}

namespace aftercare::gateway {

struct ServerLimits {
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds write_timeout{30};
  size_t max_header_bytes = 16384;
  size_t stream_backlog_bytes = 1 << 20;
};

// One request's answer. Thread-safe; every call is carried out on the connection's strand.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  // The whole answer (once).
  virtual void send(HttpResponse response) = 0;
  // Instead of send(): the status and headers of a stream whose chunked body follows.
  virtual void open_stream(HttpResponse head) = 0;
  virtual void write(std::string data) = 0;
  // The last data; then the stream ends and the connection closes.
  virtual void end(std::string data) = 0;
  // Runs once when the connection closes (client gone, timeout, slow reader, shutdown) after
  // open_stream(); not at all when it closes normally after send().
  virtual void on_close(std::function<void()> fn) = 0;
};

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest, std::shared_ptr<HttpExchange>)>;
  // The body limit of a request, from its method and target (before the body is read).
  using BodyLimit = std::function<size_t(const HttpRequest& head)>;

  HttpServer(boost::asio::io_context& io, ServerLimits limits, BodyLimit body_limit,
             Handler handler);
  ~HttpServer();
  // Binds and listens; returns the port (useful with port 0) or -1.
  int bind(const std::string& address, int port);
  void start();  // accepts from now on (on the io_context's threads)
  // Stops accepting and closes idle connections; requests being handled still get their
  // answer, after which their connections close.
  void drain();
  // Destroys the acceptor; call with the io_context stopped and before destroying it. The
  // server object itself must outlive the io_context (its sessions report to it).
  void close();
  // Requests handed to the handler and not answered yet (streams not counted).
  int in_flight() const { return in_flight_.load(); }
  int connections() const;

  struct Counters {
    std::atomic<uint64_t> header_timeouts{0}, idle_closed{0}, too_large{0}, slow_readers{0};
  };
  const Counters& counters() const { return counters_; }

 private:
  class Session;
  struct Impl;
  friend class Session;
  std::unique_ptr<Impl> impl_;
  ServerLimits limits_;
  BodyLimit body_limit_;
  Handler handler_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> draining_{false};
  Counters counters_;
  mutable std::mutex sessions_mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

}  // namespace aftercare::gateway
