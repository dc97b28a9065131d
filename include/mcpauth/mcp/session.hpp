// A client session with one remote MCP server: picks the transport, agrees
// on a protocol version, and offers requests, tools and notifications.
//
//   auto session = mcpauth::mcp::Session::connect({.url = "https://example.com/mcp"});
//   for (const auto& tool : session->list_tools()) std::cout << tool.name << "\n";
//   auto result = session->call_tool("echo", {{"text", "hi"}});
//
// Era detection: a server of the 2026-07-28 ("modern") revision is found by a
// server/discover request; any other server gets the initialize handshake of
// the newest revision it accepts. In `automatic` mode a Streamable HTTP POST
// answered 400, 404 or 405 (never 401 or 403) falls back to the legacy
// HTTP+SSE transport. These decisions are the mcp engine's (the negotiator
// and transport factory that mcp::Bridge shares); Session drives them with
// its own initialize or server/discover.
//
// Threading: requests may be sent from several threads at once; each waits
// on its own thread for its answer. on_notification and on_request run on
// the thread that read the message: the GET event stream's (or the legacy
// SSE reader's) thread, or the thread of the request whose streamed answer
// carried it; they must not block for long, nor call close(). close() (and
// the destructor) cancels transfers in flight and joins those threads. The
// locks and threads are the implementation's; none is part of this header.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/mcp/request_authorizer.hpp"
#include "mcpauth/mcp/transport.hpp"

namespace mcpauth::mcp {

enum class TransportKind {
  automatic,        // Streamable HTTP, then legacy SSE on 400/404/405
  streamable_http,  // Streamable HTTP only
  sse,              // legacy HTTP+SSE only
  sse_first,        // legacy HTTP+SSE, then Streamable HTTP when the stream is refused with 400/404/405
};

// The one spelling of a TransportKind (--transport, the config file, the
// dashboard): "auto", "http", "sse", "sse-first".
std::string_view to_string(TransportKind kind) noexcept;

// Parses to_string's names, "streamable-http" (and the hosts' config spelling
// "streamableHttp") for "http", and mcp-remote's names: "http-first",
// "http-only", "sse-only", "sse-first". Throws Error(usage).
TransportKind parse_transport_kind(std::string_view text);

// What a server spoke last time, so that a reconnect skips what that
// answered (Session::protocol_memory(); the CLI keeps it with the server's
// discovery record). Strings, so a store can keep them as they are.
struct ProtocolMemory {
  std::string protocol_version;  // the version agreed; "" unknown
  std::string transport;         // "streamable-http" or "sse"; "" unknown

  bool operator==(const ProtocolMemory&) const = default;
};

struct SessionOptions {
  std::string url;
  TransportKind transport = TransportKind::automatic;
  std::shared_ptr<net::HttpClient> http;          // null: a CurlHttpClient from the environment
  std::shared_ptr<RequestAuthorizer> authorizer;  // null: no credentials
  // A Bridge's server event streams run here (e.g. one net::CurlMultiLoop
  // for many bridges) instead of on a thread each; its handlers only queue,
  // so they may run on the loop thread. A Session ignores it: it answers
  // server requests on the thread that read them.
  std::shared_ptr<net::AsyncHttpClient> event_loop;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};
  std::size_t max_message_bytes = 64u << 20;
  Implementation client_info{"mcpauth", "", std::nullopt};  // empty version: the library version
  Json capabilities = Json::object();
  // The newest revision to offer; older ones are negotiated down to.
  std::string protocol_version{kLatestVersion};
  // In `automatic` mode: a server remembered as legacy HTTP+SSE is opened
  // with that transport first, and a server remembered as speaking the
  // initialize handshake gets it without the server/discover probe first
  // (the probe is an extra round trip most servers answer with 400). A
  // server that changed since is found the usual way.
  ProtocolMemory remembered;

  // Server notifications (progress, log messages, list_changed, ...).
  std::function<void(const std::string& method, const Json& params)> on_notification;
  // Server requests other than ping; return the result or throw
  // mcpauth::Error(rpc_error). Unset: answered with "method not found".
  // A 2026-07-28 server sends none; it asks in an input-required result
  // instead (SEP-2322), whose elicitation/create, sampling/createMessage and
  // roots/list requests come here too, on the thread of the request that
  // got that result (see Session::request); there an answer may take as long
  // as a user needs (request_timeout counts from each round's sending).
  std::function<Json(const std::string& method, const Json& params)> on_request;
};

// The options a session's transports are opened with (Session's and Bridge's alike).
TransportOptions transport_options(const SessionOptions& options);

// Whether an error answering the first POST means "not a Streamable HTTP
// endpoint" (400, 404, 405): the cue to try the legacy HTTP+SSE transport.
bool is_legacy_fallback_status(const Error& e);

struct ToolCallResult {
  Json result;  // the whole result: content, structuredContent, isError, ...
  bool is_error() const { return result.value("isError", false); }
};

// Thrown for a JSON-RPC error answer; keeps the code and data for callers.
class RpcError : public Error {
 public:
  RpcError(const std::string& message, std::string url, int rpc_code, Json data)
      : Error(ErrorCode::rpc_error, message, std::move(url)), rpc_code_(rpc_code), data_(std::move(data)) {}
  int rpc_code() const noexcept { return rpc_code_; }
  const Json& data() const noexcept { return data_; }

 private:
  int rpc_code_;
  Json data_;
};

class Session {
 public:
  // Connects and completes the handshake. Throws mcpauth::Error.
  static std::unique_ptr<Session> connect(SessionOptions options);

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const ServerInfo& server() const noexcept;
  std::string_view transport_kind() const;
  // What to remember for the next connection (SessionOptions::remembered).
  ProtocolMemory protocol_memory() const;
  bool modern() const noexcept;

  // All tools, following nextCursor across pages (bounded, see kMaxPages).
  std::vector<Tool> list_tools();
  ToolCallResult call_tool(const std::string& name, const Json& arguments);

  // Any request; returns its result or throws (RpcError for JSON-RPC errors).
  // When the server forgot the session (404), a new one is started and the
  // request sent again, as the specification asks of a client.
  // A 2026-07-28 server may answer tools/call, prompts/get or resources/read
  // with a result that asks for input (resultType "input_required"): its
  // requests are answered through on_request and the request sent again with
  // a new id, the answers and the server's requestState, until the result is
  // complete, at most kMaxInputRounds times (then Error(protocol)). A refusal
  // of on_request (or none set) fails the call with that RpcError.
  Json request(const std::string& method, Json params = Json::object());
  void notify(const std::string& method, Json params = Json::object());

  // Ends the session (DELETE for Streamable HTTP sessions). Idempotent.
  void close();

  static constexpr int kMaxPages = 1000;
  static constexpr int kMaxInputRounds = 8;

 private:
  class Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpauth::mcp
