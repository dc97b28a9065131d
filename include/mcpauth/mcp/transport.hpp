// A Transport moves JSON-RPC messages between this client and one remote
// server. Two implementations: Streamable HTTP (2025-03-26 and later) and
// the legacy HTTP+SSE transport (2024-11-05). The Session drives them.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/net/async_http.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::mcp {

struct TransportOptions {
  std::string url;  // the server's MCP (or SSE) endpoint
  // Required. Credentials are this client's business (see
  // AuthorizingHttpClient): a transport adds none of its own.
  std::shared_ptr<net::HttpClient> http;
  // Optional: where long-lived streams run (the Streamable HTTP GET stream,
  // the legacy SSE stream) instead of on a thread of their own, e.g. a
  // net::CurlMultiLoop shared by many sessions, wrapped with the same
  // credentials as `http`. The transport's handlers then run on its loop
  // thread and must not block. Null: a thread per stream, over `http`.
  std::shared_ptr<net::AsyncHttpClient> async_http;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};  // one POST exchange, streamed answers included
  std::size_t max_message_bytes = 64u << 20;          // one JSON-RPC message or SSE event
  // How often a dropped event stream is re-opened before giving up.
  int max_stream_reconnects = 5;
};

class Transport {
 public:
  // Receives every message the server sends, on whichever thread read it.
  using MessageHandler = std::function<void(core::jsonrpc::Message&&)>;
  // Receives failures that happen outside send(): a stream that died for good.
  using ErrorHandler = std::function<void(const Error&)>;

  virtual ~Transport() = default;

  // Installs the handlers and does what the transport needs before the first
  // send() (the legacy transport opens its stream and waits for `endpoint`).
  virtual void start(MessageHandler on_message, ErrorHandler on_error) = 0;

  // Sends one message. Whatever the server sends back on the same HTTP
  // exchange reaches the MessageHandler before send() returns. Throws
  // mcpauth::Error. Safe to call from several threads at once.
  virtual void send(const core::jsonrpc::Message& message) = 0;

  // The session agreed on a protocol version; later requests carry it. A
  // legacy-era Streamable HTTP transport now opens its GET stream.
  virtual void on_initialized(const std::string& protocol_version) = 0;

  // Ends the session on the server (DELETE) and stops background streams.
  // Idempotent; send() fails with Error(cancelled) afterwards.
  virtual void close() = 0;

  // "streamable-http" or "sse".
  virtual std::string_view kind() const noexcept = 0;
};

}  // namespace mcpauth::mcp
