// PostgreSQL connection pool over libpqxx. Connections are opened lazily, handed out one per
// caller, and dropped when broken so the next caller reconnects (PostgreSQL restarts heal).
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace aftercare::kit {

// Every connection of the pool stayed leased for the whole wait: the database is busy, not
// broken (callers answer UNAVAILABLE: retry).
struct PoolExhausted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class PgPool {
 public:
  PgPool(std::string url, int size);
  ~PgPool();

  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  // Waits up to `wait` for a free slot; throws pqxx::broken_connection when the database is
  // unreachable and PoolExhausted when the pool stays exhausted.
  Lease acquire(std::chrono::milliseconds wait = std::chrono::seconds(5));

  // Runs `work` in a read-committed transaction and commits it; rolls back on any exception.
  template <typename F>
  auto in_transaction(F&& work) {
    Lease lease = acquire();
    pqxx::work tx(*lease);
    if constexpr (std::is_void_v<decltype(work(tx))>) {
      work(tx);
      tx.commit();
    } else {
      auto result = work(tx);
      tx.commit();
      return result;
    }
  }

  // True when a connection answers SELECT 1 (used by /healthz).
  bool healthy();
  const std::string& url() const { return url_; }

 private:
  void release(std::unique_ptr<pqxx::connection> conn);
  std::string url_;
  int size_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int leased_ = 0;
};

// A PostgreSQL text[] literal with every element quoted and escaped, for binding as $n::text[]
// (libpqxx 6 binds no arrays).
std::string text_array(const std::vector<std::string>& items);

// Runs `sql` as the prepared statement `name` of the transaction's connection: parsed and planned
// once per connection (on its first use there), then only bound and executed. For the hot paths'
// statements; `name` must always come with the same `sql` (libpqxx refuses a redefinition).
template <typename... Args>
pqxx::result exec_prepared(pqxx::transaction_base& tx, const char* name, const std::string& sql,
                           Args&&... args) {
  tx.conn().prepare(name, sql);  // no-op once defined on this connection
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// libpqxx 6 has no std::optional parameters: bind NULL when the value is empty.
inline const char* nullable(const std::string& s) {
  return s.empty() ? nullptr : s.c_str();
}

}  // namespace aftercare::kit
