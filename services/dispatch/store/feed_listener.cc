#include "dispatch/store/feed_listener.h"

#include <pqxx/pqxx>

#include <condition_variable>
#include <mutex>

namespace aftercare::dispatch {

namespace {
constexpr const char* kChannel = "aftercare_partner_feed";
constexpr auto kReconnectPause = std::chrono::seconds(1);
}  // namespace

class FeedListener::Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, FeedHeads& heads)
      : pqxx::notification_receiver(conn, kChannel), heads_(heads) {}

  void operator()(const std::string& payload, int) override {
    auto colon = payload.find(':');
    if (colon == std::string::npos) return;
    try {
      heads_.advanced(payload.substr(colon + 1), std::stoll(payload.substr(0, colon)));
    } catch (const std::exception&) {
      // Not ours (someone else NOTIFYing on the channel): ignore it.
    }
  }

 private:
  FeedHeads& heads_;
};

FeedListener::FeedListener(std::string db_url, FeedHeads& heads)
    : db_url_(std::move(db_url)), heads_(heads) {}

FeedListener::~FeedListener() {
  heads_.listening(false);
  receiver_.reset();
}

void FeedListener::connect() {
  conn_ = std::make_unique<pqxx::connection>(db_url_);
  // The receiver's constructor issues LISTEN; only once it has is the listener trustworthy.
  receiver_ = std::make_unique<Receiver>(*conn_, heads_);
  heads_.listening(true);
}

void FeedListener::listen(std::stop_token stop, std::chrono::milliseconds span) {
  if (!conn_ && failed_at_) {
    // The worker calls again at once; reconnecting after a failure waits a second.
    std::mutex mu;
    std::condition_variable_any pause;
    std::unique_lock lock(mu);
    pause.wait_until(lock, stop, *failed_at_ + kReconnectPause, [] { return false; });
    if (stop.stop_requested()) return;
  }
  try {
    if (!conn_) connect();
    auto until = std::chrono::steady_clock::now() + span;
    while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
      // Short waits so that a stop is noticed within a quarter of a second.
      conn_->await_notification(0, 250000);
    }
    // A connection that died without a word would wait forever in silence: ask it something.
    pqxx::nontransaction(*conn_).exec("SELECT 1");
  } catch (...) {
    failed_at_ = std::chrono::steady_clock::now();
    heads_.listening(false);
    receiver_.reset();
    conn_.reset();
    throw;
  }
}

}  // namespace aftercare::dispatch
