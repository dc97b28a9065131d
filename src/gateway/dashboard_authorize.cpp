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
  {
    std::lock_guard lock(flow->pending->mutex);  // the flow's row in the store names them
    flow->pending->account = up->account;
    flow->pending->server = up->name;
  }
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
  // Redacted: the reason may be stored (another instance's page reads it) and shown.
  flow->pending->finish(failure ? std::optional<std::string>(core::redact_urls_in(failure->what())) : std::nullopt);
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
    // The bounds the store's relay holds to as well.
    if (total > store::kMaxBrowserFlowFieldBytes || fields.size() >= store::kMaxBrowserFlowFields) break;
    fields.emplace_back(key, value);
  }
  const auto pending = callbacks_->deliver(fields);
  if (!pending) {
    // No flow of this instance: perhaps one of another instance on the same store.
    relayed_callback(fields, res);
    return;
  }
  // The flow decides (state, iss, the token exchange, the first connection);
  // the page waits for that decision and reports it, so it never reads
  // "Authorized" before the grant is stored, nor after a refusal.
  if (const auto back = redirect_after(*pending)) {
    // A host's page started the flow: the browser goes back there (it asks
    // GET /api/servers/NAME/status how the flow ended).
    see_other(res, *back);
  } else if (!pending->wait_finished(kCallbackPageWait)) {
    callback_page(res, 202, "Still finishing",
                  "The gateway is still completing the authorization; the dashboard shows how it ends.");
  } else {
    std::optional<std::string> failure;
    {
      std::lock_guard lock(pending->mutex);
      failure = pending->failure;
    }
    ended_page(res, failure);
  }
}

// A callback for a flow another instance started (instances sharing one
// store behind a load balancer): handed to it through the store, and the
// page (or the 303 to return_to) waits for its outcome as for a flow of this one.
void Gateway::Impl::relayed_callback(const core::oauth::FormFields& fields, http::Response& res) {
  using State = store::BrowserFlowOutcome::State;
  RelayedCallback relayed;
  store::BrowserFlowOutcome outcome;
  try {
    relayed = callbacks_->deliver_elsewhere(fields);
    if (relayed.delivery == store::BrowserFlowDelivery::delivered) {
      outcome = callbacks_->wait_relayed(relayed.state_hash, kCallbackPageWait);
    }
  } catch (const Error& e) {
    log(std::string("a callback could not be handed to the instance that started its flow: ") + e.what());
    callback_page(res, 503, "Not completed",
                  "The gateway could not hand this response to the instance that started the authorization (its "
                  "token store failed). Press Authorize in the dashboard to try again.");
    return;
  }
  if (relayed.delivery == store::BrowserFlowDelivery::unknown) {
    callback_page(res, 400, "Not expected",
                  "This response does not belong to an authorization the gateway is waiting for (it may have "
                  "expired or been used already).");
  } else if (relayed.delivery == store::BrowserFlowDelivery::owner_gone || outcome.state == State::owner_gone) {
    callback_page(res, 410, "Authorization stopped",
                  "The gateway instance that started this authorization stopped before it completed. Press "
                  "Authorize in the dashboard again.");
  } else if (const auto back = outcome.return_to ? outcome.return_to : relayed.return_to) {
    see_other(res, *back);  // the host's page asks the status, as for a flow of this instance
  } else if (outcome.state == State::running) {
    callback_page(res, 202, "Still finishing",
                  "The gateway is still completing the authorization; the dashboard shows how it ends.");
  } else if (outcome.state == State::gone) {
    callback_page(res, 410, "Not completed",
                  "The authorization ended before this response reached it (it timed out or was cancelled). Press "
                  "Authorize in the dashboard to try again.");
  } else {
    ended_page(res, outcome.state == State::failed ? std::optional<std::string>(outcome.reason) : std::nullopt);
  }
}

void Gateway::Impl::ended_page(http::Response& res, const std::optional<std::string>& failure) {
  if (failure) {
    callback_page(res, 200, "Not authorized",
                  "The authorization failed: " + html_escape(failure->substr(0, 512)) +
                      " Press Authorize in the dashboard to try again.");
  } else {
    callback_page(res, 200, "Authorized", "You can close this tab and return to the mcpauth gateway dashboard.");
  }
}

void Gateway::Impl::see_other(http::Response& res, const std::string& location) {
  res.status = 303;
  res.set_header("Location", location);
  res.set_content("", "text/plain");
}

void Gateway::Impl::callback_page(http::Response& res, int status, const std::string& title, const std::string& text) {
  res.status = status;
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
