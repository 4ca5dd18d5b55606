// The partner feed against real PostgreSQL: each party reads the events of its own work orders
// in order; reconnecting with the last cursor gives every later event exactly once and nothing
// of other partners; the stream and the long-poll deliver new events as they commit.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "dispatch/store/feed_listener.h"
#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using enum aftercare::v1::PartyKind;
using grpc::StatusCode;

class PartnerFeedTest : public DispatchTest {
 protected:
  PartnerFeedTest() : DispatchTest("t_dispatch_feed") {}

  void SetUp() override {
    DispatchTest::SetUp();
    standard_parties();
    ASSERT_TRUE(
        put_party("B-house", PARTY_KIND_BUILDER, {aftercare::v1::TICKET_CATEGORY_HOUSE_QUALITY})
            .ok());
  }

  // A ticket of B-house's trade.
  std::string house_order(const std::string& ticket_id) {
    Event e = ticket_opened(ticket_id);
    e.mutable_ticket_opened()->set_category(aftercare::v1::TICKET_CATEGORY_HOUSE_QUALITY);
    deliver(e);
    return only_order(ticket_id).work_order_id();
  }
  std::string deco_order(const std::string& ticket_id) {
    deliver(ticket_opened(ticket_id));
    return only_order(ticket_id).work_order_id();
  }

  grpc::Status read(const kit::Caller& c, const std::string& party, const std::string& after,
                    int limit, aftercare::v1::ListPartnerEventsResponse* out, int wait = 0) {
    aftercare::v1::ListPartnerEventsRequest req;
    req.set_party_id(party);
    req.set_after(after);
    req.set_limit(limit);
    req.set_wait_seconds(wait);
    out->Clear();
    return stub_->ListPartnerEvents(kit::client_context(c, std::chrono::seconds(40)).get(), req,
                                    out);
  }

  static std::vector<std::string> types(const aftercare::v1::ListPartnerEventsResponse& r) {
    std::vector<std::string> out;
    for (const auto& e : r.events()) out.push_back(e.event().type());
    return out;
  }

  kit::Caller deco_ = partner("builder", "B-deco");
  kit::Caller house_ = partner("builder", "B-house");
};

TEST_F(PartnerFeedTest, AReconnectingPartnerGetsEveryLaterEventOnceAndNothingOfOthers) {
  std::string mine = deco_order("T-1");
  std::string theirs = house_order("T-2");

  aftercare::v1::ListPartnerEventsResponse r;
  ASSERT_TRUE(read(deco_, "B-deco", "", 0, &r).ok());
  ASSERT_EQ(types(r), std::vector<std::string>{"dispatch.WorkOrderCreated"});
  EXPECT_EQ(r.events(0).event().aggregate_id(), mine);
  std::string cursor = r.next_cursor();
  ASSERT_EQ(cursor, r.events(0).cursor());

  // While "disconnected": its own order moves on, and so does the other builder's.
  ASSERT_TRUE(accept(deco_, mine).ok());
  ASSERT_TRUE(accept(house_, theirs).ok());
  absl::Time t = store::truncate_to_micros(absl::Now() + absl::Hours(30));
  ASSERT_TRUE(schedule(deco_, mine, t, t + absl::Hours(1)).ok());
  ASSERT_TRUE(schedule(house_, theirs, t, t + absl::Hours(1)).ok());
  std::string mine2 = deco_order("T-3");

  ASSERT_TRUE(read(deco_, "B-deco", cursor, 0, &r).ok());
  EXPECT_EQ(types(r),
            (std::vector<std::string>{"dispatch.WorkOrderAccepted", "dispatch.WorkOrderScheduled",
                                      "dispatch.WorkOrderCreated"}));
  for (const auto& e : r.events()) {
    EXPECT_TRUE(e.event().aggregate_id() == mine || e.event().aggregate_id() == mine2);
    EXPECT_NE(e.event().aggregate_id(), theirs);
  }
  cursor = r.next_cursor();
  // Nothing new: an empty answer that keeps the cursor.
  ASSERT_TRUE(read(deco_, "B-deco", cursor, 0, &r).ok());
  EXPECT_EQ(r.events_size(), 0);
  EXPECT_EQ(r.next_cursor(), cursor);

  // Paging one event at a time from the start yields each event exactly once, in order.
  std::vector<std::string> ids;
  std::string after;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(read(deco_, "B-deco", after, 1, &r).ok());
    if (r.events_size() == 0) break;
    ids.push_back(r.events(0).event().event_id());
    after = r.next_cursor();
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 4u);

  // The other builder's feed has only its own order.
  ASSERT_TRUE(read(house_, "B-house", "", 0, &r).ok());
  EXPECT_EQ(r.events_size(), 3);
  for (const auto& e : r.events()) EXPECT_EQ(e.event().aggregate_id(), theirs);
}

TEST_F(PartnerFeedTest, NobodyReadsAnotherPartysFeed) {
  deco_order("T-1");
  aftercare::v1::ListPartnerEventsResponse r;
  EXPECT_EQ(read(house_, "B-deco", "", 0, &r).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(read(owner("U-101"), "B-deco", "", 0, &r).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(read(dispatcher(), "B-deco", "", 0, &r).error_code(), StatusCode::PERMISSION_DENIED);
  auto s = read(deco_, "B-deco", "abc", 0, &r);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "after: is not a cursor of this feed");
  ASSERT_TRUE(read(admin(), "B-deco", "", 0, &r).ok());
  EXPECT_EQ(r.events_size(), 1);
}

TEST_F(PartnerFeedTest, TheStreamResumesFromTheCursorAndDeliversNewEventsLive) {
  std::string mine = deco_order("T-1");
  ASSERT_TRUE(accept(deco_, mine).ok());
  aftercare::v1::ListPartnerEventsResponse first;
  ASSERT_TRUE(read(deco_, "B-deco", "", 1, &first).ok());

  aftercare::v1::ListPartnerEventsRequest req;
  req.set_party_id("B-deco");
  req.set_after(first.next_cursor());
  auto context = kit::client_context(deco_, std::chrono::seconds(30));
  auto stream = stub_->WatchPartnerEvents(context.get(), req);
  aftercare::v1::PartnerEvent e;
  ASSERT_TRUE(stream->Read(&e));
  EXPECT_EQ(e.event().type(), "dispatch.WorkOrderAccepted");
  // An event committed while the stream is open arrives on it.
  house_order("T-2");  // someone else's: must not show up
  ASSERT_TRUE(start(deco_, mine).ok());
  ASSERT_TRUE(stream->Read(&e));
  EXPECT_EQ(e.event().type(), "dispatch.WorkOrderStarted");
  EXPECT_EQ(e.event().aggregate_id(), mine);
  EXPECT_EQ(e.cursor(), "3");
  context->TryCancel();
  while (stream->Read(&e)) {
  }
}

TEST_F(PartnerFeedTest, ALongPollWaitsForTheNextEvent) {
  std::string mine = deco_order("T-1");
  aftercare::v1::ListPartnerEventsResponse r;
  ASSERT_TRUE(read(deco_, "B-deco", "", 0, &r).ok());
  std::string cursor = r.next_cursor();
  aftercare::v1::ListPartnerEventsResponse waited;
  grpc::Status s;
  std::thread poll([&] { s = read(deco_, "B-deco", cursor, 0, &waited, /*wait=*/25); });
  // The poller is waiting (nothing new yet); the next commit releases it.
  ASSERT_TRUE(accept(deco_, mine).ok());
  poll.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(waited.events_size(), 1);
  EXPECT_EQ(waited.events(0).event().type(), "dispatch.WorkOrderAccepted");
}

// The service as it runs: waiting reads sleep until the database notifies an append to their
// party's feed. Without a notification nothing would wake them (the fallback poll is set to ten
// minutes), so these pass only if the notification path works end to end.
class ListeningFeedTest : public PartnerFeedTest {
 protected:
  void SetUp() override {
    options_.feed_heads = &heads_;
    PartnerFeedTest::SetUp();
    listener_ = std::make_unique<FeedListener>(db_->url(), heads_);
    listening_ = std::jthread([this](std::stop_token stop) {
      while (!stop.stop_requested()) {
        try {
          listener_->listen(stop, std::chrono::seconds(1));
        } catch (const std::exception&) {
          // Retried after its pause, as the service's worker does.
        }
      }
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!heads_.is_listening() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(heads_.is_listening());
  }
  void TearDown() override {
    listening_ = {};
    listener_.reset();
    PartnerFeedTest::TearDown();
  }

  FeedHeads heads_{std::chrono::minutes(10)};
  std::unique_ptr<FeedListener> listener_;
  std::jthread listening_;
};

TEST_F(ListeningFeedTest, ALongPollWakesOnTheDatabasesNotificationOfTheNextEvent) {
  std::string mine = deco_order("T-1");
  aftercare::v1::ListPartnerEventsResponse r;
  ASSERT_TRUE(read(deco_, "B-deco", "", 0, &r).ok());
  aftercare::v1::ListPartnerEventsResponse waited;
  grpc::Status s;
  std::thread poll([&] { s = read(deco_, "B-deco", r.next_cursor(), 0, &waited, /*wait=*/25); });
  house_order("T-2");  // another party's append wakes nobody waiting on B-deco
  ASSERT_TRUE(accept(deco_, mine).ok());
  poll.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(waited.events_size(), 1);
  EXPECT_EQ(waited.events(0).event().type(), "dispatch.WorkOrderAccepted");
}

TEST_F(ListeningFeedTest, AStreamDeliversEachEventAsItsAppendIsNotified) {
  std::string mine = deco_order("T-1");
  aftercare::v1::ListPartnerEventsRequest req;
  req.set_party_id("B-deco");
  req.set_after("1");
  auto context = kit::client_context(deco_, std::chrono::seconds(30));
  auto stream = stub_->WatchPartnerEvents(context.get(), req);
  ASSERT_TRUE(accept(deco_, mine).ok());
  aftercare::v1::PartnerEvent e;
  ASSERT_TRUE(stream->Read(&e));
  EXPECT_EQ(e.event().type(), "dispatch.WorkOrderAccepted");
  ASSERT_TRUE(start(deco_, mine).ok());
  ASSERT_TRUE(stream->Read(&e));
  EXPECT_EQ(e.event().type(), "dispatch.WorkOrderStarted");
  EXPECT_EQ(e.cursor(), "3");
  context->TryCancel();
  while (stream->Read(&e)) {
  }
}

}  // namespace
}  // namespace aftercare::dispatch::testing
