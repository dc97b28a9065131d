// JSON-RPC 2.0 messages as MCP uses them: requests, notifications, results,
// errors, and batches (which servers of the 2025-03-26 revision may send).
// Parsing is sans-I/O and bounded: text larger than the limit or nested
// deeper than the limit is rejected before it can exhaust memory or stack.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpauth::core::jsonrpc {

using Json = nlohmann::json;

// JSON-RPC ids are strings or integers; kept as JSON so they round-trip exactly.
using Id = Json;

struct Request {
  Id id;
  std::string method;
  Json params;  // object, array, or null when absent
};

struct Notification {
  std::string method;
  Json params;
};

struct Response {
  Id id;
  Json result;
};

struct ErrorResponse {
  Id id;  // null when the server could not tell which request failed
  int code = 0;
  std::string message;
  Json data;  // null when absent
};

using Message = std::variant<Request, Notification, Response, ErrorResponse>;

// Standard error codes (JSON-RPC 2.0 §5.1).
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;

struct ParseLimits {
  std::size_t max_bytes = 64u << 20;
  std::size_t max_depth = 128;
};

// Parses one message or a batch (a non-empty array of messages).
// Throws mcpauth::Error(protocol) with a message that says what is wrong, or
// Error(response_too_large) when the text exceeds the limit.
std::vector<Message> parse(std::string_view text, const ParseLimits& limits = {});

// Classifies an already parsed JSON value as one message (not a batch).
Message from_json(const Json& value);

Json to_json(const Message& message);
std::string serialize(const Message& message);

// The id of a Response or ErrorResponse, or of a Request; null for a Notification.
const Id& id_of(const Message& message);
bool is_response(const Message& message) noexcept;  // Response or ErrorResponse

}  // namespace mcpauth::core::jsonrpc
