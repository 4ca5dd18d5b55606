// One shared poller per party: however many streams a party has open, the gateway keeps one
// long-poll (ListPartnerEvents with wait_seconds) outstanding in dispatch for it and fans every
// page out to the party's subscribers. 5,000 streams of 500 parties are 500 polls, not 5,000
// timers. Each subscriber first catches up on its own (from its `after` / Last-Event-ID, with
// wait 0) and then joins with the cursor it reached; the feed keeps the last events it saw, so a
// subscriber that joins a little behind the poller gets the events in between from that buffer,
// and one further behind is told to catch up again. Every event reaches a subscriber once and
// in order, because each subscriber keeps its own cursor and gets only events after it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aftercare/v1/dispatch.pb.h"
#include "common/call.h"

namespace aftercare::gateway {

// One event of a feed as the subscribers get it: parsed once, its SSE text rendered once for
// every subscriber (at 50 streams a party, rendering per stream was most of the fan-out's CPU).
struct FeedEvent {
  int64_t seq = 0;
  std::shared_ptr<const aftercare::v1::PartnerEvent> event;
  std::shared_ptr<const std::string> text;  // Options::render's output ("" when none)
};

// The subscriber's side (an SSE stream or a waiting long-poll). Called with the feed's lock
// held, so implementations only queue (post to their connection) and never call the hub back.
class FeedSubscriber {
 public:
  virtual ~FeedSubscriber() = default;
  virtual void deliver(const std::vector<FeedEvent>& events) = 0;
  // The shared poll failed; it is retried after a pause.
  virtual void fail(const grpc::Status& status) = 0;
};

// The feed's cursor as a number ("" = before the first event, 0). nullopt: not a cursor.
std::optional<int64_t> cursor_value(const std::string& cursor);

class FeedHub : public std::enable_shared_from_this<FeedHub> {
 public:
  using Page = std::function<void(grpc::Status, aftercare::v1::ListPartnerEventsResponse)>;
  // Reads the party's feed after `after`, waiting up to `wait_s` for an event; returns a
  // function that cancels the read (its callback then still runs, with CANCELLED).
  using Read = std::function<std::function<void()>(
      const kit::Caller& caller, const std::string& party, int64_t after, int wait_s, Page done)>;
  // Runs `fn` after `delay` (the pause before a failed poll is retried).
  using Later = std::function<void(std::chrono::milliseconds delay, std::function<void()> fn)>;

  struct Options {
    int poll_wait_s = 15;        // dispatch holds an empty poll this long (max 30)
    size_t buffer_events = 512;  // recent events kept per party for joiners
    std::chrono::milliseconds retry_pause{1000};
    std::function<std::string(const aftercare::v1::PartnerEvent&)> render;  // FeedEvent::text
  };
  // A page's events as FeedEvents (the catch-up reads use the same shape).
  static std::vector<FeedEvent> events_of(aftercare::v1::ListPartnerEventsResponse page,
                                          const Options& options);
  const Options& options() const { return options_; }
  // Owned by a shared_ptr: memberships hold a weak one, so a stream that ends after the hub
  // leaves nothing dangling.
  FeedHub(Read read, Later later, Options options);
  ~FeedHub();  // cancels the polls and waits for their callbacks

  using Membership = std::shared_ptr<void>;  // dropping it leaves the feed
  // Joins `party` with the cursor the subscriber has reached. nullptr: the feed has moved past
  // what it can replay for this cursor; catch up again and retry. `caller` is used for the
  // party's poll when this join starts it (any caller allowed to read the party will do: it
  // passed the same check on its catch-up read).
  Membership join(const std::string& party, const kit::Caller& caller, int64_t cursor,
                  std::weak_ptr<FeedSubscriber> subscriber);

  // Stops polling (shutdown); joins after this fail.
  void stop();
  size_t parties() const;
  size_t polls_in_flight() const;

 private:
  struct Feed;
  struct Member {
    std::weak_ptr<FeedSubscriber> subscriber;
    int64_t cursor = 0;
  };
  void poll(const std::shared_ptr<Feed>& feed);
  void on_page(const std::shared_ptr<Feed>& feed, const grpc::Status& status,
               aftercare::v1::ListPartnerEventsResponse page);
  void leave(const std::string& party, uint64_t member_id);
  void finish_polling(const std::shared_ptr<Feed>& feed);  // with mu_ held

  Read read_;
  Later later_;
  Options options_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  bool stopped_ = false;
  uint64_t next_member_ = 1;
  size_t polls_ = 0;
  std::map<std::string, std::shared_ptr<Feed>> feeds_;
};

}  // namespace aftercare::gateway
