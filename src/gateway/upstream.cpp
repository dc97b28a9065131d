// Gateway::Impl: the Upstream of each configured server, its Authorizers,
// the options of its remote sessions, and the connection check behind the
// dashboard's transport, tools and errors.
#include <algorithm>

#include "gateway_impl.hpp"
#include "mcpauth/core/url.hpp"
#include "plain_http.hpp"

namespace mcpauth::gateway {

std::shared_ptr<Upstream> Gateway::Impl::make_upstream(const app::ServerConfig& raw) {
  auto up = std::make_shared<Upstream>();
  up->name = raw.name;
  up->raw = raw;
  up->account = raw.account;
  net::HttpHeaders headers;
  try {
    up->resolved = app::resolve_server(raw.name, config_, options_.env);
    const core::Url url = core::parse_url(up->resolved->url);
    // Before any traffic: its headers (and tokens) would go in clear.
    app::require_https_off_loopback(url, options_.allow_http);
    up->url = url.text;
    for (const auto& [name, value] : up->resolved->headers) headers.set(name, value);
  } catch (const Error& e) {
    up->resolved.reset();
    up->resolve_error = e.what();
  }
  const bool static_authorization = headers.contains("Authorization");
  up->auth_kind = static_authorization ? "static" : (!raw.oauth.enabled ? "none" : "oauth");
  Credentials::Factory factory;
  if (up->auth_kind == "oauth" && up->resolved) {
    factory = [this, resolved = *up->resolved, url = up->url] { return make_authorizer(resolved, url, nullptr); };
  }
  up->credentials = std::make_shared<Credentials>(std::move(factory), std::move(headers));
  return up;
}

// The Authorizer of local traffic has no consent handler: a request that
// would need consent is answered at once (authorization_required), never
// held while a browser flow could run. The dashboard's flow has one.
std::shared_ptr<auth::Authorizer> Gateway::Impl::make_authorizer(const app::ServerConfig& server,
                                                                 const std::string& url,
                                                                 std::shared_ptr<auth::ConsentHandler> consent) {
  auth::AuthorizerOptions a;
  a.server_url = url;
  a.http = options_.http;
  a.store = options_.store;
  a.account = server.account;
  a.client.client_id = server.oauth.client_id;
  a.client.client_secret = server.oauth.client_secret;
  a.client.client_metadata_url = server.oauth.client_metadata_url;
  a.scope = server.oauth.scope;
  a.resource = server.oauth.resource;
  a.send_resource = server.oauth.send_resource;
  a.http_timeout = std::min<std::chrono::milliseconds>(options_.request_timeout, std::chrono::seconds(30));
  if (consent) {
    a.consent = std::move(consent);
    a.consent_timeout = options_.consent_timeout;
  } else {
    // Also how long local requests wait for a consent another flow (the
    // dashboard's, another process's) is asking for: not long.
    a.consent_timeout = std::chrono::seconds(3);
    // Without consent no authorization of its own can succeed; the budget
    // must not turn "authorization required" into "still answers 401".
    a.max_authorizations = 1'000'000;
  }
  const std::string name = server.name;
  a.notify = [this, name](const std::string& line) { log(name + ": " + line); };
  return std::make_shared<auth::Authorizer>(std::move(a));
}

mcp::SessionOptions Gateway::Impl::session_options(const Upstream& up) const {
  mcp::SessionOptions so;
  so.url = up.url;
  so.transport = mcp::parse_transport_kind(up.resolved ? up.resolved->transport : "auto");
  so.http = options_.http;
  so.authorizer = up.credentials;
  so.request_timeout = options_.request_timeout;
  so.connect_timeout = options_.connect_timeout;
  so.client_info = {"mcpauth-gateway", "", std::nullopt};
  return so;
}

// Connects once with the local credentials: transport, tools, and whether
// the server needs (and has) authorization.
void Gateway::Impl::check(const std::shared_ptr<Upstream>& up) {
  if (!up->resolved) {
    bump();
    return;
  }
  try {
    auto so = session_options(*up);
    so.request_timeout = std::min<std::chrono::milliseconds>(options_.request_timeout, std::chrono::seconds(30));
    auto session = mcp::Session::connect(so);
    auto tools = session->list_tools();
    const std::string transport(session->transport_kind());
    session->close();
    record_success(*up, transport, tools);
  } catch (const Error& e) {
    record_failure(*up, e);
  }
  bump();
}

void Gateway::Impl::record_success(Upstream& up, const std::string& transport, const std::vector<mcp::Tool>& tools) {
  std::vector<ToolInfo> list;
  for (const auto& t : tools) list.push_back({t.name, t.description.value_or("")});
  std::lock_guard lock(state_mutex_);
  up.transport_seen = transport;
  up.tools = std::move(list);
  up.checked_ok = true;
  up.last_error.reset();
  up.last_error_code.reset();
}

void Gateway::Impl::record_failure(Upstream& up, const Error& e) {
  std::lock_guard lock(state_mutex_);
  up.checked_ok = false;
  up.last_error = e.what();
  up.last_error_code = e.code();
}

}  // namespace mcpauth::gateway
