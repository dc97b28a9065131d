// The Streamable HTTP transport (MCP 2025-03-26 and later).
//
// Each message is one POST; a request is answered with application/json or
// with an SSE stream that may carry server notifications and requests before
// the response. Legacy-era sessions (initialize handshake) carry
// Mcp-Session-Id and MCP-Protocol-Version, open the optional GET stream for
// server-initiated messages, resume a cut stream with Last-Event-ID, and end
// with DELETE. Modern-era requests (2026-07-28) mirror their `_meta`
// protocol version, method and name into the MCP-Protocol-Version,
// Mcp-Method and Mcp-Name headers.
//
// Threading: send() may be called from several threads at once (each POST
// runs on its caller's thread); a handshake-era session also has the GET
// stream, opened by on_initialized(): on the event loop of
// TransportOptions::async_http when there is one (no thread of its own),
// else on one thread of its own. The MessageHandler and ErrorHandler are
// called on whichever of these threads received the message. close() (also
// from the destructor) cancels every transfer in flight and the stream (no
// handler runs after it returns: it waits for one running on another thread
// and joins the stream's own thread) and then sends the DELETE, so it is not
// for a handler. The state, its lock and the stream live in Impl
// (streamable_http_transport.cpp), so this header commits to no layout.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mcpauth/mcp/transport.hpp"

namespace mcpauth::mcp {

class StreamableHttpTransport final : public Transport {
 public:
  explicit StreamableHttpTransport(TransportOptions options);
  ~StreamableHttpTransport() override;

  void start(MessageHandler on_message, ErrorHandler on_error) override;
  void send(const core::jsonrpc::Message& message) override;
  void on_initialized(const std::string& protocol_version) override;
  void close() override;
  std::string_view kind() const noexcept override { return "streamable-http"; }

  // The Mcp-Session-Id the server assigned, empty when it assigned none.
  std::string session_id() const;

  // The modern era's `subscriptions/listen` (2026-07-28): `request` is
  // POSTed and its event-stream answer, which carries the server's change
  // notifications to the MessageHandler, lives as long as the transport
  // (no request timeout); it is POSTed again, with a bounded backoff, when
  // it drops or ends. Takes the place of the handshake era's GET stream
  // (a transport has one or the other); close() ends it. Returns once the
  // server answered the first POST (or the connect timeout passed).
  void listen(const core::jsonrpc::Request& request);

  // Aborts the POST of request `id` if one is under way (a blocking send()
  // then throws Error(cancelled)): over HTTP the modern era cancels a
  // request by closing its response stream, not with a notification.
  // Whether one was.
  bool cancel(const core::jsonrpc::Id& id);

  // Whether send_async() can be used (TransportOptions::async_http was given).
  bool can_send_async() const;
  // The end of an asynchronous send: null when the exchange completed (the
  // answer, if any, has reached the MessageHandler), else what send() would
  // have thrown.
  using Sent = std::function<void(const Error*)>;
  // send() on the event loop of TransportOptions::async_http: returns at
  // once; the answer reaches the MessageHandler on the loop thread, then
  // `done` runs once (on the loop thread, or on the loop's blocking pool
  // after resuming a cut stream; on the calling thread when the transport
  // is closed already). The credentials are applied on the calling thread
  // (they may block in a refresh). close() cancels the sends under way and
  // waits until their `done` has run, so it must not be called from the
  // loop thread while a send is under way.
  void send_async(const core::jsonrpc::Message& message, Sent done);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpauth::mcp
