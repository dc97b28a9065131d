// The HTTP+SSE transport of MCP 2024-11-05 (deprecated, still served by many
// hosted servers). A GET opens an event stream whose first `endpoint` event
// names the URL to POST messages to; every server message, responses
// included, arrives on that stream. The endpoint must be on the same origin
// as the stream: credentials are never sent anywhere else.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "mcpauth/core/sse_parser.hpp"
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
  void read_stream();
  void on_event(core::SseEvent&& event);
  void fail(const Error& error);

  TransportOptions options_;
  MessageHandler on_message_;
  ErrorHandler on_error_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string endpoint_;
  std::optional<Error> failure_;  // why the stream could not be used
  std::string protocol_version_;
  std::atomic<bool> closed_{false};

  std::thread reader_;
  net::CancelToken reader_cancel_;
};

}  // namespace mcpauth::mcp
