// The Beast front alone (no gateway, no services), on port 0 with plain sockets as clients:
// keep-alive, the body limit before the body is read, the head limits, the header timeout that
// drops a client which never finishes its headers, streams, and draining idle connections.
#include "gateway/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

namespace aftercare::gateway {
namespace {

using namespace std::chrono_literals;

// A client socket with a receive timeout, so no read waits forever.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{0, 200 * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) {
    ASSERT_EQ(::write(fd_, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  // Reads until `until` is in what arrived, the peer closes, or the deadline passes.
  std::string read_until(const std::string& until, std::chrono::milliseconds deadline = 5s) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (received_.find(until) == std::string::npos && !closed_ &&
           std::chrono::steady_clock::now() < end) {
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) received_.append(buf, static_cast<size_t>(n));
      if (n == 0) closed_ = true;
    }
    return received_;
  }
  // Polls until the server closed the connection or the deadline passed.
  bool closed_by_server(std::chrono::milliseconds deadline) {
    read_until("\x01never\x01", deadline);
    return closed_;
  }
  void clear() { received_.clear(); }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(ServerLimits limits, size_t body_limit = 64) {
    server_ = std::make_unique<HttpServer>(
        io_, limits, [body_limit](const HttpRequest&) { return body_limit; },
        [this](HttpRequest req, std::shared_ptr<HttpExchange> ex) {
          ++handled_;
          if (req.path == "/stream") {
            HttpResponse head;
            head.content_type = "text/event-stream";
            ex->open_stream(std::move(head));
            ex->write("data: one\n\n");
            stream_ = ex;
            return;
          }
          ex->send(json_response(200, {{"path", req.path}, {"body", req.body}}));
        });
    port_ = server_->bind("127.0.0.1", 0);
    ASSERT_GT(port_, 0);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    stream_.reset();
    guard_.reset();
    if (server_) server_->drain();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    if (server_) server_->close();
  }

  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> handled_{0};
  std::shared_ptr<HttpExchange> stream_;
};

TEST_F(HttpServerTest, AnswersSeveralRequestsOnOneKeepAliveConnection) {
  start({});
  Client c(port_);
  ASSERT_TRUE(c.connected());
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.read_until("\"/a\"").find("HTTP/1.1 200"), std::string::npos);
  c.clear();
  c.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n报修");
  std::string second = c.read_until("}");
  EXPECT_NE(second.find("HTTP/1.1 200"), std::string::npos) << second;
  EXPECT_NE(second.find("报修"), std::string::npos) << second;
  EXPECT_EQ(handled_.load(), 2);
  EXPECT_EQ(server_->connections(), 1);
}

TEST_F(HttpServerTest, RefusesABodyOverTheLimitBeforeReadingIt) {
  start({}, /*body_limit=*/16);
  Client c(port_);
  // Only the head is sent: the answer must not wait for the 1 MB the client announces.
  c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
  std::string answer = c.read_until("}");
  EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos) << answer;
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, RefusesHeadsOverTheLimit) {
  ServerLimits limits;
  limits.max_header_bytes = 1024;
  start(limits);
  Client c(port_);
  c.send("GET /a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  std::string answer = c.read_until("}");
  EXPECT_NE(answer.find("HTTP/1.1 431"), std::string::npos) << answer;
  Client line(port_);
  line.send("GET /" + std::string(4000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  answer = line.read_until("}");
  EXPECT_NE(answer.find("HTTP/1.1 414"), std::string::npos) << answer;
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, DropsAClientThatNeverFinishesItsHeaders) {
  ServerLimits limits;
  limits.header_timeout = 1s;
  start(limits);
  Client slow(port_);
  slow.send("GET /a HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  EXPECT_TRUE(slow.closed_by_server(10s));
  // Beast closes the socket when the deadline passes and runs the read's handler (which counts
  // the timeout) just after: the client may see the close first.
  auto until = std::chrono::steady_clock::now() + 5s;
  while (server_->counters().header_timeouts.load() == 0 &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server_->counters().header_timeouts.load(), 1u);
  EXPECT_EQ(handled_.load(), 0);
  // Others are served meanwhile and after.
  Client other(port_);
  other.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(other.read_until("\"/b\"").find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(HttpServerTest, StreamsChunksAndDrainClosesIdleConnections) {
  start({});
  Client streaming(port_);
  streaming.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = streaming.read_until("data: one");
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("text/event-stream"), std::string::npos) << got;
  ASSERT_TRUE(stream_);
  stream_->write("data: two\n\n");
  EXPECT_NE(streaming.read_until("data: two").find("data: two"), std::string::npos);
  EXPECT_EQ(server_->in_flight(), 0);  // a stream is not an in-flight request

  Client idle(port_);
  idle.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  idle.read_until("\"/a\"");
  server_->drain();
  EXPECT_TRUE(idle.closed_by_server(5s));
  stream_->end("event: shutdown\ndata: {}\n\n");
  EXPECT_NE(streaming.read_until("event: shutdown").find("event: shutdown"), std::string::npos);
  EXPECT_TRUE(streaming.closed_by_server(5s));
}

}  // namespace
}  // namespace aftercare::gateway
