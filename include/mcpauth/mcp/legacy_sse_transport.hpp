// The HTTP+SSE transport of MCP 2024-11-05 (deprecated, still served by many
// hosted servers). A GET opens an event stream whose first `endpoint` event
// names the URL to POST messages to; every server message, responses
// included, arrives on that stream. The endpoint must be on the same origin
// as the stream: credentials are never sent anywhere else.
//
// Threading: start() opens the stream on the event loop of
// TransportOptions::async_http when there is one (no thread of its own),
// else on one thread of its own; the MessageHandler and ErrorHandler are
// called there. send() may be called from several threads at once (each
// POST runs on its caller's thread). close() (also from the destructor)
// cancels the stream; no handler runs after it returns (it waits for one
// running on another thread, and joins the transport's own thread), so it
// is not for a handler. The state, its lock and the stream live in Impl
// (legacy_sse_transport.cpp), so this header commits to no layout.
#pragma once

#include <memory>
#include <string>

#include "mcpauth/mcp/transport.hpp"

namespace mcpauth::mcp {

class LegacySseTransport final : public Transport {
 public:
  explicit LegacySseTransport(TransportOptions options);
  ~LegacySseTransport() override;

  // Opens the stream and waits (up to connect + request timeout) for `endpoint`.
  void start(MessageHandler on_message, ErrorHandler on_error) override;
  void send(const core::jsonrpc::Message& message) override;
  void on_initialized(const std::string& protocol_version) override;
  void close() override;
  std::string_view kind() const noexcept override { return "sse"; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpauth::mcp
