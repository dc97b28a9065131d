// Stateless 2026-07-28 local clients of Gateway::Impl: a POST without
// Mcp-Session-Id whose message names a modern revision in its _meta. Its
// mirrored headers are checked against the body (2026-07-28 Streamable HTTP,
// "Server Validation"), then it goes to the remote server through the
// server's stateless route. docs/gateway.md, "Stateless 2026-07-28 clients".
#include "gateway_impl.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/mcp/protocol.hpp"

namespace mcpauth::gateway {

namespace {

constexpr const char* kMetaVersionKey = "io.modelcontextprotocol/protocolVersion";
// 2026-07-28 HeaderMismatch: a mirrored header missing or not what the body
// says, always with HTTP 400.
constexpr int kHeaderMismatch = -32020;
// 2026-07-28 MissingRequiredClientCapability, also always with HTTP 400.
constexpr int kMissingRequiredClientCapability = -32021;

// The HTTP status of a remote answer passed on: 200, except for the errors
// the revision sends with 400 whoever answers (the Bridge hides the remote
// status; these codes carry it).
int status_of(const rpc::Message& answer) {
  const auto* error = std::get_if<rpc::ErrorResponse>(&answer);
  const bool with_400 = error && (error->code == mcp::kUnsupportedProtocolVersionError ||
                                  error->code == kHeaderMismatch || error->code == kMissingRequiredClientCapability);
  return with_400 ? 400 : 200;
}

const Json* params_of(const rpc::Message& message) {
  if (const auto* request = std::get_if<rpc::Request>(&message)) return &request->params;
  if (const auto* notification = std::get_if<rpc::Notification>(&message)) return &notification->params;
  return nullptr;
}

std::string method_of(const rpc::Message& message) {
  if (const auto* request = std::get_if<rpc::Request>(&message)) return request->method;
  if (const auto* notification = std::get_if<rpc::Notification>(&message)) return notification->method;
  return {};
}

// The revision a message names in params._meta (its per-request envelope).
std::optional<std::string> claimed_version(const rpc::Message& message) {
  const Json* params = params_of(message);
  if (!params || !params->is_object()) return std::nullopt;
  const auto meta = params->find("_meta");
  if (meta == params->end() || !meta->is_object()) return std::nullopt;
  const auto version = meta->find(kMetaVersionKey);
  if (version == meta->end() || !version->is_string()) return std::nullopt;
  return version->get<std::string>();
}

// A header carries a body value as it is or, where the revision allows it
// (Mcp-Name), in the Base64 sentinel form ("=?base64?...?="; 2026-07-28
// "Value Encoding"). Compared encoded, which is the same as decoding for the
// canonical (padded, standard) Base64 that the encoding prescribes.
bool carries(const std::string& header, const std::string& value, bool encodable) {
  return header == value || (encodable && header == "=?base64?" + core::oauth::base64(value) + "?=");
}

// What Mcp-Name mirrors: params.name, else params.uri (as clients mirror it).
std::optional<std::string> name_of(const Json& params) {
  if (!params.is_object()) return std::nullopt;
  for (const char* key : {"name", "uri"}) {
    if (const auto it = params.find(key); it != params.end() && it->is_string()) return it->get<std::string>();
  }
  return std::nullopt;
}

// The 2026-07-28 rule: MCP-Protocol-Version and Mcp-Method on every request,
// Mcp-Name on tools/call, resources/read and prompts/get, each equal to what
// the body says. The revision leaves a notification's headers undefined: there
// only the headers it has are checked. Why it fails, or nullopt.
std::optional<std::string> header_mismatch(const http::Request& req, const rpc::Message& message,
                                           const std::string& version) {
  const bool request = std::holds_alternative<rpc::Request>(message);
  const std::string method = method_of(message);
  const auto check = [&](const char* header, const std::optional<std::string>& body_value, bool required,
                         const char* body_field, bool encodable = false) -> std::optional<std::string> {
    if (!req.has_header(header)) {
      if (!required) return std::nullopt;
      return std::string("Header mismatch: the ") + header + " header is required (the body's " + body_field + " is " +
             (body_value ? "'" + *body_value + "'" : std::string("absent")) + ")";
    }
    const std::string value = req.get_header_value(header);
    if (body_value && carries(value, *body_value, encodable)) return std::nullopt;
    return std::string("Header mismatch: ") + header + " header value '" + value + "' does not match the body's " +
           body_field + " " + (body_value ? "'" + *body_value + "'" : std::string("(absent)"));
  };
  if (auto why = check("MCP-Protocol-Version", version, request, "_meta protocol version")) return why;
  if (auto why = check("Mcp-Method", method, request, "method")) return why;
  const bool names = method == "tools/call" || method == "resources/read" || method == "prompts/get";
  return check("Mcp-Name", name_of(*params_of(message)), request && names, "params.name or params.uri", true);
}

}  // namespace

void StatelessRoute::deliver(rpc::Message&& message) {
  if (!rpc::is_response(message)) return;
  std::lock_guard lock(mutex);
  const auto it = waiting.find(rpc::id_of(message).dump());
  if (it == waiting.end() || it->second) return;
  it->second = std::move(message);
  cv.notify_all();
}

void StatelessRoute::mark_closed() {
  {
    std::lock_guard lock(mutex);
    closed = true;
  }
  cv.notify_all();
}

mcp::BridgeOptions Gateway::Impl::bridge_options(const std::shared_ptr<Upstream>& up) {
  mcp::BridgeOptions bo;
  bo.session = session_options(*up);
  bo.allowed_tools = up->raw.allowed_tools;  // the entry's allowedTools / ignoredTools
  bo.ignored_tools = up->raw.ignored_tools;
  const std::string name = up->name;
  bo.log = [this, name](const std::string& line) { log(name + ": " + line); };
  bo.error_answer = [this, up](const Error& e, rpc::ErrorResponse& answer) { explain(*up, e, answer); };
  return bo;
}

// One route per server, made on first use. A server replaced in the
// configuration (same name, new Upstream) gets a new one.
std::shared_ptr<StatelessRoute> Gateway::Impl::stateless_route(const std::shared_ptr<Upstream>& up) {
  std::shared_ptr<StatelessRoute> replaced;
  std::shared_ptr<StatelessRoute> route;
  {
    std::lock_guard lock(stateless_mutex_);
    auto& slot = stateless_[{up->name, up->account}];  // a local user's own route
    if (slot && slot->upstream != up) replaced = std::move(slot);
    if (!slot) {
      auto fresh = std::make_shared<StatelessRoute>(up);
      mcp::BridgeOptions bo = bridge_options(up);
      // A modern request goes as it is over Streamable HTTP, the only
      // transport of the revision: no fallback to legacy SSE on a 4xx.
      bo.session.transport = mcp::TransportKind::streamable_http;
      StatelessRoute* raw = fresh.get();
      fresh->bridge = std::make_unique<mcp::Bridge>(
          std::move(bo), [raw](rpc::Message&& message) { raw->deliver(std::move(message)); });
      slot = std::move(fresh);
    }
    route = slot;
  }
  if (replaced) {
    replaced->mark_closed();
    replaced->bridge->close();
  }
  return route;
}

bool Gateway::Impl::serve_stateless(const std::shared_ptr<Upstream>& up, const http::Request& req,
                                    const rpc::Message& message, http::Response& res) {
  const auto* request = std::get_if<rpc::Request>(&message);
  const rpc::Id id = request ? request->id : rpc::Id(nullptr);
  const auto version = claimed_version(message);
  const std::string header_version = req.get_header_value("MCP-Protocol-Version");
  if (!version || !mcp::is_modern_version(*version)) {
    if (!version && mcp::is_modern_version(header_version) && params_of(message)) {
      // The header names a revision whose requests carry their envelope; this body has none.
      rpc_error(res, 400, rpc::kInvalidParams,
                "a " + header_version + " message carries params._meta[\"" + kMetaVersionKey +
                    "\"] (and the client's capabilities): this one does not",
                id);
      return true;
    }
    return false;  // a handshake-era message without a session
  }
  if (auto why = header_mismatch(req, message, *version)) {
    rpc_error(res, 400, kHeaderMismatch, *why, id);
    return true;
  }
  if (up->resolved && mcp::parse_transport_kind(up->resolved->transport) == mcp::TransportKind::sse) {
    rpc_error(res, 200, mcp::kBridgeErrorCode,
              "mcpauth: the server " + up->name + " is configured for the legacy HTTP+SSE transport, which has no " +
                  *version + " requests: send initialize first",
              id);
    return true;
  }
  auto route = stateless_route(up);
  if (!request) {
    route->bridge->forward(message);  // a notification: the revision defines none over HTTP, but passes it on
    res.status = 202;
    return true;
  }
  // Under the gateway's own id: local clients' ids may collide on the shared route.
  rpc::Request outgoing = *request;
  std::string key;
  {
    std::lock_guard lock(route->mutex);
    outgoing.id = "mcpauth-gateway-" + std::to_string(++route->next_id);
    key = outgoing.id.dump();
    route->waiting[key] = std::nullopt;
  }
  route->bridge->forward(outgoing);
  std::optional<rpc::Message> answer;
  {
    std::unique_lock lock(route->mutex);
    route->cv.wait_for(lock, answer_wait(), [&] { return route->waiting[key].has_value() || route->closed; });
    answer = std::move(route->waiting[key]);
    route->waiting.erase(key);
  }
  if (!answer) {
    rpc_error(res, 200, mcp::kBridgeErrorCode, "mcpauth: no answer from the server in time", id);
    return true;
  }
  if (auto* result = std::get_if<rpc::Response>(&*answer)) result->id = id;
  if (auto* error = std::get_if<rpc::ErrorResponse>(&*answer)) error->id = id;
  res.status = status_of(*answer);
  res.set_content(rpc::serialize(*answer), "application/json");
  return true;
}

void Gateway::Impl::end_stateless() {
  std::lock_guard lock(stateless_mutex_);
  for (auto& [name, route] : stateless_) route->mark_closed();
}

void Gateway::Impl::close_stateless() {
  decltype(stateless_) routes;
  {
    std::lock_guard lock(stateless_mutex_);
    routes.swap(stateless_);
  }
  for (auto& [name, route] : routes) route->bridge->close();
}

}  // namespace mcpauth::gateway
