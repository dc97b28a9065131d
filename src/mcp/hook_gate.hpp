// Lets callbacks reach their owner until it closes: after close() returns,
// no callback runs again, and one already running on another thread has
// finished (close() waits for it; one running on the calling thread, which
// is closing from inside a callback, is not waited for). What a transport
// needs when its streams report from an event loop thread it does not join.
// Internal to mcp/.
#pragma once

#include <mutex>

namespace mcpauth::mcp::detail {

class HookGate {
 public:
  // Runs `hook` unless closed; false when closed.
  template <class Hook>
  bool run(Hook&& hook) {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    hook();
    return true;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

 private:
  std::recursive_mutex mutex_;  // recursive: a hook may close its own owner
  bool closed_ = false;
};

}  // namespace mcpauth::mcp::detail
