// What the key rotation tests of both stores share (unit/sqlite_key_rotation_test.cpp,
// integration/postgres_key_rotation_test.cpp): rotating a store, and
// refreshes racing rotations, and the scenarios both must pass.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "error_of.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::testing {

inline store::KeyRotation& rotation_of(const std::shared_ptr<store::TokenStore>& s) {
  store::KeyRotation* r = store::key_rotation(*s);
  if (!r) throw std::logic_error("a persistent store implements KeyRotation");
  return *r;
}

// Rotates to `to` (nullopt: finishes under the current key), two rows per batch (several batches).
inline store::KeyRotationReport rotate_store(const std::shared_ptr<store::TokenStore>& s,
                                             std::optional<std::string> to) {
  store::KeyRotationOptions options;
  options.new_key = std::move(to);
  options.new_key_source = "the test's new key";
  options.batch_size = 2;
  return rotation_of(s).rotate_key(options);
}

// A grant's tokens whose access token is `access` (and the refresh token derived from it).
inline core::oauth::TokenSet rotation_tokens(const std::string& access) {
  core::oauth::TokenSet t;
  t.access_token = access;
  t.refresh_token = "refresh-of-" + access;
  return t;
}

// `threads` threads each add 1 to the counter kept as `counter`'s access
// token, `increments` times, each in its own update_tokens() on `refresher`,
// while `rotate_once(n)` runs again and again until they are all done.
inline void refresh_while_rotating(store::TokenStore& refresher, const store::TokenKey& counter, int threads,
                                   int increments, const std::function<void(int)>& rotate_once) {
  std::atomic<int> finished{0};
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&] {
      for (int i = 0; i < increments; ++i) {
        refresher.update_tokens(counter, [](const std::optional<core::oauth::TokenSet>& current) {
          return store::TokenDecision::replace(rotation_tokens(std::to_string(std::stoi(current->access_token) + 1)));
        });
      }
      ++finished;
    });
  }
  for (int n = 0; finished < threads; ++n) rotate_once(n);
  for (auto& thread : running) thread.join();
}

// Opens the store under test with this key and these retired keys.
using OpenWithKeys =
    std::function<std::shared_ptr<store::TokenStore>(const std::string& key, std::optional<std::string> previous)>;

inline store::TokenKey rotation_grant(const std::string& account) {
  return store::TokenKey{"https://mcp.example/mcp", "https://as.example", "client-1", account};
}

inline void save_rotation_rows(store::TokenStore& s, std::initializer_list<const char*> accounts) {
  for (const char* account : accounts) {
    s.save_tokens(rotation_grant(account), rotation_tokens(std::string("access-") + account));
  }
}

inline void expect_rotation_rows(store::TokenStore& s, std::initializer_list<const char*> accounts) {
  for (const char* account : accounts) {
    const auto loaded = s.load_tokens(rotation_grant(account));
    ASSERT_TRUE(loaded) << account;
    EXPECT_EQ(loaded->access_token, std::string("access-") + account);
    EXPECT_EQ(loaded->refresh_token, std::string("refresh-of-access-") + account);
  }
}

// Rows (three grants and a client's secret "client-secret-in-clear") sealed
// under `a`, rotated to `b`: `b` alone reads them all, a second run changes
// nothing, retire_keys() forgets `a`, and `a` is refused from then on.
inline void check_rotation_then_retire(const OpenWithKeys& open, const std::string& a, const std::string& b) {
  {
    auto s = open(a, std::nullopt);
    save_rotation_rows(*s, {"", "one", "two"});
    core::oauth::ClientRegistration client;
    client.issuer = "https://as.example";
    client.client_id = "client-1";
    client.client_secret = "client-secret-in-clear";
    s->save_client(client);
    const store::KeyRotationReport report = rotate_store(s, b);
    EXPECT_EQ(report.resealed, 4u);  // three grants and the client
    EXPECT_EQ(report.already_current, 0u);
    EXPECT_TRUE(report.unreadable.empty());
    EXPECT_EQ(report.rows_by_key, (std::map<std::string, std::size_t>{{report.current_key_id, 4}}));
    EXPECT_EQ(report.recorded_keys.size(), 2u);
    EXPECT_EQ(report.rows_under_other_keys(), 0u);
    save_rotation_rows(*s, {"three"});  // the rotating instance seals under the new key from then on
  }
  auto with_b = open(b, std::nullopt);
  expect_rotation_rows(*with_b, {"", "one", "two", "three"});
  EXPECT_EQ(with_b->load_client("https://as.example")->client_secret, "client-secret-in-clear");
  EXPECT_EQ(rotate_store(with_b, std::nullopt).already_current, 5u) << "a second run changes nothing";

  const store::KeyRotationReport retired = rotation_of(with_b).retire_keys();
  EXPECT_EQ(retired.retired.size(), 1u);
  EXPECT_EQ(retired.recorded_keys, std::vector<std::string>{retired.current_key_id});
  const Error refused = error_of([&] { open(a, std::nullopt); });
  EXPECT_EQ(refused.code(), ErrorCode::store);
  EXPECT_NE(std::string(refused.what()).find("cannot be opened with the key from MCPAUTH_KEY"), std::string::npos)
      << refused.what();
  // Nor as the current key beside the right one as a retired key.
  EXPECT_EQ(error_of([&] { open(a, b); }).code(), ErrorCode::store);
}

// A rotation to `b`, then a row written by an instance still sealing under
// `a`: `b`+`a` read everything, `b` alone not that row, retiring is
// refused, and running the rotation again finishes it.
inline void check_half_finished_rotation(const OpenWithKeys& open, const std::string& a, const std::string& b) {
  {
    auto s = open(a, std::nullopt);
    save_rotation_rows(*s, {"one", "two"});
    rotate_store(s, b);
  }
  save_rotation_rows(*open(a, b), {"late"});

  auto both = open(b, a);
  expect_rotation_rows(*both, {"one", "two", "late"});
  EXPECT_EQ(rotation_of(both).key_status().rows_under_other_keys(), 1u);
  EXPECT_EQ(error_of([&] { open(b, std::nullopt)->load_tokens(rotation_grant("late")); }).code(), ErrorCode::store);
  EXPECT_TRUE(rotation_of(both).retire_keys().retired.empty()) << "retiring would strand the late row";
  EXPECT_NO_THROW(open(a, std::nullopt));

  const store::KeyRotationReport finished = rotate_store(both, std::nullopt);
  EXPECT_EQ(finished.resealed, 1u);
  EXPECT_EQ(finished.already_current, 2u);
  EXPECT_EQ(finished.rows_under_other_keys(), 0u);
  expect_rotation_rows(*open(b, std::nullopt), {"one", "two", "late"});
}

// Refreshes (update_tokens increments, on their own store instance and
// connections) while another instance rotates between `a` and `b` until
// they are done: every increment survives. Each rotation re-seals the
// counter row under the grant's lock, which update_tokens takes too.
inline void check_refreshes_racing_rotations(const OpenWithKeys& open, const std::string& a, const std::string& b) {
  constexpr int kThreads = 3, kIncrements = 30;
  const store::TokenKey counter = rotation_grant("counter");
  open(a, std::nullopt)->save_tokens(counter, rotation_tokens("0"));
  auto rotator = open(a, std::nullopt);
  rotate_store(rotator, b);
  auto refresher = open(a, b);  // reads rows under either key
  refresh_while_rotating(*refresher, counter, kThreads, kIncrements,
                         [&](int n) { rotate_store(rotator, n % 2 == 0 ? a : b); });
  const auto loaded = open(a, b)->load_tokens(counter);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, std::to_string(kThreads * kIncrements));
}

}  // namespace mcpauth::testing
