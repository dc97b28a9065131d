// Dashboard authorizations in Gateway::Impl: POST
// /api/servers/NAME/authorize starts (or joins) a flow with its own
// Authorizer and GatewayConsent, and GET /oauth/callback brings the browser's
// answer back to it (or, for a flow a host started with return_to, sends
// the browser back to the host's page).
#include <algorithm>
#include <optional>

#include "api_body.hpp"
#include "gateway_impl.hpp"
#include "mcpauth_internal/core/redact.hpp"
#include "return_to.hpp"

namespace mcpauth::gateway {

// Starts (or joins) a dashboard authorization and answers with its URL,
// or {"authorized": true} when no consent was needed.
void Gateway::Impl::authorize(const std::shared_ptr<Upstream>& up, bool remove_on_failure, http::Response& res,
                              const std::optional<std::string>& return_to) {
  if (up->auth_kind != "oauth" || !up->resolved) {
    send_error(res, 400, "usage",
               up->resolved ? "the server " + up->name + " does not use OAuth here" : up->resolve_error);
    return;
  }
  std::shared_ptr<Flow> flow;
  {
    std::lock_guard lock(state_mutex_);
    if (up->flow && !up->flow->done) {
      flow = up->flow;
    } else {
      flow = std::make_shared<Flow>();
      flow->remove_on_failure = remove_on_failure;
      up->flow = flow;
      spawn([this, up, flow] { run_flow(up, flow); });
    }
  }
  {
    // The latest request says where the browser goes after the callback.
    std::lock_guard lock(flow->pending->mutex);
    flow->pending->return_to = return_to;
  }
  bump();
  std::unique_lock lock(state_mutex_);
  flow_cv_.wait_for(lock, kFlowStartWait, [&] { return flow->url || flow->done || stopping_flag_.load(); });
  if (flow->url && !flow->done) {
    const std::string url = *flow->url;
    lock.unlock();
    send_json(res, 200, Json{{"authorization_url", url}});
  } else if (flow->done && flow->authorized) {
    lock.unlock();
    send_json(res, 200, Json{{"authorized", true}});
  } else if (flow->done && flow->error) {
    const Error error = *flow->error;
    lock.unlock();
    send_error(res, error);
  } else {
    lock.unlock();
    send_error(res, 504, "timeout", "the authorization did not start in time; see the server's row for the reason");
  }
}

void Gateway::Impl::run_flow(const std::shared_ptr<Upstream>& up, const std::shared_ptr<Flow>& flow) {
  auto publish = [this, flow](const std::string& url) {
    {
      std::lock_guard lock(state_mutex_);
      flow->url = url;
    }
    flow_cv_.notify_all();
    bump();
  };
  auto consent = std::make_shared<GatewayConsent>(callbacks_, redirect_uri(), publish, flow->pending);
  std::optional<Error> failure;
  try {
    auto authorizer = make_authorizer(*up->resolved, up->url, consent);
    auto so = session_options(*up);
    so.authorizer = auth::credentials(authorizer, up->credentials->static_headers());
    auto session = mcp::Session::connect(so);
    auto tools = session->list_tools();
    const std::string transport(session->transport_kind());
    session->close();
    up->credentials->reset();  // local traffic reads the new grant from the store
    record_success(*up, transport, tools);
  } catch (const Error& e) {
    failure = e;
    if (e.code() != ErrorCode::cancelled) record_failure(*up, e);
    log(up->name + ": authorization failed: " + e.what());
  }
  {
    std::lock_guard lock(state_mutex_);
    flow->done = true;
    flow->authorized = !failure;
    flow->error = failure;
  }
  flow_cv_.notify_all();
  // The callback page waits for this to say how the flow ended.
  flow->pending->finish(failure ? std::optional<std::string>(failure->what()) : std::nullopt);
  if (!failure) {
    notify_webhook("authorized", *up);
  } else if (failure->code() != ErrorCode::cancelled) {
    notify_webhook("failed", *up, core::redact_urls_in(failure->what()));
  }
  if (failure && flow->remove_on_failure) {
    try {
      remove_server(up, false);
    } catch (const Error& e) {
      log(up->name + ": could not remove the server again: " + std::string(e.what()));
    }
  }
  bump();
}

void Gateway::Impl::api_authorize(const http::Request& req, http::Response& res) {
  const auto return_to = string_member(parse_api_body(req), "return_to", 2048);
  if (return_to && !return_to_allowed(options_.allowed_return_urls, *return_to)) {
    send_error(res, 400, "usage",
               options_.allowed_return_urls.empty()
                   ? "this gateway takes no return_to: it has no allowed return URLs (--allowed-return-url)"
                   : "return_to must start with one of the gateway's allowed return URLs (--allowed-return-url)");
    return;
  }
  auto up = upstream_or_404(req, res);
  if (!up) return;
  if (req.get_param_value("reauthorize") == "1" && up->auth_kind == "oauth" && up->resolved) {
    forget_grants(*up, false, false);
  }
  authorize(up, false, res, return_to);
}

void Gateway::Impl::oauth_callback(const http::Request& req, http::Response& res) {
  core::oauth::FormFields fields;
  std::size_t total = 0;
  for (const auto& [key, value] : req.params) {
    total += key.size() + value.size();
    if (total > 16 * 1024 || fields.size() >= 32) break;
    fields.emplace_back(key, value);
  }
  const auto pending = callbacks_->deliver(fields);
  // The flow decides (state, iss, the token exchange, the first connection);
  // the page waits for that decision and reports it, so it never reads
  // "Authorized" before the grant is stored, nor after a refusal.
  std::string title;
  std::string text;
  if (!pending) {
    res.status = 400;
    title = "Not expected";
    text =
        "This response does not belong to an authorization the gateway is waiting for (it may have expired or "
        "been used already).";
  } else if (const auto back = redirect_after(*pending)) {
    // A host's page started the flow: the browser goes back there (it asks
    // GET /api/servers/NAME/status how the flow ended).
    res.status = 303;
    res.set_header("Location", *back);
    res.set_content("", "text/plain");
    return;
  } else if (!pending->wait_finished(kCallbackPageWait)) {
    res.status = 202;
    title = "Still finishing";
    text = "The gateway is still completing the authorization; the dashboard shows how it ends.";
  } else {
    std::optional<std::string> failure;
    {
      std::lock_guard lock(pending->mutex);
      failure = pending->failure;
    }
    if (failure) {
      res.status = 200;
      title = "Not authorized";
      text = "The authorization failed: " + html_escape(failure->substr(0, 512)) +
             " Press Authorize in the dashboard to try again.";
    } else {
      res.status = 200;
      title = "Authorized";
      text = "You can close this tab and return to the mcpauth gateway dashboard.";
    }
  }
  // No inline style: the page's policy allows none.
  res.set_header("Content-Security-Policy", "default-src 'none'");
  res.set_content("<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth gateway</title></head><body><h1>" +
                      title + "</h1><p>" + text + "</p></body></html>",
                  "text/html; charset=utf-8");
}

// Where the callback sends the browser once the flow ended (or the page's
// wait is over): the return_to the flow was started with, if any.
std::optional<std::string> Gateway::Impl::redirect_after(PendingConsent& pending) {
  {
    std::lock_guard lock(pending.mutex);
    if (!pending.return_to) return std::nullopt;
  }
  pending.wait_finished(kCallbackPageWait);
  std::lock_guard lock(pending.mutex);
  return pending.return_to;
}

std::string Gateway::Impl::html_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace mcpauth::gateway
