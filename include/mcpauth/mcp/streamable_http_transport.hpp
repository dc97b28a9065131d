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
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

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

 private:
  net::HttpRequest make_request(std::string method) const;
  void post(const core::jsonrpc::Message& message);
  void resume(const core::jsonrpc::Id& awaited, std::string last_event_id,
              std::optional<std::chrono::milliseconds> retry, const std::string& method);
  void listen();
  void mark_listener_answered();
  bool wait_unless_closed(std::chrono::milliseconds delay);

  // Registers a cancel token so close() can abort transfers in flight.
  class InFlight;

  TransportOptions options_;
  MessageHandler on_message_;
  ErrorHandler on_error_;

  mutable std::mutex mutex_;
  std::string session_id_;
  std::string protocol_version_;
  std::set<net::CancelToken*> in_flight_;
  std::atomic<bool> closed_{false};
  std::condition_variable closed_cv_;

  bool listener_answered_ = false;  // the GET stream got its first answer (or gave up)
  std::thread listener_;
  net::CancelToken listener_cancel_;
};

}  // namespace mcpauth::mcp
