// The server's event stream of a Streamable HTTP session (the GET that
// carries server-initiated messages), as a callback state machine over an
// AsyncHttpClient: open -> events -> end or drop -> backoff timer -> open
// again with Last-Event-ID. A GET answered 405, 400, or 404 without a
// session means the server offers no stream (not an error); any other
// refusal, or more failures in a row than allowed, is reported once through
// on_error and ends the stream. Run on a CurlMultiLoop it costs no thread;
// run on a ThreadAsyncClient it is the former listener thread. Internal to
// mcp/.
//
// Threading: open() and close() from any thread that may block (open()
// passes through the credentials decorator). The hooks run on the client's
// thread (the loop thread), one at a time; after close() returns none runs
// again (a hook in progress on another thread is waited for, one on the
// calling thread is not).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "hook_gate.hpp"
#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/net/async_http.hpp"

namespace mcpauth::mcp::detail {

class EventStream : public std::enable_shared_from_this<EventStream> {
 public:
  struct Hooks {
    // The GET to send (session headers and all), or the POST of a modern
    // subscriptions/listen; the stream adds Accept (unless set),
    // Last-Event-ID (when it resumes) and its unbounded total timeout.
    // Must not block.
    std::function<net::HttpRequest()> make_request;
    std::function<void(core::jsonrpc::Message&&)> on_message;
    // The server answered the first GET (or the stream gave up): once.
    std::function<void()> on_answered;
    // The stream died for good: once, and never after close().
    std::function<void(const Error&)> on_error;
  };
  struct Options {
    std::string url;
    std::size_t max_message_bytes = 64u << 20;
    int max_reconnects = 5;
    std::chrono::milliseconds default_retry{1000};
    std::chrono::milliseconds max_backoff{30'000};
    // Whether a re-opened stream carries Last-Event-ID (a GET resumes; a
    // listen POST starts a new subscription).
    bool resume = true;
  };

  static std::shared_ptr<EventStream> create(std::shared_ptr<net::AsyncHttpClient> client, Options options,
                                             Hooks hooks);

  void open();
  void close();

  // For tests: the Last-Event-ID the next GET would carry.
  std::string last_event_id() const;

 private:
  class Attempt;
  EventStream(std::shared_ptr<net::AsyncHttpClient> client, Options options, Hooks hooks);

  void attempt();
  void on_attempt_done(Attempt& attempt, const Error* error);
  void reconnect_later(std::optional<Error> failure);
  void deliver(core::jsonrpc::Message&& message);
  void answered();
  void fail(const Error& error);

  std::shared_ptr<net::AsyncHttpClient> client_;
  Options options_;
  Hooks hooks_;

  mutable std::mutex mutex_;  // guards the state below
  bool closed_ = false;
  bool answered_ = false;
  std::string last_event_id_;
  std::chrono::milliseconds delay_;
  int failures_ = 0;
  std::shared_ptr<net::AsyncOperation> pending_;  // the transfer or timer under way

  HookGate hooks_gate_;  // no hook after close()
};

}  // namespace mcpauth::mcp::detail
