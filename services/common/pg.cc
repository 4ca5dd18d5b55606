#include "common/pg.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "common/migrations.h"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& kit_migrations();
}

namespace aftercare::kit {

const std::vector<Migration>& kit_migrations() {
  return generated::kit_migrations();
}

PgPool::PgPool(std::string url, int size) : url_(std::move(url)), size_(size) {}

PgPool::~PgPool() = default;

PgPool::Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

PgPool::Lease PgPool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, wait, [&] { return !idle_.empty() || leased_ < size_; }))
    throw PoolExhausted("database pool exhausted (" + std::to_string(size_) + " connections)");
  ++leased_;
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  lock.unlock();
  try {
    return Lease(this, std::make_unique<pqxx::connection>(url_));
  } catch (...) {
    std::lock_guard relock(mu_);
    --leased_;
    freed_.notify_one();
    throw;
  }
}

void PgPool::release(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mu_);
  --leased_;
  // A connection that broke (server restart) is dropped; the next acquire opens a fresh one.
  if (conn->is_open()) idle_.push_back(std::move(conn));
  freed_.notify_one();
}

bool PgPool::healthy() {
  try {
    Lease lease = acquire(std::chrono::milliseconds(500));
    pqxx::nontransaction q(*lease);
    q.exec("SELECT 1");
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("database health check failed: {}", e.what());
    return false;
  }
}

namespace {

constexpr const char* kCreateMigrationsTable = R"(
  CREATE TABLE IF NOT EXISTS kit_schema_migrations (
    component  text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    sql_text   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version))
)";
// Serialises migration runs across replicas of a service starting at once.
constexpr const char* kLockMigrations =
    "SELECT pg_advisory_xact_lock(hashtext('aftercare.migrations'))";
constexpr const char* kAppliedSql =
    "SELECT sql_text FROM kit_schema_migrations WHERE component = $1 AND version = $2";
constexpr const char* kRecordApplied =
    "INSERT INTO kit_schema_migrations (component, version, name, sql_text) VALUES ($1, $2, $3, "
    "$4)";

}  // namespace

int apply_migrations(PgPool& pool, const std::string& component,
                     const std::vector<Migration>& migrations) {
  for (size_t i = 1; i < migrations.size(); ++i)
    if (migrations[i].version <= migrations[i - 1].version)
      throw std::runtime_error(component +
                               ": migration versions must increase: " + migrations[i].name);
  auto lease = pool.acquire();
  {
    pqxx::work tx(*lease);
    tx.exec(kLockMigrations);
    tx.exec(kCreateMigrationsTable);
    tx.commit();
  }
  int applied = 0;
  for (const Migration& m : migrations) {
    pqxx::work tx(*lease);
    tx.exec(kLockMigrations);
    auto existing = tx.exec_params(kAppliedSql, component, m.version);
    if (!existing.empty()) {
      if (existing[0][0].as<std::string>() != m.sql)
        throw std::runtime_error(component + ": applied migration " + m.name +
                                 " was edited; add a new migration instead");
      continue;
    }
    tx.exec(m.sql);
    tx.exec_params(kRecordApplied, component, m.version, m.name, m.sql);
    tx.commit();
    spdlog::info("applied migration {}/{}", component, m.name);
    ++applied;
  }
  return applied;
}

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace aftercare::kit
