// What a Bridge delivered to its client, for tests: a Bridge::Deliver that
// keeps every message, and waits for messages that arrive on another thread
// (a legacy event stream, a request to the client from a thread that
// forwards a call).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "mcpauth/mcp/bridge.hpp"

namespace mcpauth::test_support {

struct Delivered {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<core::jsonrpc::Message> messages;

  mcp::Bridge::Deliver sink() {
    return [this](core::jsonrpc::Message&& m) {
      {
        std::lock_guard lock(mutex);
        messages.push_back(std::move(m));
      }
      arrived.notify_all();
    };
  }
  std::vector<core::jsonrpc::Message> all() {
    std::lock_guard lock(mutex);
    return messages;
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
  // The bound only keeps a broken test from hanging.
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex);
    return arrived.wait_for(lock, std::chrono::seconds(30), [&] { return messages.size() >= count; });
  }
  // The message at `index`, once it came.
  core::jsonrpc::Message at(std::size_t index) {
    if (!wait_for(index + 1)) {
      ADD_FAILURE() << "nothing delivered at " << index;
      return core::jsonrpc::Notification{"missing", nullptr};
    }
    std::lock_guard lock(mutex);
    return messages[index];
  }
};

}  // namespace mcpauth::test_support
