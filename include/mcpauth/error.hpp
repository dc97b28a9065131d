// One error type for the whole library. Every failure that crosses a public
// function boundary is an mcpauth::Error: a code a program can branch on and a
// message written for the person who will read it (what happened, where, and
// what to try). Messages never contain tokens, codes, verifiers or secrets.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace mcpauth {

enum class ErrorCode {
  usage,               // the caller asked for something impossible (bad URL, bad option)
  connection,          // DNS, TCP, TLS or proxy failure: nothing usable came back
  timeout,             // the peer did not answer within the configured time
  response_too_large,  // the peer sent more than the configured bound
  http_status,         // an HTTP status the protocol does not allow here
  protocol,            // the peer answered, but not with valid MCP / JSON-RPC / SSE
  unauthorized,        // 401: the server wants credentials we do not have
  forbidden,           // 403: the credentials are not enough
  session_expired,     // the server no longer knows our Mcp-Session-Id (404)
  rpc_error,           // the server answered a request with a JSON-RPC error
  cancelled,           // the operation was cancelled by the caller or by close()
};

// Short stable name of a code ("connection", "timeout", ...), for logs and --json.
std::string_view to_string(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string url = {}, int http_status = 0)
      : std::runtime_error(message), code_(code), url_(std::move(url)), http_status_(http_status) {}

  ErrorCode code() const noexcept { return code_; }
  // The URL the failure is about, when there is one (already in the message too).
  const std::string& url() const noexcept { return url_; }
  // The HTTP status that caused the error, or 0.
  int http_status() const noexcept { return http_status_; }

 private:
  ErrorCode code_;
  std::string url_;
  int http_status_;
};

}  // namespace mcpauth
