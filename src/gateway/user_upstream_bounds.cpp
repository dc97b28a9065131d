#include "user_upstream_bounds.hpp"

#include <algorithm>

namespace mcpauth::gateway {

Evictions choose_evictions(const std::vector<UpstreamUse>& upstreams, std::chrono::steady_clock::time_point now,
                           std::chrono::steady_clock::duration idle_after, std::size_t cap) {
  Evictions out;
  std::vector<const UpstreamUse*> unused;  // kept for now, droppable to meet the cap
  std::size_t kept = 0;
  for (const auto& use : upstreams) {
    if (use.user_removed) {
      out.removed.push_back(use.key);
    } else if (!use.in_use && (use.replaced || now - use.last_used > idle_after)) {
      out.idle.push_back(use.key);
    } else {
      ++kept;
      if (!use.in_use) unused.push_back(&use);
    }
  }
  std::sort(unused.begin(), unused.end(),
            [](const UpstreamUse* a, const UpstreamUse* b) { return a->last_used < b->last_used; });
  for (const auto* use : unused) {
    if (kept <= cap) break;
    out.idle.push_back(use->key);
    --kept;
  }
  return out;
}

}  // namespace mcpauth::gateway
