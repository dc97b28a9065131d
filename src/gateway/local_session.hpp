// One local client session: a Streamable HTTP session (Mcp-Session-Id) or a
// legacy SSE stream, with its own remote session (an mcp::Bridge), the
// requests waiting for their answers, the outbox its event stream writes and
// the events it wrote, kept for a client that resumes with Last-Event-ID.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "http_message.hpp"
#include "mcpauth/mcp/bridge.hpp"
#include "mcpauth/net/async_http.hpp"
#include "upstream.hpp"

namespace mcpauth::gateway {

inline constexpr std::size_t kMaxOutboxMessages = 1000;  // undelivered server messages per local session
inline constexpr std::size_t kMaxOutboxBytes = 32u << 20;
// Written events kept for Last-Event-ID. A stream that drops loses what was
// in flight (the last few writes the client never read), so a short history
// covers a reconnect; it is kept small because every session holds one
// (10,000 sessions at the bound: 1.25 GiB at worst, a few KiB typically).
inline constexpr std::size_t kMaxReplayEvents = 64;
inline constexpr std::size_t kMaxReplayBytes = 128u << 10;

// One server message as the session's event stream writes it.
struct SessionEvent {
  std::uint64_t number;  // per session, from 1, increasing
  std::string text;      // the whole SSE event, its id: line included
};

class LocalSession {
 public:
  LocalSession(std::string session_id, std::shared_ptr<Upstream> server, bool legacy_sse);
  ~LocalSession() { bridge.reset(); }  // first: its threads call deliver() on this object

  const std::string id;
  const std::shared_ptr<Upstream> upstream;
  const bool legacy;
  // Made in this order (Gateway::Impl::new_session): the stop closes the
  // oldest first, which is the order libcurl ends their streams fastest in.
  std::uint64_t serial = 0;
  std::string peer;  // the local client's address: sessions are budgeted per address

  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, std::optional<std::string>> waiting;  // serialized request id -> answer (a blocked thread's)
  // Requests answered later, without a thread (the POST's deferred reply):
  // `answer` runs once, with the answer, or nullopt when none came in time
  // or the session closed; `timer` bounds the wait.
  struct Pending {
    std::function<void(std::optional<std::string>)> answer;
    std::shared_ptr<net::AsyncOperation> timer;
  };
  std::map<std::string, Pending> pending;  // by serialized request id
  // Lists, not deques: a deque allocates about 580 bytes as it is made, and
  // most of ten thousand idle sessions never hold an event.
  std::list<SessionEvent> outbox;  // not yet written (bounded)
  std::size_t outbox_bytes = 0;
  std::list<SessionEvent> written;  // the latest written, for Last-Event-ID (bounded)
  std::size_t written_bytes = 0;
  std::uint64_t next_event = 1;
  bool stream_open = false;
  http::StreamSource::Wake wake_stream;  // the open stream's, while there is one
  bool closed = false;
  std::chrono::steady_clock::time_point last_used;
  // What its initialize agreed (Streamable HTTP; local_batch.cpp: batches are 2025-03-26's only).
  std::string protocol_version;

  std::unique_ptr<mcp::Bridge> bridge;  // last member: destroyed first

  // Queues one server message for the session's event stream (bounded) and wakes the stream.
  void push_event(const std::string& json);
  // Ends the session's event stream and its waiting requests.
  void mark_closed();
  // Takes a pending request out and answers it (nullopt: no answer);
  // false when it is not pending (answered, timed out, never registered).
  bool answer_pending(const std::string& key, std::optional<std::string> answer);

  // With `mutex` held:
  // The outbox as one piece to write; its events move to `written`.
  std::string take_outbox_locked();
  // Last-Event-ID: the written events after `last_event_id` go back to the
  // outbox, to be written again. An id this session did not write (another
  // session's, malformed, not yet sent) changes nothing; one older than what
  // is kept brings back everything kept (the events before are gone).
  void resume_after_locked(const std::string& last_event_id);
  // The "priming" event of a stream about to write the outbox (2025-11-25,
  // Streamable HTTP: an id and no data): the id of the position before the
  // outbox, so a client whose stream drops before any message still has an
  // id to resume with. A client dispatches no message for it.
  std::string priming_event_locked() const;

 private:
  std::string event_id(std::uint64_t number) const;
  const std::string id_prefix_;  // of this session's event ids: "<first 8 characters of its id>-"
};

}  // namespace mcpauth::gateway
