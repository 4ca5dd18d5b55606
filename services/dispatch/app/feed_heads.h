// Where each partner's feed has got to, as far as this process has been told, so that a
// long-poll (ListPartnerEvents with wait_seconds, WatchPartnerEvents) sleeps until its party's
// feed moves instead of re-reading it every 100 ms: with 100 parties waiting that re-reading
// was 1,000 queries a second and a fifth of a core. The listener (store/feed_listener.h) feeds
// it PostgreSQL notifications of every append; while it is not listening, waiters fall back to
// re-reading every `fallback_poll`, as before.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace aftercare::dispatch {

class FeedHeads {
 public:
  using Clock = std::chrono::steady_clock;

  // What a waiter last saw: the party's head and the listening generation. Taken before the
  // waiter reads its feed, so an append between the read and the wait still wakes it.
  struct Seen {
    int64_t head = 0;
    uint64_t generation = 0;
  };

  explicit FeedHeads(std::chrono::milliseconds fallback_poll = std::chrono::milliseconds(100))
      : fallback_poll_(fallback_poll) {}

  // The listener: `party`'s feed holds events up to `seq` (committed).
  void advanced(const std::string& party, int64_t seq);
  // The listener started (true) or stopped (false) listening. Starting wakes every waiter to
  // read once: what was appended while nobody listened was never notified.
  void listening(bool on);
  bool is_listening() const;

  Seen seen(const std::string& party);
  // Waits until `party`'s feed may hold something `seen` does not (then updates `seen` and
  // returns true: read the feed), or until `until` (false). While nobody listens it waits
  // fallback_poll at most and returns true.
  bool wait_for_change(const std::string& party, Seen& seen, Clock::time_point until);

 private:
  struct Party {
    int64_t head = 0;
    std::condition_variable moved;
  };
  Party& party_locked(const std::string& party);

  const std::chrono::milliseconds fallback_poll_;
  mutable std::mutex mu_;
  bool listening_ = false;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Party>> parties_;
};

}  // namespace aftercare::dispatch
