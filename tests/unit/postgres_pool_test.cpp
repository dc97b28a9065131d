// The PostgreSQL store's connection pool (internal store::detail::BoundedPool)
// over a stand-in connection: never more than max_open open at once, a
// waiter gets the connection given back, one that waits past its deadline
// gets Error(store), a connection dropped by a failed operation (or broken)
// is closed and frees its place, and a failed connect frees its place too.
#include "../../src/store/postgres_pool.hpp"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>

namespace mcpauth::store::detail {
namespace {

struct FakeConnection {
  int id = 0;
  bool is_broken = false;
  bool broken() const { return is_broken; }
};

using Pool = BoundedPool<FakeConnection>;

struct Counting {
  int made = 0;
  bool fail_next = false;
  Pool::Connect connect() {
    return [this] {
      if (std::exchange(fail_next, false)) throw Error(ErrorCode::store, "cannot connect");
      return std::make_unique<FakeConnection>(FakeConnection{++made, false});
    };
  }
};

Pool::Limits limits(std::size_t max_open, std::chrono::milliseconds wait = std::chrono::milliseconds(1)) {
  return Pool::Limits{max_open, 8, wait};
}

TEST(PostgresPool, ReusesAGivenBackConnectionAndOpensAtMostMaxOpen) {
  Counting counting;
  Pool pool(counting.connect(), limits(2), "the token store (db)");
  {
    auto a = pool.acquire();
    a.give_back();
  }
  auto a = pool.acquire();
  EXPECT_EQ(a->id, 1) << "the idle connection is reused";
  auto b = pool.acquire();
  EXPECT_EQ(b->id, 2);
  EXPECT_EQ(pool.open(), 2u);
  try {
    (void)pool.acquire();
    FAIL() << "a third connection was opened past max_open";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::store);
    EXPECT_NE(std::string(e.what()).find("all 2 connections to the token store (db) stayed in use"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(counting.made, 2);
}

TEST(PostgresPool, AWaiterGetsTheConnectionGivenBack) {
  Counting counting;
  Pool pool(counting.connect(), limits(1, std::chrono::minutes(5)), "db");
  auto held = pool.acquire();
  std::promise<void> waiting;
  auto waiter = std::async(std::launch::async, [&] {
    waiting.set_value();
    return pool.acquire()->id;
  });
  waiting.get_future().wait();
  held.give_back();  // whether the waiter already waits or not, it gets this one
  EXPECT_EQ(waiter.get(), 1);
  EXPECT_EQ(counting.made, 1);
}

TEST(PostgresPool, AConnectionNotGivenBackIsClosedAndFreesItsPlace) {
  Counting counting;
  Pool pool(counting.connect(), limits(1), "db");
  {
    auto failed = pool.acquire();  // an operation that threw: the lease is dropped
  }
  EXPECT_EQ(pool.open(), 0u);
  {
    auto broken = pool.acquire();
    EXPECT_EQ(broken->id, 2) << "the dropped connection was not reused";
    broken->is_broken = true;
    broken.give_back();
  }
  EXPECT_EQ(pool.open(), 0u) << "a broken connection is not kept";
  EXPECT_EQ(pool.acquire()->id, 3);
}

TEST(PostgresPool, AFailedConnectFreesItsPlace) {
  Counting counting;
  Pool pool(counting.connect(), limits(1), "db");
  counting.fail_next = true;
  EXPECT_THROW((void)pool.acquire(), Error);
  EXPECT_EQ(pool.open(), 0u);
  EXPECT_EQ(pool.acquire()->id, 1);
}

TEST(PostgresPool, IdleConnectionsBeyondMaxIdleAreClosed) {
  Counting counting;
  Pool pool(counting.connect(), Pool::Limits{3, 1, std::chrono::milliseconds(1)}, "db");
  auto a = pool.acquire();
  auto b = pool.acquire();
  a.give_back();
  b.give_back();
  EXPECT_EQ(pool.open(), 1u);
}

}  // namespace
}  // namespace mcpauth::store::detail
