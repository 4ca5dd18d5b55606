#include "dispatch/app/feed_heads.h"

#include <algorithm>

namespace aftercare::dispatch {

FeedHeads::Party& FeedHeads::party_locked(const std::string& party) {
  auto& slot = parties_[party];
  if (!slot) slot = std::make_unique<Party>();
  return *slot;
}

void FeedHeads::advanced(const std::string& party, int64_t seq) {
  std::lock_guard lock(mu_);
  Party& p = party_locked(party);
  if (seq <= p.head) return;
  p.head = seq;
  p.moved.notify_all();
}

void FeedHeads::listening(bool on) {
  std::lock_guard lock(mu_);
  if (on == listening_) return;
  listening_ = on;
  ++generation_;
  for (auto& [_, p] : parties_) p->moved.notify_all();
}

bool FeedHeads::is_listening() const {
  std::lock_guard lock(mu_);
  return listening_;
}

FeedHeads::Seen FeedHeads::seen(const std::string& party) {
  std::lock_guard lock(mu_);
  return {party_locked(party).head, generation_};
}

bool FeedHeads::wait_for_change(const std::string& party, Seen& seen, Clock::time_point until) {
  std::unique_lock lock(mu_);
  Party& p = party_locked(party);
  auto changed = [&] { return p.head > seen.head || generation_ != seen.generation; };
  if (!listening_) {
    p.moved.wait_until(lock, std::min(until, Clock::now() + fallback_poll_), changed);
    seen = {p.head, generation_};
    return true;
  }
  if (!p.moved.wait_until(lock, until, changed)) return false;
  seen = {p.head, generation_};
  return true;
}

}  // namespace aftercare::dispatch
