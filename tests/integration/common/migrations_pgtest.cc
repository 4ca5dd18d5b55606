// Migrations against a real PostgreSQL: applied once, in order, safe under concurrent starts,
// and an edited applied migration stops the service.
#include <gtest/gtest.h>

#include <thread>

#include "common/migrations.h"
#include "common/pg.h"
#include "support/test_env.h"

namespace aftercare::kit {
namespace {

TEST(Migrations, KitTablesAreCreatedOnceAndReapplyingIsANoOp) {
  PgPool pool(testing::fresh_database("t_migrations_once"), 2);
  EXPECT_EQ(apply_migrations(pool, "kit", kit_migrations()),
            static_cast<int>(kit_migrations().size()));
  EXPECT_EQ(apply_migrations(pool, "kit", kit_migrations()), 0);
  pool.in_transaction([](pqxx::work& tx) {
    EXPECT_EQ(tx.exec("SELECT count(*) FROM kit_outbox")[0][0].as<int>(), 0);
    EXPECT_EQ(tx.exec("SELECT count(*) FROM kit_inbox")[0][0].as<int>(), 0);
  });
}

TEST(Migrations, ConcurrentStartsApplyEachMigrationExactlyOnce) {
  std::string url = testing::fresh_database("t_migrations_race");
  std::vector<Migration> ms = {{1, "001_a.sql", "CREATE TABLE a (id int)"},
                               {2, "002_b.sql", "INSERT INTO a VALUES (1)"}};
  std::atomic<int> total{0};
  std::vector<std::thread> starters;
  for (int i = 0; i < 4; ++i)
    starters.emplace_back([&] {
      PgPool pool(url, 1);
      total += apply_migrations(pool, "svc", ms);
    });
  for (auto& t : starters) t.join();
  EXPECT_EQ(total.load(), 2);
  PgPool pool(url, 1);
  pool.in_transaction(
      [](pqxx::work& tx) { EXPECT_EQ(tx.exec("SELECT count(*) FROM a")[0][0].as<int>(), 1); });
}

TEST(Migrations, EditedOrUnorderedMigrationsAreRefused) {
  PgPool pool(testing::fresh_database("t_migrations_edit"), 1);
  apply_migrations(pool, "svc", {{1, "001_a.sql", "CREATE TABLE a (id int)"}});
  EXPECT_THROW(apply_migrations(pool, "svc", {{1, "001_a.sql", "CREATE TABLE a (id bigint)"}}),
               std::runtime_error);
  EXPECT_THROW(
      apply_migrations(pool, "svc", {{2, "002.sql", "SELECT 1"}, {2, "002b.sql", "SELECT 1"}}),
      std::runtime_error);
}

TEST(Migrations, AFailingMigrationLeavesNothingBehind) {
  PgPool pool(testing::fresh_database("t_migrations_fail"), 1);
  EXPECT_ANY_THROW(apply_migrations(
      pool, "svc",
      {{1, "001_bad.sql", "CREATE TABLE ok (id int); SELECT no_such_column FROM ok"}}));
  pool.in_transaction([](pqxx::work& tx) {
    EXPECT_EQ(tx.exec("SELECT count(*) FROM pg_tables WHERE tablename = 'ok'")[0][0].as<int>(), 0);
    EXPECT_EQ(tx.exec("SELECT count(*) FROM kit_schema_migrations")[0][0].as<int>(), 0);
  });
}

TEST(PgPool, ReconnectsAfterTheServerDroppedTheConnection) {
  PgPool pool(testing::fresh_database("t_pool_reconnect"), 1);
  int pid = pool.in_transaction(
      [](pqxx::work& tx) { return tx.exec("SELECT pg_backend_pid()")[0][0].as<int>(); });
  {
    pqxx::connection admin(testing::require_env("AFTERCARE_TEST_PG_URL"));
    pqxx::nontransaction q(admin);
    q.exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  }
  // The first use of the dead connection fails; the pool drops it and the next one works.
  try {
    pool.in_transaction([](pqxx::work& tx) { tx.exec("SELECT 1"); });
  } catch (const pqxx::broken_connection&) {
  }
  EXPECT_TRUE(pool.healthy());
}

}  // namespace
}  // namespace aftercare::kit
