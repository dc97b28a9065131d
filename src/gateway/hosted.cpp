// Gateway::Impl behind a TLS reverse proxy (--public-url) and with a
// webhook (--webhook): the public callback and dashboard addresses, the
// gateway's own Client ID Metadata Document, and the grant events.
#include "gateway_impl.hpp"
#include "public_url.hpp"

namespace mcpauth::gateway {

std::string Gateway::Impl::redirect_uri() const {
  return (public_url_.empty() ? base_url_ : public_url_) + kCallbackPath;
}

std::string Gateway::Impl::dashboard_url() const {
  return (public_url_.empty() ? base_url_ : public_url_) + "/";
}

std::optional<std::string> Gateway::Impl::client_metadata_url() const {
  if (public_url_.empty()) return std::nullopt;
  return public_url_ + kClientMetadataPath;
}

// GET /oauth/client-metadata.json: fetched anonymously by authorization
// servers (the screen lets it through without a key); it holds nothing secret.
void Gateway::Impl::client_metadata(const http::Request&, http::Response& res) const {
  if (public_url_.empty()) {
    send_error(res, 404, "not_found",
               "this gateway has no Client ID Metadata Document: start it with --public-url to publish one");
    return;
  }
  send_json(res, 200, client_metadata_document(public_url_));
}

void Gateway::Impl::notify_webhook(const char* event, const Upstream& up, std::optional<std::string> reason) {
  notify_webhook(event, up.name, up.account, std::move(reason));
}

void Gateway::Impl::notify_webhook(const char* event, const std::string& server, const std::string& account,
                                   std::optional<std::string> reason) {
  if (!webhook_) return;
  // Never throws: it runs where a failure is being reported (a refused
  // refresh under the Authorizer's lock, a flow's end) and must not replace it.
  try {
    // With users, a grant's account is its user's name.
    post_webhook(event, server, users_mode() ? std::optional<std::string>(account) : std::nullopt, std::move(reason));
  } catch (const std::exception& e) {
    log("webhook: the " + std::string(event) + " event of " + server + " was not sent: " + e.what());
  }
}

void Gateway::Impl::post_webhook(const char* event, const std::string& server, std::optional<std::string> user,
                                 std::optional<std::string> reason) {
  if (!webhook_) return;
  WebhookEvent e;
  e.event = event;
  e.server = server;
  e.user = std::move(user);
  e.reason = std::move(reason);
  webhook_->post(std::move(e));
}

}  // namespace mcpauth::gateway
