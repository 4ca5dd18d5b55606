// Listens on its own PostgreSQL connection for the notifications that every append to a partner
// feed raises at commit (migration 003: "<seq>:<party_id>" on channel aftercare_partner_feed)
// and tells FeedHeads, so that waiting long-polls wake when their party's feed moves.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include <pqxx/connection>

#include "dispatch/app/feed_heads.h"

namespace aftercare::dispatch {

class FeedListener {
 public:
  FeedListener(std::string db_url, FeedHeads& heads);
  ~FeedListener();

  // Listens for `span` (or until stopped), keeping the connection for the next call. Connects
  // first if needed (a second after a failure at the earliest). On a failure it drops the
  // connection, tells FeedHeads it is not listening (waiters fall back to polling) and throws: the
  // periodic worker counts it and retries.
  void listen(std::stop_token stop, std::chrono::milliseconds span);

 private:
  class Receiver;
  void connect();

  std::string db_url_;
  FeedHeads& heads_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<Receiver> receiver_;
  std::optional<std::chrono::steady_clock::time_point> failed_at_;
};

}  // namespace aftercare::dispatch
