#include "mcpauth/mcp/session.hpp"

#include <future>

#include "mcpauth/mcp/authorizing_http_client.hpp"
#include "mcpauth/mcp/legacy_sse_transport.hpp"
#include "mcpauth/mcp/streamable_http_transport.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/version.hpp"
#include "session_renewal.hpp"

namespace mcpauth::mcp {
namespace {

using core::jsonrpc::ErrorResponse;
using core::jsonrpc::Message;
using core::jsonrpc::Notification;
using core::jsonrpc::Request;
using core::jsonrpc::Response;

constexpr const char* kMetaPrefix = "io.modelcontextprotocol/";

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string supported_list() {
  std::vector<std::string> versions(std::begin(kProtocolVersions), std::end(kProtocolVersions));
  return join(versions);
}

std::vector<std::string> string_list(const Json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const auto& v : value) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

struct Session::Pending {
  std::promise<Message> promise;
  std::atomic<bool> settled{false};

  void resolve(Message&& message) {
    if (!settled.exchange(true)) promise.set_value(std::move(message));
  }
  void reject(std::exception_ptr error) {
    if (!settled.exchange(true)) promise.set_exception(std::move(error));
  }
};

bool is_legacy_fallback_status(const Error& e) {
  return e.code() == ErrorCode::http_status &&
         (e.http_status() == 400 || e.http_status() == 404 || e.http_status() == 405);
}

TransportOptions transport_options(const SessionOptions& options) {
  TransportOptions t;
  t.url = options.url;
  t.http = with_credentials(options.http, options.authorizer);
  t.connect_timeout = options.connect_timeout;
  t.request_timeout = options.request_timeout;
  t.max_message_bytes = options.max_message_bytes;
  return t;
}

// Whether an error answering the initialize a remembered legacy server was
// sent means the server is not what it was (it moved to another revision or
// transport), rather than a failure to report: any JSON-RPC error, a version
// mcpauth cannot use over initialize, or a 4xx other than 401/403.
bool server_changed(const Error& e) {
  if (e.code() == ErrorCode::rpc_error || e.code() == ErrorCode::protocol) return true;
  return e.code() == ErrorCode::http_status && e.http_status() >= 400 && e.http_status() < 500 &&
         e.http_status() != 401 && e.http_status() != 403;
}

std::string_view to_string(TransportKind kind) noexcept {
  switch (kind) {
    case TransportKind::automatic: return "auto";
    case TransportKind::streamable_http: return "http";
    case TransportKind::sse: return "sse";
    case TransportKind::sse_first: return "sse-first";
  }
  return "auto";
}

TransportKind parse_transport_kind(std::string_view text) {
  if (text == "auto" || text == "http-first") return TransportKind::automatic;
  if (text == "http" || text == "streamable-http" || text == "streamableHttp" || text == "http-only") {
    return TransportKind::streamable_http;
  }
  if (text == "sse" || text == "sse-only") return TransportKind::sse;
  if (text == "sse-first") return TransportKind::sse_first;
  throw Error(ErrorCode::usage, "unknown transport \"" + std::string(text) +
                                    "\" (use auto, http or sse; or http-first, http-only, sse-first, sse-only)");
}

Session::Session(SessionOptions options)
    : options_(std::move(options)),
      renewal_(std::make_unique<detail::SessionRenewal>(
          [this] { return transport(); },
          [this](const std::shared_ptr<Transport>& failed) { return start_new_session(failed); })) {
  if (!options_.http) options_.http = std::make_shared<net::CurlHttpClient>();
  if (options_.client_info.version.empty()) options_.client_info.version = version();
  if (!is_supported_version(options_.protocol_version)) {
    throw Error(ErrorCode::usage, "unknown MCP protocol version \"" + options_.protocol_version +
                                      "\" (supported: " + supported_list() + ")");
  }
}

Session::~Session() {
  close();
}

std::unique_ptr<Session> Session::connect(SessionOptions options) {
  std::unique_ptr<Session> session(new Session(std::move(options)));
  const TransportKind kind = session->options_.transport;
  if (kind == TransportKind::sse) {
    session->open(TransportKind::sse);
    session->initialize(std::min(session->options_.protocol_version, std::string(kLatestLegacyVersion)));
    return session;
  }
  const ProtocolMemory& remembered = session->options_.remembered;
  if (kind == TransportKind::sse_first || (kind == TransportKind::automatic && remembered.transport == "sse")) {
    if (session->connect_legacy_first()) return session;
  }
  session->open(TransportKind::streamable_http);
  const bool known_legacy = kind != TransportKind::sse_first && is_supported_version(remembered.protocol_version) &&
                            !is_modern_version(remembered.protocol_version) && remembered.transport != "sse";
  if (known_legacy) {
    try {
      session->initialize(std::min(session->options_.protocol_version, std::string(kLatestLegacyVersion)));
      return session;
    } catch (const Error& e) {
      if (!server_changed(e)) throw;
      // Not what it was: start again the usual way, on a fresh transport.
      session->transport()->close();
      session->open(TransportKind::streamable_http);
    }
  }
  try {
    session->handshake();
  } catch (const Error& e) {
    if (kind != TransportKind::automatic || !is_legacy_fallback_status(e)) throw;
    // Not a Streamable HTTP endpoint: try the 2024-11-05 HTTP+SSE transport.
    session->transport()->close();
    session->open(TransportKind::sse);
    session->initialize(std::min(session->options_.protocol_version, std::string(kLatestLegacyVersion)));
  }
  return session;
}

void Session::open(TransportKind kind) {
  TransportOptions t = transport_options(options_);
  std::shared_ptr<Transport> fresh;
  if (kind == TransportKind::sse) {
    fresh = std::make_shared<LegacySseTransport>(std::move(t));
  } else {
    fresh = std::make_shared<StreamableHttpTransport>(std::move(t));
  }
  {
    std::lock_guard lock(transport_mutex_);
    transport_ = fresh;
  }
  const Transport* own = fresh.get();
  fresh->start([this](Message&& m) { on_message(std::move(m)); },
               [this, own](const Error& e) {
                 // A transport replaced by a new session fails nobody's requests.
                 if (transport().get() == own) on_transport_error(e);
               });
}

std::shared_ptr<Transport> Session::transport() const {
  std::lock_guard lock(transport_mutex_);
  return transport_;
}

std::string_view Session::transport_kind() const {
  return transport()->kind();
}

std::shared_ptr<Transport> Session::start_new_session(const std::shared_ptr<Transport>& failed) {
  failed->close();
  open(failed->kind() == "sse" ? TransportKind::sse : TransportKind::streamable_http);
  if (modern_version_.empty()) {
    initialize(server_.protocol_version);  // the version the server agreed to before
  } else if (!try_discover()) {
    throw Error(ErrorCode::protocol,
                "the server at " + options_.url + " forgot the session and no longer answers server/discover",
                options_.url);
  }
  return transport();
}

// Legacy HTTP+SSE first. False when the event stream is refused with
// 400/404/405 (most likely a Streamable HTTP server): the caller goes on.
bool Session::connect_legacy_first() {
  try {
    open(TransportKind::sse);
    initialize(std::min(options_.protocol_version, std::string(kLatestLegacyVersion)));
    return true;
  } catch (const Error& e) {
    if (!is_legacy_fallback_status(e)) throw;
    if (const auto refused = transport()) refused->close();
    return false;
  }
}

ProtocolMemory Session::protocol_memory() const {
  return ProtocolMemory{server_.protocol_version, std::string(transport_kind())};
}

void Session::handshake() {
  if (is_modern_version(options_.protocol_version) && try_discover()) return;
  initialize(std::min(options_.protocol_version, std::string(kLatestLegacyVersion)));
}

Json Session::with_modern_meta(Json params) const {
  if (!params.is_object()) params = Json::object();
  Json& meta = params["_meta"];
  if (!meta.is_object()) meta = Json::object();
  Json client_info = {{"name", options_.client_info.name}, {"version", options_.client_info.version}};
  if (options_.client_info.title) client_info["title"] = *options_.client_info.title;
  meta[std::string(kMetaPrefix) + "protocolVersion"] = modern_version_;
  meta[std::string(kMetaPrefix) + "clientInfo"] = std::move(client_info);
  meta[std::string(kMetaPrefix) + "clientCapabilities"] = options_.capabilities;
  return params;
}

bool Session::try_discover() {
  modern_version_ = options_.protocol_version;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      const Json result = send_request("server/discover", with_modern_meta(Json::object()));
      // Only a DiscoverResult naming a version we share proves a modern
      // server; some legacy servers answer unknown methods with an empty result.
      const auto offered = result.is_object() ? string_list(result.value("supportedVersions", Json::array()))
                                              : std::vector<std::string>{};
      const auto chosen = choose_version(offered);
      if (!chosen || !is_modern_version(*chosen)) break;
      if (*chosen != modern_version_) {
        modern_version_ = *chosen;
        continue;  // ask again in the version the server speaks
      }
      server_.protocol_version = modern_version_;
      if (const auto it = result.find("capabilities"); it != result.end() && it->is_object()) {
        server_.capabilities = *it;
      }
      // 2026-07-28 puts serverInfo in the result's _meta; accept it beside the result too.
      const Json* server_info = nullptr;
      if (const auto meta = result.find("_meta"); meta != result.end() && meta->is_object()) {
        if (const auto it = meta->find(std::string(kMetaPrefix) + "serverInfo"); it != meta->end()) server_info = &*it;
      }
      if (const auto it = result.find("serverInfo"); !server_info && it != result.end()) server_info = &*it;
      if (const auto it = server_info; it && it->is_object()) {
        server_.implementation.name = it->value("name", "");
        server_.implementation.version = it->value("version", "");
        if (it->contains("title") && (*it)["title"].is_string()) server_.implementation.title = (*it)["title"];
      }
      if (const auto it = result.find("instructions"); it != result.end() && it->is_string()) {
        server_.instructions = it->get<std::string>();
      }
      transport()->on_initialized(modern_version_);
      return true;
    } catch (const RpcError& e) {
      if (e.rpc_code() != kUnsupportedProtocolVersionError) break;  // a legacy server's answer
      const auto offered =
          e.data().is_object() ? string_list(e.data().value("supported", Json::array())) : std::vector<std::string>{};
      const auto chosen = choose_version(offered);
      if (!chosen) {
        throw Error(ErrorCode::protocol,
                    "the server at " + options_.url + " speaks MCP " + join(offered) +
                        ", none of which mcpauth supports (" + supported_list() + ")",
                    options_.url);
      }
      if (!is_modern_version(*chosen)) {
        modern_version_.clear();
        initialize(*chosen);
        return true;
      }
      modern_version_ = *chosen;
    } catch (const Error& e) {
      // A legacy server refuses the unknown request with a 4xx; anything
      // else (authorization, network) is the caller's problem.
      if (e.code() != ErrorCode::http_status || e.http_status() < 400 || e.http_status() >= 500) throw;
      break;
    }
  }
  modern_version_.clear();
  return false;
}

void Session::initialize(const std::string& version) {
  Json params = {{"protocolVersion", version},
                 {"capabilities", options_.capabilities},
                 {"clientInfo", {{"name", options_.client_info.name}, {"version", options_.client_info.version}}}};
  if (options_.client_info.title) params["clientInfo"]["title"] = *options_.client_info.title;
  const Json result = send_request("initialize", std::move(params));
  ServerInfo info = parse_initialize_result(result);
  if (!is_supported_version(info.protocol_version) || is_modern_version(info.protocol_version)) {
    throw Error(ErrorCode::protocol,
                "the server at " + options_.url + " wants MCP protocol " + info.protocol_version +
                    ", which mcpauth does not support over the initialize handshake (supported: " + supported_list() +
                    ")",
                options_.url);
  }
  server_ = std::move(info);
  const auto transport_now = transport();
  transport_now->on_initialized(server_.protocol_version);
  transport_now->send(Notification{"notifications/initialized", nullptr});
}

Json Session::request(const std::string& method, Json params) {
  if (!modern_version_.empty()) params = with_modern_meta(std::move(params));
  return send_request(method, std::move(params));
}

void Session::notify(const std::string& method, Json params) {
  transport()->send(Notification{method, std::move(params)});
}

Json Session::send_request(const std::string& method, Json params) {
  const long long id = next_id_++;
  const std::string key = Json(id).dump();
  const Request request{id, method, std::move(params)};
  auto forget = [&] {
    std::lock_guard lock(mutex_);
    pending_.erase(key);
  };
  std::future<Message> answer;
  // Sent again, in a new session, if the server forgot this one.
  renewal_->send(transport(), method, [&](const std::shared_ptr<Transport>& to) {
    auto pending = std::make_shared<Pending>();
    answer = pending->promise.get_future();
    {
      std::lock_guard lock(mutex_);
      pending_[key] = pending;
    }
    try {
      to->send(request);
    } catch (...) {
      forget();
      throw;
    }
  });
  if (answer.wait_for(options_.request_timeout) != std::future_status::ready) {
    forget();
    if (modern_version_.empty()) {
      try {
        notify("notifications/cancelled", {{"requestId", id}, {"reason", "timed out"}});
      } catch (const Error&) {
        // best effort
      }
    }
    throw Error(ErrorCode::timeout,
                "the server at " + options_.url + " did not answer " + method + " within " +
                    std::to_string(options_.request_timeout.count()) + " ms",
                options_.url);
  }
  Message message = answer.get();  // rethrows a transport failure
  if (auto* error = std::get_if<ErrorResponse>(&message)) {
    throw RpcError("the server at " + options_.url + " answered " + method + " with error " +
                       std::to_string(error->code) + ": " + error->message,
                   options_.url, error->code, error->data);
  }
  return std::move(std::get<Response>(message).result);
}

void Session::on_message(Message&& message) {
  if (core::jsonrpc::is_response(message)) {
    std::shared_ptr<Pending> pending;
    {
      std::lock_guard lock(mutex_);
      const auto it = pending_.find(core::jsonrpc::id_of(message).dump());
      if (it == pending_.end()) return;  // late or unknown: nobody waits for it
      pending = it->second;
      pending_.erase(it);
    }
    pending->resolve(std::move(message));
  } else if (auto* notification = std::get_if<Notification>(&message)) {
    if (options_.on_notification) options_.on_notification(notification->method, notification->params);
  } else if (auto* request = std::get_if<Request>(&message)) {
    on_server_request(*request);
  }
}

void Session::on_server_request(const Request& request) {
  Message reply;
  try {
    if (request.method == "ping") {
      reply = Response{request.id, Json::object()};
    } else if (options_.on_request) {
      reply = Response{request.id, options_.on_request(request.method, request.params)};
    } else {
      reply = ErrorResponse{request.id, core::jsonrpc::kMethodNotFound, "Method not found: " + request.method, nullptr};
    }
  } catch (const RpcError& e) {
    reply = ErrorResponse{request.id, e.rpc_code(), e.what(), e.data()};
  } catch (const std::exception& e) {
    reply = ErrorResponse{request.id, core::jsonrpc::kInternalError, e.what(), nullptr};
  }
  try {
    transport()->send(reply);
  } catch (const Error&) {
    // The server will time the request out; nothing else to do here.
  }
}

void Session::on_transport_error(const Error& error) {
  std::map<std::string, std::shared_ptr<Pending>> failed;
  {
    std::lock_guard lock(mutex_);
    failed.swap(pending_);
  }
  for (auto& [key, pending] : failed) pending->reject(std::make_exception_ptr(error));
}

std::vector<Tool> Session::list_tools() {
  std::vector<Tool> tools;
  std::string cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    Json params = Json::object();
    if (!cursor.empty()) params["cursor"] = cursor;
    const Json result = request("tools/list", std::move(params));
    const auto list = result.find("tools");
    if (list == result.end() || !list->is_array()) {
      throw Error(ErrorCode::protocol, "the tools/list result from " + options_.url + " has no \"tools\" array",
                  options_.url);
    }
    for (const auto& entry : *list) tools.push_back(parse_tool(entry));
    const auto next = result.find("nextCursor");
    if (next == result.end() || !next->is_string() || next->get<std::string>().empty()) return tools;
    if (next->get<std::string>() == cursor) {
      throw Error(ErrorCode::protocol, "the server at " + options_.url + " returned the same tools/list cursor twice",
                  options_.url);
    }
    cursor = next->get<std::string>();
  }
  throw Error(ErrorCode::protocol,
              "the server at " + options_.url + " returned more than " + std::to_string(kMaxPages) + " pages of tools",
              options_.url);
}

ToolCallResult Session::call_tool(const std::string& name, const Json& arguments) {
  Json params = {{"name", name}, {"arguments", arguments.is_null() ? Json::object() : arguments}};
  Json result = request("tools/call", std::move(params));
  if (!result.is_object()) {
    throw Error(ErrorCode::protocol, "the tools/call result from " + options_.url + " is not an object", options_.url);
  }
  return ToolCallResult{std::move(result)};
}

void Session::close() {
  if (const auto transport_now = transport()) transport_now->close();
  on_transport_error(Error(ErrorCode::cancelled, "the session with " + options_.url + " was closed", options_.url));
}

}  // namespace mcpauth::mcp
