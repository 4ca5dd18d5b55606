#include "gateway/partner_feed.h"

#include <condition_variable>

namespace aftercare::gateway {

struct FeedHub::Feed {
  std::string party;
  kit::Caller caller;
  int64_t head = 0;         // the last seq the poller has seen
  int64_t replay_from = 0;  // the buffer holds every event after this seq up to head
  std::deque<FeedEvent> recent;
  std::map<uint64_t, Member> members;
  bool polling = false;
  bool pausing = false;     // waiting to retry a failed poll: no read outstanding
  uint64_t generation = 0;  // which poll `cancel` belongs to
  std::function<void()> cancel;
};

std::optional<int64_t> cursor_value(const std::string& cursor) {
  if (cursor.empty()) return 0;
  try {
    size_t used = 0;
    int64_t v = std::stoll(cursor, &used);
    if (used != cursor.size() || v < 0) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<FeedEvent> FeedHub::events_of(aftercare::v1::ListPartnerEventsResponse page,
                                          const Options& options) {
  std::vector<FeedEvent> out;
  out.reserve(page.events_size());
  for (auto& e : *page.mutable_events()) {
    FeedEvent f;
    f.seq = cursor_value(e.cursor()).value_or(0);
    auto event = std::make_shared<aftercare::v1::PartnerEvent>(std::move(e));
    f.text = std::make_shared<const std::string>(options.render ? options.render(*event) : "");
    f.event = std::move(event);
    out.push_back(std::move(f));
  }
  return out;
}

FeedHub::FeedHub(Read read, Later later, Options options)
    : read_(std::move(read)), later_(std::move(later)), options_(options) {}

FeedHub::~FeedHub() {
  stop();
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return polls_ == 0; });
}

void FeedHub::stop() {
  std::vector<std::function<void()>> cancels;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    std::vector<std::shared_ptr<Feed>> paused;
    for (auto& [party, feed] : feeds_) {
      feed->members.clear();
      if (feed->cancel) cancels.push_back(feed->cancel);
      if (feed->pausing) paused.push_back(feed);
    }
    // A feed between a failed poll and its retry has nothing outstanding: done now.
    for (auto& feed : paused) finish_polling(feed);
  }
  for (auto& cancel : cancels) cancel();
}

size_t FeedHub::parties() const {
  std::lock_guard lock(mu_);
  return feeds_.size();
}

size_t FeedHub::polls_in_flight() const {
  std::lock_guard lock(mu_);
  return polls_;
}

FeedHub::Membership FeedHub::join(const std::string& party, const kit::Caller& caller,
                                  int64_t cursor, std::weak_ptr<FeedSubscriber> subscriber) {
  std::shared_ptr<Feed> start;
  uint64_t id = 0;
  // Locked subscribers are released only after the lock: the last reference to one may end its
  // membership, and leaving takes the lock.
  std::shared_ptr<FeedSubscriber> joiner;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return nullptr;
    auto& feed = feeds_[party];
    if (!feed) {
      feed = std::make_shared<Feed>();
      feed->party = party;
      feed->caller = caller;
      feed->head = feed->replay_from = cursor;
    }
    if (cursor < feed->replay_from) return nullptr;  // events in between are not buffered
    if (cursor < feed->head) {
      std::vector<FeedEvent> missed;
      for (const auto& e : feed->recent)
        if (e.seq > cursor) missed.push_back(e);
      joiner = subscriber.lock();
      if (joiner && !missed.empty()) {
        joiner->deliver(missed);
        cursor = missed.back().seq;
      }
    }
    id = next_member_++;
    feed->members[id] = Member{std::move(subscriber), cursor};
    if (!feed->polling) {
      feed->polling = true;
      ++polls_;
      start = feed;
    }
  }
  if (start) poll(start);
  // Leaving is the membership's destructor, whatever ended the stream.
  struct Leave {
    std::weak_ptr<FeedHub> hub;
    std::string party;
    uint64_t id;
    ~Leave() {
      if (auto h = hub.lock()) h->leave(party, id);
    }
  };
  return std::make_shared<Leave>(weak_from_this(), party, id);
}

void FeedHub::leave(const std::string& party, uint64_t member_id) {
  std::lock_guard lock(mu_);
  auto it = feeds_.find(party);
  if (it == feeds_.end()) return;
  it->second->members.erase(member_id);
  // The feed itself goes when its outstanding poll returns to no members (on_page), so a
  // subscriber that reconnects at once finds the poll still running.
}

void FeedHub::finish_polling(const std::shared_ptr<Feed>& feed) {
  if (!feed->polling) return;
  feed->polling = false;
  if (auto it = feeds_.find(feed->party); it != feeds_.end() && it->second == feed)
    feeds_.erase(it);
  --polls_;
  idle_.notify_all();
}

void FeedHub::poll(const std::shared_ptr<Feed>& feed) {
  int64_t after;
  kit::Caller caller;
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    if (!feed->polling) return;  // finished by stop() while pausing
    feed->pausing = false;
    if (stopped_) return finish_polling(feed);
    after = feed->head;
    caller = feed->caller;
    generation = ++feed->generation;
  }
  auto cancel =
      read_(caller, feed->party, after, options_.poll_wait_s,
            [this, feed](grpc::Status status, aftercare::v1::ListPartnerEventsResponse r) {
              on_page(feed, status, std::move(r));
            });
  std::function<void()> cancel_now;
  {
    std::lock_guard lock(mu_);
    // The answer may have come (and the next poll started) before read_ returned.
    if (feed->polling && feed->generation == generation) {
      feed->cancel = std::move(cancel);
      if (stopped_) cancel_now = feed->cancel;  // stop() ran while this poll was being started
    }
  }
  if (cancel_now) cancel_now();
}

void FeedHub::on_page(const std::shared_ptr<Feed>& feed, const grpc::Status& status,
                      aftercare::v1::ListPartnerEventsResponse page) {
  bool again = false, pause = false;
  std::vector<std::shared_ptr<FeedSubscriber>> alive;  // released after the lock (see join)
  // Parsed and rendered once, outside the lock, for every subscriber of the party.
  std::vector<FeedEvent> page_events;
  if (status.ok()) page_events = events_of(std::move(page), options_);
  {
    std::lock_guard lock(mu_);
    feed->cancel = nullptr;
    feed->pausing = false;
    if (status.ok()) {
      std::vector<FeedEvent> fresh;
      for (auto& e : page_events) {
        if (e.seq <= feed->head) continue;
        feed->head = e.seq;
        fresh.push_back(e);
        feed->recent.push_back(std::move(e));
        while (feed->recent.size() > options_.buffer_events) {
          feed->replay_from = feed->recent.front().seq;
          feed->recent.pop_front();
        }
      }
      for (auto it = feed->members.begin(); it != feed->members.end();) {
        auto s = it->second.subscriber.lock();
        if (!s) {
          it = feed->members.erase(it);
          continue;
        }
        alive.push_back(s);
        std::vector<FeedEvent> theirs;
        for (const auto& e : fresh)
          if (e.seq > it->second.cursor) theirs.push_back(e);
        if (!theirs.empty()) {
          it->second.cursor = theirs.back().seq;
          s->deliver(theirs);
        }
        ++it;
      }
    } else if (!stopped_) {
      for (auto& [id, m] : feed->members)
        if (auto s = m.subscriber.lock()) {
          alive.push_back(s);
          s->fail(status);
        }
      pause = true;
    }
    if (pause && !stopped_ && !feed->members.empty()) feed->pausing = true;
    if (stopped_ || feed->members.empty()) {
      finish_polling(feed);
    } else {
      again = true;
    }
  }
  if (!again) return;
  if (pause) {
    // The pause may outlive the hub (shutdown): the retry only runs while the hub exists.
    std::weak_ptr<FeedHub> hub = weak_from_this();
    later_(options_.retry_pause, [hub, feed] {
      if (auto h = hub.lock()) h->poll(feed);
    });
  } else
    poll(feed);
}

}  // namespace aftercare::gateway
