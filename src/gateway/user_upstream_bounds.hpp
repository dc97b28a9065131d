// Which users' upstreams the gateway lets go (local_users.cpp's sweep): a
// removed user's whatever they do; then, among those not in use (no local
// session, no stateless request waiting, no flow), the ones idle too long
// or made from a configured server since replaced; then the least recently
// used until at most `cap` remain. Pure, so the bound is tested directly.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace mcpauth::gateway {

struct UpstreamUse {
  std::pair<std::string, std::string> key;  // (server, user)
  std::chrono::steady_clock::time_point last_used{};
  bool in_use = false;
  bool user_removed = false;  // the store no longer has the user
  bool replaced = false;      // its configured server was replaced or removed
};

struct Evictions {
  std::vector<std::pair<std::string, std::string>> removed;  // a removed user's: their sessions end too
  std::vector<std::pair<std::string, std::string>> idle;     // unused: nothing else ends
};

Evictions choose_evictions(const std::vector<UpstreamUse>& upstreams, std::chrono::steady_clock::time_point now,
                           std::chrono::steady_clock::duration idle_after, std::size_t cap);

}  // namespace mcpauth::gateway
