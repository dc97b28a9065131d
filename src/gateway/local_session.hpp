// One local client session: a Streamable HTTP session (Mcp-Session-Id) or a
// legacy SSE stream, with its own remote session (an mcp::Bridge), the
// requests waiting for their answers and the outbox its event stream writes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mcpauth/mcp/bridge.hpp"
#include "upstream.hpp"

namespace mcpauth::gateway {

inline constexpr std::size_t kMaxOutboxMessages = 1000;  // undelivered server messages per local session
inline constexpr std::size_t kMaxOutboxBytes = 32u << 20;

class LocalSession {
 public:
  LocalSession(std::string session_id, std::shared_ptr<Upstream> server, bool legacy_sse)
      : id(std::move(session_id)),
        upstream(std::move(server)),
        legacy(legacy_sse),
        last_used(std::chrono::steady_clock::now()) {}
  ~LocalSession() { bridge.reset(); }  // first: its threads call deliver() on this object

  const std::string id;
  const std::shared_ptr<Upstream> upstream;
  const bool legacy;
  std::string peer;  // the local client's address: sessions are budgeted per address

  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, std::optional<std::string>> waiting;  // serialized request id -> answer
  std::deque<std::string> outbox;                             // SSE events not yet written
  std::size_t outbox_bytes = 0;
  bool stream_open = false;
  bool closed = false;
  std::chrono::steady_clock::time_point last_used;
  // What its initialize agreed (Streamable HTTP; local_batch.cpp: batches are 2025-03-26's only).
  std::string protocol_version;

  std::unique_ptr<mcp::Bridge> bridge;  // last member: destroyed first

  // Queues one server message for the session's event stream (bounded).
  void push_event(const std::string& json);
  // Ends the session's event stream and its waiting requests.
  void mark_closed();
};

}  // namespace mcpauth::gateway
