// Gateway::Impl: the Upstream of each configured server, its Authorizers,
// the options of its remote sessions, and the connection check behind the
// dashboard's transport, tools and errors.
#include <algorithm>

#include "cli_options.hpp"
#include "gateway_impl.hpp"
#include "mcpauth/composition.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth_internal/core/redact.hpp"
#include "plain_http.hpp"
#include "remote_loops.hpp"

namespace mcpauth::gateway {

std::shared_ptr<Upstream> Gateway::Impl::make_upstream(const app::ServerConfig& raw,
                                                       const std::optional<std::string>& account,
                                                       const app::Config* own) {
  auto up = std::make_shared<Upstream>();
  up->name = raw.name;
  up->raw = raw;
  up->account = account.value_or(raw.account);
  net::HttpHeaders headers;
  try {
    // A user's own entry never expands ${VAR}: the gateway's environment is not the user's to read.
    up->resolved = own ? app::resolve_server(raw.name, *own, [](const std::string&) { return std::nullopt; })
                       : app::resolve_server(raw.name, config_, options_.env);
    if (account) up->resolved->account = *account;  // what the Authorizer's grants are keyed by
    const core::Url url = core::parse_url(up->resolved->url);
    // Before any traffic: its headers (and tokens) would go in clear.
    app::require_https_off_loopback(url, options_.allow_http);
    up->url = url.text;
    for (const auto& [name, value] : up->resolved->headers) headers.set(name, value);
  } catch (const Error& e) {
    up->resolved.reset();
    up->resolve_error = core::redact_urls_in(e.what());  // shown on the dashboard and the API
  }
  // The rule of compose(): an Authorization header chose the credentials, else OAuth unless switched off.
  ClientOptions rule;
  rule.headers = headers;
  rule.oauth = raw.oauth.enabled;
  up->auth_kind = uses_oauth(rule) ? "oauth" : (headers.contains("Authorization") ? "static" : "none");
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
  ClientOptions o = app::client_options(server, url);
  // Behind --public-url the gateway's own document is its client id where
  // the authorization server takes one (a server's configured client wins).
  if (!o.client.client_id && !o.client.client_metadata_url) o.client.client_metadata_url = client_metadata_url();
  o.http = options_.http;
  o.store = options_.store;
  o.http_timeout = std::min<std::chrono::milliseconds>(options_.request_timeout, std::chrono::seconds(30));
  o.default_consent = false;  // never a browser of its own: the dashboard's flow brings its consent
  if (consent) {
    o.consent = std::move(consent);
    o.consent_timeout = options_.consent_timeout;
  } else {
    // Also how long local requests wait for a consent another flow (the
    // dashboard's, another process's) is asking for: not long.
    o.consent_timeout = std::chrono::seconds(3);
    // Without consent no authorization of its own can succeed; the budget
    // must not turn "authorization required" into "still answers 401".
    o.max_authorizations = 1'000'000;
  }
  const std::string name = server.name;
  o.notify = [this, name](const std::string& line) { log(name + ": " + line); };
  o.log = debug_log(name);                    // compose() logs the Authorizer's exchanges too
  o.refreshing_changed = [this] { bump(); };  // the row says "refreshing" meanwhile
  if (webhook_) {
    // The grant is gone at its authorization server: a failed event (the
    // authorizer's account is its grants'; posting only queues).
    o.grant_refused = [this, name, account = server.account](const std::string& oauth_error) {
      notify_webhook("failed", name, account,
                     "the authorization server refused to refresh the grant (" + oauth_error + "); authorize again");
    };
  }
  return mcpauth::make_authorizer(o);
}

mcp::SessionOptions Gateway::Impl::session_options(const Upstream& up) const {
  mcp::SessionOptions so;
  so.url = up.url;
  so.transport = mcp::parse_transport_kind(up.resolved ? up.resolved->transport : "auto");
  so.http = stop_gate_.guard(with_debug_log(up.name));
  so.authorizer = up.credentials;
  so.event_loop = remote_event_loop();  // a Bridge's streams; the connection check's Session ignores it
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
  up.last_error = core::redact_urls_in(e.what());  // shown on the dashboard and the API
  up.last_error_code = e.code();
}

}  // namespace mcpauth::gateway
