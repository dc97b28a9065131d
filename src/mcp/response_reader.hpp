// Reads one HTTP response that carries JSON-RPC, in either shape MCP
// allows: a single JSON body (buffered, bounded) or an SSE stream (parsed
// as it arrives, one message per event). Internal to the transports.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/core/sse_parser.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::mcp::detail {

enum class BodyKind { none, json, event_stream, other };

class ResponseReader final : public net::HttpStreamHandler {
 public:
  using MessageCallback = std::function<void(core::jsonrpc::Message&&)>;
  // Non-message SSE events (the legacy `endpoint` event) go here when set.
  using EventCallback = std::function<void(core::SseEvent&&)>;

  ResponseReader(std::string url, std::size_t max_message_bytes, MessageCallback on_message,
                 EventCallback on_other_event = nullptr);

  // Stop reading once a response with this id has been delivered.
  void stop_after_response(core::jsonrpc::Id id) { awaited_ = std::move(id); }
  // Called once the status and headers are in, before any body.
  void on_start(std::function<void()> callback) { on_start_ = std::move(callback); }

  bool on_response_start(int status, const net::HttpHeaders& headers) override;
  bool on_body(std::string_view chunk) override;

  // Call after the transfer ends: parses a buffered JSON body. Throws Error(protocol).
  void finish();

  int status() const noexcept { return status_; }
  bool ok() const noexcept { return status_ >= 200 && status_ < 300; }
  const net::HttpHeaders& headers() const noexcept { return headers_; }
  BodyKind body_kind() const noexcept { return kind_; }
  std::string content_type() const;
  // The start of a non-2xx body, for error messages and JSON-RPC error bodies.
  const std::string& error_body() const noexcept { return buffered_; }
  bool answered() const noexcept { return answered_; }
  bool cut_mid_event() const noexcept { return kind_ == BodyKind::event_stream && sse_.has_partial_event(); }
  const std::string& last_event_id() const noexcept { return sse_.last_event_id(); }
  std::optional<std::chrono::milliseconds> retry() const noexcept { return sse_.retry(); }
  std::size_t events_seen() const noexcept { return events_; }

 private:
  void deliver(std::string_view json_text);

  std::string url_;
  std::size_t max_bytes_;
  MessageCallback on_message_;
  EventCallback on_other_event_;
  std::optional<core::jsonrpc::Id> awaited_;
  std::function<void()> on_start_;
  bool answered_ = false;
  int status_ = 0;
  net::HttpHeaders headers_;
  BodyKind kind_ = BodyKind::none;
  std::string buffered_;
  core::SseParser sse_;
  std::size_t events_ = 0;
};

// The media type of a Content-Type value, lower case, without parameters.
using core::media_type;

// The start of a body or header value for a message (core::excerpt, 300 bytes).
std::string excerpt(std::string_view text);

// Whether a response is a web page (text/html, or a body that starts like
// one): a web site at that URL rather than an MCP endpoint.
bool is_web_page(const net::HttpHeaders& headers, const std::string& body);

// What to say about a web page where an MCP endpoint was expected.
inline constexpr const char* kWebPageHint =
    "an HTML page, not an MCP endpoint; MCP servers usually answer at a path such as /mcp (Streamable HTTP) or /sse "
    "(HTTP+SSE)";

// The error for an HTTP status a transport cannot use: 401/403 (with the
// challenge or body excerpt), 404 on a known session (session_expired), or
// any other status (http_status; a web page is named, not quoted). Both
// transports report statuses alike.
Error status_error(const std::string& method, const std::string& url, int status, const net::HttpHeaders& headers,
                   const std::string& body, bool sent_session);

}  // namespace mcpauth::mcp::detail
