// The dashboard's server actions in Gateway::Impl: log out, reconnect,
// remove, list tools, probe a URL, add a server (docs/gateway.md).
#include <algorithm>
#include <filesystem>

#include "api_body.hpp"
#include "config_edit.hpp"
#include "gateway_impl.hpp"
#include "mcpauth/auth/probe.hpp"
#include "mcpauth/auth/revocation.hpp"
#include "mcpauth/core/json.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/core/url.hpp"
#include "plain_http.hpp"

namespace mcpauth::gateway {

// Revokes (when asked) and deletes the grants of a server: its account's,
// or every account's with `all_accounts`.
std::vector<std::string> Gateway::Impl::forget_grants(Upstream& up, bool revoke, bool all_accounts) {
  // The server's grants are found through its discovery record (their
  // resource and issuer): without one, nothing was ever stored for it.
  std::vector<std::string> accounts;
  const auto discovery = options_.store->load_discovery(up.url);
  if (!discovery) {
    up.credentials->reset();
    return accounts;
  }
  const auto grants = options_.store->list_grants_of(discovery->resource.value_or(up.url), discovery->issuer,
                                                     all_accounts ? std::nullopt : std::optional(up.account));
  for (const auto& grant : grants) {
    if (std::find(accounts.begin(), accounts.end(), grant.key.account) == accounts.end()) {
      accounts.push_back(grant.key.account);
    }
    // Without a decryptable grant there is nothing to send: deleted quietly.
    if (revoke && !grant.error) {
      try {
        const auto outcome =
            auth::revoke_grant(*with_debug_log(up.name), *options_.store, grant, discovery, std::chrono::seconds(30));
        for (const auto& p : outcome.problems) log(up.name + ": revocation: " + p);
      } catch (const Error& e) {
        log(up.name + ": revocation: " + std::string(e.what()));
      }
    }
    options_.store->remove_tokens(grant.key);
  }
  up.credentials->reset();
  return accounts;
}

void Gateway::Impl::api_logout(const http::Request& req, http::Response& res) {
  auto up = upstream_or_404(req, res);
  if (!up) return;
  if (up->auth_kind != "oauth" || !up->resolved) {
    send_error(res, 400, "usage", "the server " + up->name + " has no OAuth grant here");
    return;
  }
  if (!forget_grants(*up, true, false).empty()) notify_webhook("revoked", *up);
  {
    std::lock_guard lock(state_mutex_);
    up->last_error.reset();
    up->last_error_code.reset();
    up->tools.reset();  // unknown until it is authorized again
  }
  bump();
  send_json(res, 200, Json{{"logged_out", true}});
}

void Gateway::Impl::api_reconnect(const http::Request& req, http::Response& res) {
  // With users, the caller's own sessions; every user's only for an administrator who asks.
  const bool all_users = req.get_param_value("all_users") == "1";
  if (all_users && req.caller && !req.caller->admin) {
    send_error(res, 403, "forbidden", "only an administrator may reconnect every user's sessions");
    return;
  }
  auto up = upstream_or_404(req, res);
  if (!up) return;
  close_sessions_of(up->name, req.caller && !all_users ? std::optional<std::string>(up->account) : std::nullopt);
  {
    std::lock_guard lock(state_mutex_);
    up->tools.reset();
  }
  bump();
  spawn([this, up] { check(up); });
  send_json(res, 202, Json{{"reconnecting", true}});
}

// Ends the server's sessions and flow, deletes what the store holds for
// it (revoking first when asked) and its config entry.
// The row goes last: whoever sees it gone (the dashboard, a test) finds the
// configuration entry, the grants and the discovery record gone too.
void Gateway::Impl::remove_server(const std::shared_ptr<Upstream>& up, bool revoke) {
  if (!up->owner.empty()) {
    remove_own_server(up, revoke);
    return;
  }
  {
    std::lock_guard lock(state_mutex_);
    if (up->flow && !up->flow->done) up->flow->pending->cancel();
  }
  close_sessions_of(up->name);
  if (up->resolved && up->auth_kind == "oauth") {
    try {
      const auto accounts = forget_grants(*up, revoke, true);
      // A removal revokes (a flow that failed takes back a server it had just added: nothing was granted).
      if (revoke) {
        for (const auto& account : accounts) notify_webhook("revoked", up->name, account);
      }
      options_.store->remove_discovery(up->url);
    } catch (const Error& e) {
      log(up->name + ": " + std::string(e.what()));
    }
  }
  {
    std::lock_guard lock(config_mutex_);
    remove_server_entry(options_.config_path, up->name);
    reload_config_locked();
  }
  {
    std::lock_guard lock(state_mutex_);
    const auto it = upstreams_.find(up->name);
    if (it != upstreams_.end() && it->second == up) upstreams_.erase(it);
  }
  close_sessions_of(up->name);  // any a local client opened meanwhile
}

void Gateway::Impl::reload_config_locked() {
  std::error_code ec;
  if (std::filesystem::exists(options_.config_path, ec)) config_ = app::load_config(options_.config_path);
}

void Gateway::Impl::api_remove(const http::Request& req, http::Response& res) {
  if (req.caller && !req.caller->admin && upstream(req.matches[1])) {
    send_error(res, 403, "forbidden", "only an administrator may remove a shared server");
    return;
  }
  auto up = upstream_or_404(req, res);
  if (!up) return;
  // With users, a shared server's name leads to the caller's upstream of it: the shared one goes.
  if (up->owner.empty() && req.caller) up = upstream(req.matches[1]);
  if (!up) return;
  remove_server(up, true);
  bump();
  send_json(res, 200, Json{{"removed", true}});
}

void Gateway::Impl::api_tools(const http::Request& req, http::Response& res) {
  auto up = upstream_or_404(req, res);
  if (!up) return;
  bool cached = false;
  {
    std::lock_guard lock(state_mutex_);
    cached = up->tools.has_value();
  }
  if (!cached) check(up);
  std::lock_guard lock(state_mutex_);
  if (!up->tools) {
    send_error(res, up->last_error_code == ErrorCode::authorization_required ? 409 : 502,
               up->last_error_code ? std::string(to_string(*up->last_error_code)) : "connection",
               up->last_error.value_or("the server's tools could not be listed"));
    return;
  }
  Json tools = Json::array();
  for (const auto& t : *up->tools) tools.push_back({{"name", t.name}, {"description", t.description}});
  send_json(res, 200, Json{{"tools", tools}});
}

void Gateway::Impl::api_probe(const http::Request& req, http::Response& res) {
  const Json body = parse_api_body(req);
  const auto url = string_member(body, "url", 2048);
  if (!url) throw Error(ErrorCode::usage, "give the server's URL as {\"url\": ...}");
  auth::ProbeOptions po;
  const core::Url parsed = core::parse_url(*url);
  app::require_https_off_loopback(parsed, options_.allow_http);
  po.server_url = parsed.text;
  po.http = with_debug_log("probe");
  const auto result = auth::probe(po);
  Json out = Json::object();
  // `needs` is probe --json's word (auth::to_string), except where the form
  // asks for something else: a static token for a refusal, a client id.
  std::string needs(auth::to_string(result.needs));
  std::string message;
  switch (result.needs) {
    case auth::ProbeResult::Needs::nothing: message = "The server answers without credentials."; break;
    case auth::ProbeResult::Needs::static_token:
    case auth::ProbeResult::Needs::forbidden:
      needs = "static_token";
      message =
          "The server wants credentials but publishes no usable OAuth metadata: give the header it needs "
          "(e.g. Authorization: Bearer <token>).";
      break;
    case auth::ProbeResult::Needs::oauth:
      if (result.registration == auth::ProbeResult::Registration::client_id_required) {
        needs = "oauth_client_id";
        message = "The server uses OAuth, and its authorization server " + result.issuer.value_or("") +
                  " needs a client registered there: give its client id.";
      } else {
        message = "The server uses OAuth (" + result.issuer.value_or("") + "); Add & Authorize signs you in.";
      }
      break;
  }
  if (!result.pkce_s256) message += " Its authorization server does not support PKCE S256, so mcpauth will refuse.";
  out["needs"] = needs;
  out["message"] = message;
  out["status"] = result.status;
  out["transport"] = result.transport ? Json(*result.transport) : Json(nullptr);
  out["reason"] = result.reason ? Json(*result.reason) : Json(nullptr);
  out["issuer"] = result.issuer ? Json(*result.issuer) : Json(nullptr);
  out["scope"] = result.scope ? Json(*result.scope) : Json(nullptr);
  out["registration"] = result.registration ? Json(std::string(to_string(*result.registration))) : Json(nullptr);
  out["device_grant"] = result.device_grant;
  out["pkce_s256"] = result.pkce_s256;
  send_json(res, 200, out);
}

void Gateway::Impl::api_add(const http::Request& req, http::Response& res) {
  const Json body = parse_api_body(req);
  NewServer server;
  server.name = string_member(body, "name", 64).value_or("");
  if (!app::valid_server_name(server.name)) {
    throw Error(ErrorCode::usage, "the name must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  const auto url = string_member(body, "url", 2048);
  if (!url) throw Error(ErrorCode::usage, "the server's url is missing");
  const core::Url parsed = core::parse_url(*url);
  app::require_https_off_loopback(parsed, options_.allow_http);
  server.url = parsed.text;
  if (const auto it = body.find("headers"); it != body.end() && !it->is_null()) {
    if (!it->is_object() || it->size() > 32) throw Error(ErrorCode::usage, "headers must be an object of strings");
    for (const auto& [name, value] : it->items()) {
      if (name.size() > 256 || !core::is_token(name)) {
        throw Error(ErrorCode::usage, "a header name is not an HTTP token");
      }
      // Never echo a value: it is usually a token.
      if (!value.is_string() || value.get<std::string>().size() > 8192 ||
          value.get<std::string>().find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
        throw Error(ErrorCode::usage, "the value of header " + name + " must be one line of text");
      }
      server.headers.emplace_back(name, value.get<std::string>());
    }
  }
  server.client_id = string_member(body, "client_id", 512);
  if (server.client_id && server.client_id->empty()) server.client_id.reset();
  const auto authorize_it = body.find("authorize");
  const bool then_authorize = authorize_it != body.end() && authorize_it->is_boolean() && authorize_it->get<bool>();
  // Whose server: "shared" (the config file's, every user's: an
  // administrator's to add) or "own" (the caller's, in the store). Without
  // a scope, an administrator's is shared and any other user's own.
  const std::string scope =
      string_member(body, "scope", 16).value_or(req.caller && !req.caller->admin ? "own" : "shared");
  if (scope != "own" && scope != "shared") throw Error(ErrorCode::usage, "scope must be \"own\" or \"shared\"");
  if (scope == "own") {
    if (!req.caller) {
      throw Error(ErrorCode::usage, "a server of one's own needs users in the store (mcpauth users add NAME)");
    }
    add_own_server(req, res, server, then_authorize);
    return;
  }
  if (req.caller && !req.caller->admin) {
    send_error(res, 403, "forbidden",
               "only an administrator may add a shared server; add one of your own with \"scope\": \"own\"");
    return;
  }

  std::shared_ptr<Upstream> up;
  {
    std::lock_guard lock(config_mutex_);
    if (upstream(server.name))
      throw Error(ErrorCode::usage, "a server named " + server.name + " is already configured");
    add_server_entry(options_.config_path, server);
    reload_config_locked();
    for (const auto& s : config_.servers) {
      if (s.name == server.name) up = make_upstream(s);
    }
    if (!up) throw Error(ErrorCode::usage, "the server was written but could not be read back");
    std::lock_guard state_lock(state_mutex_);
    upstreams_[up->name] = up;
  }
  bump();
  if (then_authorize && up->auth_kind == "oauth") {
    authorize(up, true, res);
    return;
  }
  spawn([this, up] { check(up); });
  send_json(res, 201, Json{{"added", up->name}});
}

}  // namespace mcpauth::gateway
