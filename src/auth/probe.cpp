#include "mcpauth/auth/probe.hpp"

#include <algorithm>
#include <cctype>

#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/core/json.hpp"
#include "mcpauth/core/oauth/device.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/core/oauth/www_authenticate.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/version.hpp"

namespace mcpauth::auth {
namespace {

using Json = nlohmann::json;

constexpr std::chrono::milliseconds kMaxConnectTimeout{10'000};
constexpr std::chrono::milliseconds kMaxDeleteTimeout{5'000};
// Enough of a refusal's body to explain it (or to find a JSON-RPC error); the rest is not read.
constexpr std::size_t kMaxBodyBytes = 16 * 1024;
// Enough of a peer's text to quote in a message.
constexpr std::size_t kExcerptBytes = 200;

// The status, headers and the start of the body of one response. A 2xx ends
// the transfer at once: an open SSE stream is closed before any event is read.
class HeadReader final : public net::HttpStreamHandler {
 public:
  bool on_response_start(int status, const net::HttpHeaders& headers) override {
    status_ = status;
    headers_ = headers;
    return status < 200 || status >= 300;
  }
  bool on_body(std::string_view chunk) override {
    body_.append(chunk.substr(0, kMaxBodyBytes - body_.size()));
    return body_.size() < kMaxBodyBytes;
  }

  int status() const noexcept { return status_; }
  const net::HttpHeaders& headers() const noexcept { return headers_; }
  const std::string& body() const noexcept { return body_; }

 private:
  int status_ = 0;
  net::HttpHeaders headers_;
  std::string body_;
};

bool is_2xx(int status) {
  return status >= 200 && status < 300;
}

std::string media_type(const net::HttpHeaders& headers) {
  return core::media_type(headers.get("Content-Type").value_or(""));
}

std::string excerpt(std::string_view text) {
  return core::excerpt(text, kExcerptBytes);
}

net::HttpRequest base_request(const ProbeOptions& options, std::string method) {
  net::HttpRequest request;
  request.method = std::move(method);
  request.url = options.server_url;
  request.connect_timeout = std::min(options.timeout, kMaxConnectTimeout);
  request.total_timeout = options.timeout;
  request.max_response_bytes = kMaxBodyBytes;
  request.follow_redirects = false;
  return request;
}

HeadReader exchange(const ProbeOptions& options, const net::HttpRequest& request) {
  HeadReader reader;
  options.http->stream(request, reader);
  return reader;
}

[[noreturn]] void throw_status(const std::string& method, const std::string& url, const HeadReader& reader,
                               const std::string& hint) {
  std::string message = method + " " + url + " answered HTTP " + std::to_string(reader.status());
  if (reader.status() >= 300 && reader.status() < 400) {
    if (const auto location = reader.headers().get("Location")) {
      message += " (a redirect to " + excerpt(*location) + "; mcpauth follows no redirects to an MCP endpoint)";
    }
  } else if (!reader.body().empty()) {
    message += ": " + excerpt(reader.body());
  }
  throw Error(ErrorCode::http_status, message + hint, url, reader.status());
}

// A 2026-07-28-only server refuses the 2025 initialize with 400 and a
// JSON-RPC UnsupportedProtocolVersion error: it read the request, so it needs no credentials.
bool is_unsupported_version_error(const HeadReader& reader) {
  if (reader.status() != 400 || media_type(reader.headers()) != "application/json") return false;
  const Json body = core::parse_json_or_discarded(reader.body(), core::JsonLimits{kMaxBodyBytes});
  if (!body.is_object() || body.value("jsonrpc", "") != "2.0") return false;
  const auto error = body.find("error");
  if (error == body.end() || !error->is_object()) return false;
  const auto code = error->find("code");
  return code != error->end() && code->is_number_integer() && code->get<int>() == mcp::kUnsupportedProtocolVersionError;
}

// Best effort: ends the session the initialize POST may have opened, so the probe leaves nothing behind.
void delete_session(const ProbeOptions& options, const std::string& session_id) {
  net::HttpRequest request = base_request(options, "DELETE");
  request.total_timeout = std::min(options.timeout, kMaxDeleteTimeout);
  request.headers.set("Mcp-Session-Id", session_id);
  request.headers.set("MCP-Protocol-Version", std::string(mcp::kLatestLegacyVersion));
  try {
    options.http->send(request);
  } catch (const Error&) {
    // The server drops it on its own eventually; nothing of ours depends on it.
  }
}

ProbeResult answered(std::string transport, int status) {
  ProbeResult result;
  result.needs = ProbeResult::Needs::nothing;
  result.transport = std::move(transport);
  result.status = status;
  return result;
}

ProbeResult forbidden(const HeadReader& reader, std::optional<std::string> transport) {
  ProbeResult result;
  result.needs = ProbeResult::Needs::forbidden;
  result.transport = std::move(transport);
  result.status = reader.status();
  std::string reason = "HTTP 403 Forbidden without any credentials";
  const auto challenge =
      core::oauth::summarize(core::oauth::parse_www_authenticate(reader.headers().get_all("WWW-Authenticate")));
  if (challenge.error) reason += " (error=" + excerpt(*challenge.error) + ")";
  if (!reader.body().empty()) reason += ": " + excerpt(reader.body());
  result.reason = reason;
  return result;
}

ProbeResult static_token(int status, std::optional<std::string> transport, std::string reason,
                         std::optional<ErrorCode> metadata_error = std::nullopt) {
  ProbeResult result;
  result.metadata_error = metadata_error;
  result.needs = ProbeResult::Needs::static_token;
  result.transport = std::move(transport);
  result.status = status;
  result.reason = std::move(reason);
  return result;
}

// A 401: OAuth when discovery finds usable, published metadata; a static token otherwise.
ProbeResult unauthorized(const ProbeOptions& options, const HeadReader& reader, std::optional<std::string> transport) {
  const auto challenge =
      core::oauth::summarize(core::oauth::parse_www_authenticate(reader.headers().get_all("WWW-Authenticate")));
  DiscoveryOptions discovery_options;
  discovery_options.server_url = options.server_url;
  discovery_options.http = options.http;
  discovery_options.http_timeout = options.timeout;
  Discovery d;
  try {
    d = discover(discovery_options, challenge);
  } catch (const Error& e) {
    switch (e.code()) {
      case ErrorCode::invalid_metadata:
      case ErrorCode::resource_mismatch:
      case ErrorCode::issuer_mismatch:
      case ErrorCode::insecure_url:
        return static_token(reader.status(), std::move(transport),
                            std::string("the server answered HTTP 401, but its OAuth metadata is unusable (") +
                                std::string(to_string(e.code())) + "): " + e.what(),
                            e.code());
      default: throw;
    }
  }

  if (d.as.from_defaults) {
    // Nothing published: mcpauth login would only guess the 2025-03-26
    // endpoints, and a guessed /register is no evidence (the probe must not try it).
    const std::string origin = core::origin_of(core::parse_url(options.server_url));
    std::vector<std::string> tried = core::oauth::protected_resource_metadata_urls(options.server_url);
    for (auto& url : core::oauth::authorization_server_metadata_urls(origin)) tried.push_back(std::move(url));
    std::string paths;
    for (const auto& url : tried) {
      paths += (paths.empty() ? "" : ", ") + (url.rfind(origin, 0) == 0 ? url.substr(origin.size()) : url);
    }
    std::string reason = "the server answered HTTP 401 " +
                         std::string(challenge.bearer ? "with a Bearer challenge" : "without a Bearer challenge") +
                         " and publishes no OAuth metadata (nothing at " + paths + " on " + origin + ")";
    if (challenge.bearer) {
      reason +=
          "; an OAuth login would only guess the 2025-03-26 default endpoints /authorize, /token and /register "
          "there, which nothing advertises";
    }
    return static_token(reader.status(), std::move(transport), reason);
  }

  ProbeResult result;
  result.needs = ProbeResult::Needs::oauth;
  result.transport = std::move(transport);
  result.status = reader.status();
  result.issuer = d.as.issuer;
  result.resource = d.resource;
  if (challenge.scope && !challenge.scope->empty()) {
    result.scope = *challenge.scope;
  } else if (d.prm && d.prm->scopes_supported && !d.prm->scopes_supported->empty()) {
    std::string scope;
    for (const auto& item : *d.prm->scopes_supported) scope += (scope.empty() ? "" : " ") + item;
    result.scope = scope;
  }
  if (d.as.registration_endpoint && !d.as.registration_endpoint->empty()) {
    result.registration = ProbeResult::Registration::dynamic;
  } else if (d.as.client_id_metadata_document_supported) {
    result.registration = ProbeResult::Registration::metadata_document;
  } else {
    result.registration = ProbeResult::Registration::client_id_required;
  }
  result.device_grant = core::oauth::supports_device_grant(d.as);
  try {
    core::oauth::require_pkce_s256(d.as);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::pkce_unsupported) throw;
    result.pkce_s256 = false;
    result.reason = e.what();
  }
  return result;
}

}  // namespace

ProbeResult probe(const ProbeOptions& options) {
  if (!options.http) throw Error(ErrorCode::usage, "probe needs an HTTP client");
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    throw Error(ErrorCode::usage, "the probe timeout must be positive");
  }
  core::parse_url(options.server_url);  // Error(usage) for anything but an absolute http(s) URL

  // 1. Streamable HTTP: an initialize request, as a first connection sends it.
  net::HttpRequest post = base_request(options, "POST");
  post.headers.set("Content-Type", "application/json");
  post.headers.set("Accept", "application/json, text/event-stream");
  post.headers.set("MCP-Protocol-Version", std::string(mcp::kLatestLegacyVersion));
  post.body = Json{{"jsonrpc", "2.0"},
                   {"id", 1},
                   {"method", "initialize"},
                   {"params", mcp::initialize_params(mcp::kLatestLegacyVersion, Json::object(),
                                                     mcp::Implementation{"mcpauth", version(), std::nullopt})}}
                  .dump();
  const HeadReader first = exchange(options, post);
  const std::string post_where = "POST " + options.server_url;
  if (is_2xx(first.status())) {
    const std::string type = media_type(first.headers());
    if (type != "application/json" && type != "text/event-stream") {
      throw Error(ErrorCode::protocol,
                  post_where + " answered HTTP " + std::to_string(first.status()) + " with " +
                      (type.empty() ? std::string("no Content-Type") : "Content-Type " + type) +
                      ", not as an MCP server does; is this the URL of its MCP endpoint?",
                  options.server_url);
    }
    if (const auto session = first.headers().get("Mcp-Session-Id"); session && !session->empty()) {
      delete_session(options, *session);
    }
    return answered("streamable-http", first.status());
  }
  if (first.status() == 401) return unauthorized(options, first, std::nullopt);
  if (first.status() == 403) return forbidden(first, std::nullopt);
  if (is_unsupported_version_error(first)) return answered("streamable-http", first.status());
  if (first.status() != 400 && first.status() != 404 && first.status() != 405)
    throw_status("POST", options.server_url, first, "");

  // 2. Not a Streamable HTTP endpoint: the legacy HTTP+SSE transport's GET.
  net::HttpRequest get = base_request(options, "GET");
  get.headers.set("Accept", "text/event-stream");
  const HeadReader second = exchange(options, get);
  if (is_2xx(second.status())) {
    const std::string type = media_type(second.headers());
    if (type != "text/event-stream") {
      throw Error(ErrorCode::protocol,
                  post_where + " answered HTTP " + std::to_string(first.status()) + " and GET answered HTTP " +
                      std::to_string(second.status()) + " with " +
                      (type.empty() ? std::string("no Content-Type") : "Content-Type " + type) +
                      " instead of an event stream; is this the URL of an MCP server?",
                  options.server_url);
    }
    return answered("sse", second.status());
  }
  if (second.status() == 401) return unauthorized(options, second, "sse");
  if (second.status() == 403) return forbidden(second, "sse");
  throw_status("GET", options.server_url, second,
               " (and the POST answered HTTP " + std::to_string(first.status()) +
                   "); is this the URL of an MCP server's endpoint (Streamable HTTP) or SSE stream?");
}

std::string_view to_string(ProbeResult::Needs needs) noexcept {
  switch (needs) {
    case ProbeResult::Needs::nothing: return "none";
    case ProbeResult::Needs::static_token: return "static_token";
    case ProbeResult::Needs::oauth: return "oauth";
    case ProbeResult::Needs::forbidden: return "forbidden";
  }
  return "none";
}

std::string_view to_string(ProbeResult::Registration registration) noexcept {
  switch (registration) {
    case ProbeResult::Registration::dynamic: return "dynamic";
    case ProbeResult::Registration::metadata_document: return "metadata_document";
    case ProbeResult::Registration::client_id_required: return "client_id_required";
  }
  return "client_id_required";
}

}  // namespace mcpauth::auth
