// A Bridge carries the JSON-RPC messages of one downstream client (a stdio
// host behind `mcpauth proxy`, a local session of `mcpauth gateway`) to one
// remote MCP session and back, unchanged: ids are the client's, and so are
// the initialize parameters. What it adds is what a client that cannot do
// it itself needs:
//
// - the transport: Streamable HTTP or legacy HTTP+SSE as SessionOptions
//   says, with the fallback of `automatic` / `sse_first` on the first message
//   (the mcp engine's negotiator and transport factory, which mcp::Session
//   shares; the negotiated version is learned from the client's own
//   initialize exchange);
// - authorization: whatever RequestAuthorizer the options carry (the OAuth
//   Authorizer consents, refreshes and steps up inside forward());
// - a new session with the client's own initialize when the server forgets
//   the old one (404 on a known session id), then the message again;
// - retries with exponential backoff, within a budget, while the server is
//   unreachable. Only what certainly never reached the server is sent again
//   (a refused connection, a 503) — plus requests that are safe to repeat
//   (ping, initialize, */list, resources/read, ...). Nothing else is ever
//   sent twice; it is answered with an error instead. The budget is for a
//   server that was there: while no message has reached it, a refused
//   connection is answered with an error at once. (The policy is
//   mcp/retry_policy.hpp's.)
//
// A request the bridge cannot forward is answered through `deliver` with a
// JSON-RPC error whose data.mcpauth_error names the ErrorCode (and
// data.mcpauth_detail holds the error's typed detail, when it has any), so a
// client never waits for an answer that will not come. The message is the
// library's neutral one unless BridgeOptions::error_answer words it.
//
// Threading: forward() may be called from several threads at once; each
// call blocks its own thread until its message is with the server (or
// answered with an error). forward_async() returns at once and reports on
// the event loop. `deliver` runs on whichever thread has a message
// for the client (a forward() caller's, an event stream's), one call at a
// time; it must not call close() or forward() and must not block for long.
// close() (and the destructor) stops the streams and joins their threads,
// answers the forward_async() calls under way and waits until their `done`
// has run: not for the event loop thread.
// The locks and threads are the implementation's; none is part of this
// header.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/mcp/retry_policy.hpp"
#include "mcpauth/mcp/session.hpp"

namespace mcpauth::mcp {

struct BridgeOptions {
  SessionOptions session;  // url, transport choice, http client, authorizer, timeouts (callbacks unused)
  // How long a message may wait for an unreachable server before it is answered with an error.
  std::chrono::milliseconds retry_budget{30'000};
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{5'000};
  // Globs (shell-style: *, ?, [...]) of tools hidden from the client: filtered out of tools/list, refused in
  // tools/call.
  std::vector<std::string> ignored_tools{};
  // Globs of the only tools the client sees, when not empty (an allow-list;
  // ignored_tools still hides among them).
  std::vector<std::string> allowed_tools{};
  // Diagnostics for people (never a token); empty: none.
  std::function<void(const std::string&)> log;
  // Words the error answers the bridge writes itself in the host's own
  // language (the CLI's hints, the gateway's dashboard), from the typed
  // error: called with the error and the answer about to be delivered
  // (message "mcpauth: " + what(), data as above), which it may change.
  // Called on the thread that met the error, before `deliver`, with no lock
  // of the bridge held. Empty: the answer as it is.
  std::function<void(const Error&, core::jsonrpc::ErrorResponse&)> error_answer;
};

// JSON-RPC error code of the answers the bridge writes itself.
inline constexpr int kBridgeErrorCode = -32603;

class Bridge {
 public:
  // Messages from the server (answers, notifications, server requests) and
  // the bridge's own error answers. Called from several threads, one call at
  // a time (the bridge serialises them).
  using Deliver = std::function<void(core::jsonrpc::Message&&)>;

  Bridge(BridgeOptions options, Deliver deliver);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Sends one message of the client. Thread-safe. Blocks until the message
  // is with the server (for a Streamable HTTP request: until its answer has
  // been delivered), or until it was answered with an error. Never throws.
  // `notifications/initialized` also opens the server's event stream.
  void forward(const core::jsonrpc::Message& message);

  // How forward_async() ended: `done` (the message is with the server, or
  // was answered with an error, through `deliver` as for forward()), or
  // `use_forward` (nothing of it reached the server: the caller sends it
  // with forward(), on a thread that may block).
  enum class Forwarded { done, use_forward };
  using AsyncDone = std::function<void(Forwarded)>;

  // forward() without holding the calling thread while the server answers:
  // a Streamable HTTP POST on SessionOptions::event_loop, its answer
  // delivered from the loop thread, failures handled as forward() handles
  // them (retries within the budget wait on the loop's timer, not on a
  // thread). `done` runs once, after any answer has been delivered: on the
  // loop thread, on the loop's blocking pool, or on the calling thread. What
  // needs forward()'s blocking path comes back as `use_forward`: no event
  // loop, the first message (it opens the transport and may still fall
  // back), `initialize`, `notifications/initialized` (it opens the event
  // stream), a session the server forgot (renewal re-initializes), legacy
  // SSE. The credentials are applied on the calling thread, which a refresh
  // blocks for its duration. Thread-safe; never throws.
  void forward_async(const core::jsonrpc::Message& message, AsyncDone done);

  // Whether a transport is open (the first message opened it).
  bool connected() const;
  // "streamable-http" or "sse" once connected, else "".
  std::string transport_name() const;

  // Ends the remote session (DELETE for Streamable HTTP) and stops its
  // streams. Idempotent; forward() after close() answers with an error.
  void close();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpauth::mcp
