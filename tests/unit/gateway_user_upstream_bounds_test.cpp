// How the gateway bounds its users' upstreams (src/gateway/user_upstream_bounds):
// a removed user's always go, unused ones after their idle time, and past
// the cap the least recently used unused ones; one in use is never let go
// for being idle or over the cap.
#include "user_upstream_bounds.hpp"

#include <gtest/gtest.h>

namespace mcpauth::gateway {
namespace {

using Clock = std::chrono::steady_clock;
using Key = std::pair<std::string, std::string>;
using std::chrono::minutes;

UpstreamUse use(const std::string& user, Clock::time_point last_used, bool in_use = false) {
  return UpstreamUse{{"srv", user}, last_used, in_use, false, false};
}

TEST(GatewayUserUpstreamBounds, ARemovedUsersGoEvenInUseAndIdleOnesWhenUnused) {
  const auto now = Clock::now();
  auto removed = use("gone", now, true);
  removed.user_removed = true;
  auto replaced = use("replaced", now);
  replaced.replaced = true;
  const Evictions chosen = choose_evictions({removed, replaced, use("stale", now - minutes(31)),
                                             use("stale-busy", now - minutes(31), true), use("fresh", now)},
                                            now, minutes(30), 100);
  EXPECT_EQ(chosen.removed, (std::vector<Key>{{"srv", "gone"}}));
  EXPECT_EQ(chosen.idle, (std::vector<Key>{{"srv", "replaced"}, {"srv", "stale"}}));
}

TEST(GatewayUserUpstreamBounds, PastTheCapTheLeastRecentlyUsedUnusedOnesGo) {
  const auto now = Clock::now();
  const Evictions chosen =
      choose_evictions({use("newest", now), use("oldest-busy", now - minutes(20), true), use("old", now - minutes(10)),
                        use("older", now - minutes(15)), use("new", now - minutes(1))},
                       now, minutes(30), 3);
  EXPECT_TRUE(chosen.removed.empty());
  EXPECT_EQ(chosen.idle, (std::vector<Key>{{"srv", "older"}, {"srv", "old"}})) << "never the busy one";
  // All in use: over the cap, none goes.
  EXPECT_TRUE(choose_evictions({use("a", now, true), use("b", now, true)}, now, minutes(30), 1).idle.empty());
}

}  // namespace
}  // namespace mcpauth::gateway
