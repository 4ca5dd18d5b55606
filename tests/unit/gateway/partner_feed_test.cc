// The shared poller: one poll per party whatever the number of subscribers; every event once
// and in order to each, nothing of other parties; joiners a little behind get the buffered
// events, joiners too far behind are told to catch up; a failed poll is reported and retried;
// stop() cancels the polls.
#include "gateway/partner_feed.h"

#include <gtest/gtest.h>

#include <deque>

namespace aftercare::gateway {
namespace {

using aftercare::v1::ListPartnerEventsResponse;
using aftercare::v1::PartnerEvent;

struct PendingRead {
  std::string party;
  int64_t after;
  FeedHub::Page done;
  bool cancelled = false;
};

struct Fake {
  std::deque<std::shared_ptr<PendingRead>> reads;
  std::vector<std::function<void()>> later;
  // Answers the oldest outstanding read of `party` with events after its cursor from `feed`.
  void answer(const std::string& party, const std::vector<int64_t>& seqs) {
    for (auto it = reads.begin(); it != reads.end(); ++it) {
      if ((*it)->party != party) continue;
      auto r = *it;
      reads.erase(it);
      ListPartnerEventsResponse page;
      for (int64_t s : seqs) {
        if (s <= r->after) continue;
        auto* e = page.add_events();
        e->set_cursor(std::to_string(s));
        e->mutable_event()->set_type("dispatch.WorkOrderCreated");
        e->mutable_event()->set_aggregate_id(party + "-" + std::to_string(s));
      }
      r->done(grpc::Status::OK, page);
      return;
    }
    FAIL() << "no read outstanding for " << party;
  }
  size_t outstanding(const std::string& party) const {
    size_t n = 0;
    for (const auto& r : reads) n += r->party == party;
    return n;
  }
};

class Recorder : public FeedSubscriber {
 public:
  void deliver(const std::vector<FeedEvent>& events) override {
    for (const auto& e : events) {
      seqs.push_back(e.seq);
      ids.push_back(e.event->event().aggregate_id());
      EXPECT_EQ(*e.text, "rendered " + e.event->cursor());  // rendered once, by the hub
    }
  }
  void fail(const grpc::Status& s) override { failures.push_back(s.error_message()); }
  std::vector<int64_t> seqs;
  std::vector<std::string> ids;
  std::vector<std::string> failures;
};

std::shared_ptr<FeedHub> hub_of(Fake& fake, size_t buffer = 512) {
  FeedHub::Options options;
  options.buffer_events = buffer;
  options.render = [](const PartnerEvent& e) { return "rendered " + e.cursor(); };
  return std::make_shared<FeedHub>(
      [&fake](const kit::Caller&, const std::string& party, int64_t after, int,
              FeedHub::Page done) {
        auto r = std::make_shared<PendingRead>(PendingRead{party, after, std::move(done)});
        fake.reads.push_back(r);
        std::weak_ptr<PendingRead> weak = r;
        return std::function<void()>([&fake, weak] {
          if (auto p = weak.lock()) {
            p->cancelled = true;
            for (auto it = fake.reads.begin(); it != fake.reads.end(); ++it)
              if (*it == p) {
                fake.reads.erase(it);
                break;
              }
            p->done(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"), {});
          }
        });
      },
      [&fake](std::chrono::milliseconds, std::function<void()> fn) {
        fake.later.push_back(std::move(fn));
      },
      options);
}

const kit::Caller kBuilder{"b", kit::Role::builder, {"P01"}, {}, "B-1"};

TEST(FeedHub, OnePollPerPartyFansOutInOrderOnce) {
  Fake fake;
  auto hub = hub_of(fake);
  std::vector<std::shared_ptr<Recorder>> subs;
  std::vector<FeedHub::Membership> members;
  for (int i = 0; i < 50; ++i) {
    subs.push_back(std::make_shared<Recorder>());
    members.push_back(hub->join("B-1", kBuilder, 3, subs.back()));
    ASSERT_TRUE(members.back());
  }
  auto other = std::make_shared<Recorder>();
  auto other_member = hub->join("B-2", kBuilder, 0, other);
  EXPECT_EQ(fake.outstanding("B-1"), 1u);  // 50 subscribers, one poll
  EXPECT_EQ(fake.outstanding("B-2"), 1u);
  EXPECT_EQ(fake.reads.front()->after, 3);
  fake.answer("B-1", {4, 5});
  fake.answer("B-1", {4, 5, 6});  // a repeated event (overlapping page) is not sent twice
  for (const auto& s : subs) EXPECT_EQ(s->seqs, (std::vector<int64_t>{4, 5, 6}));
  EXPECT_TRUE(other->seqs.empty());  // nothing of other parties
  fake.answer("B-2", {1});
  EXPECT_EQ(other->ids, std::vector<std::string>{"B-2-1"});
  EXPECT_EQ(subs[0]->ids[0], "B-1-4");
}

TEST(FeedHub, JoinersBehindGetTheBufferOrCatchUp) {
  Fake fake;
  auto hub = hub_of(fake, /*buffer=*/3);
  auto first = std::make_shared<Recorder>();
  auto m1 = hub->join("B-1", kBuilder, 10, first);
  fake.answer("B-1", {11, 12});
  // Joined at 11 (its own catch-up read up to there): gets 12 from the buffer, then live ones.
  auto second = std::make_shared<Recorder>();
  auto m2 = hub->join("B-1", kBuilder, 11, second);
  ASSERT_TRUE(m2);
  EXPECT_EQ(second->seqs, std::vector<int64_t>{12});
  // Joined before the feed's start: the events in between were never buffered.
  EXPECT_FALSE(hub->join("B-1", kBuilder, 9, std::make_shared<Recorder>()));
  fake.answer("B-1", {13, 14, 15});  // the buffer (3) now starts after 12
  EXPECT_FALSE(hub->join("B-1", kBuilder, 11, std::make_shared<Recorder>()));
  auto third = std::make_shared<Recorder>();
  ASSERT_TRUE(hub->join("B-1", kBuilder, 13, third));
  EXPECT_EQ(third->seqs, (std::vector<int64_t>{14, 15}));
  // A joiner ahead of the poller skips what it has already seen.
  auto ahead = std::make_shared<Recorder>();
  auto m4 = hub->join("B-1", kBuilder, 17, ahead);
  fake.answer("B-1", {16, 17, 18});
  EXPECT_EQ(ahead->seqs, std::vector<int64_t>{18});
  EXPECT_EQ(first->seqs, (std::vector<int64_t>{11, 12, 13, 14, 15, 16, 17, 18}));
  EXPECT_EQ(second->seqs, (std::vector<int64_t>{12, 13, 14, 15, 16, 17, 18}));
}

TEST(FeedHub, TheLastLeaverEndsThePollAndFailuresAreRetried) {
  Fake fake;
  auto hub = hub_of(fake);
  auto s = std::make_shared<Recorder>();
  auto m = hub->join("B-1", kBuilder, 0, s);
  fake.reads.front()->done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "dispatch down"), {});
  fake.reads.pop_front();
  EXPECT_EQ(s->failures, std::vector<std::string>{"dispatch down"});
  ASSERT_EQ(fake.later.size(), 1u);
  EXPECT_EQ(fake.outstanding("B-1"), 0u);  // paused
  fake.later[0]();
  EXPECT_EQ(fake.outstanding("B-1"), 1u);
  m.reset();
  EXPECT_EQ(hub->parties(), 1u);  // the poll is still out; a reconnect would find it
  fake.answer("B-1", {1});
  EXPECT_EQ(hub->parties(), 0u);
  EXPECT_EQ(fake.outstanding("B-1"), 0u);
  EXPECT_TRUE(s->seqs.empty());  // it had left
}

TEST(FeedHub, StopCancelsThePolls) {
  Fake fake;
  auto hub = hub_of(fake);
  auto s = std::make_shared<Recorder>();
  auto m = hub->join("B-1", kBuilder, 0, s);
  EXPECT_EQ(hub->polls_in_flight(), 1u);
  hub->stop();
  EXPECT_EQ(hub->polls_in_flight(), 0u);
  EXPECT_TRUE(s->failures.empty());  // a cancelled poll is no failure to report
  EXPECT_FALSE(hub->join("B-1", kBuilder, 0, s));
}

TEST(FeedHub, CursorsAreNumbers) {
  EXPECT_EQ(cursor_value(""), 0);
  EXPECT_EQ(cursor_value("42"), 42);
  EXPECT_FALSE(cursor_value("4x"));
  EXPECT_FALSE(cursor_value("-1"));
}

}  // namespace
}  // namespace aftercare::gateway
