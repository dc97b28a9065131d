// The checks every request passes before its route (Gateway::Impl::screen):
// Host and Origin against DNS rebinding, then either a local user's API key
// (when the store has users: local_users.cpp) or the local user (loopback)
// and the shared API key, then the CSRF token of the dashboard API.
#include "assets.hpp"
#include "gateway_impl.hpp"
#include "mcpauth_internal/platform/peer_owner.hpp"
#include "public_url.hpp"

namespace mcpauth::gateway {

bool Gateway::Impl::exempt_from_api_key(const std::string& path) {
  // What a browser opens by navigation (no header can be added there): the
  // static dashboard and the OAuth redirect (which its state protects).
  return path == "/oauth/callback" || find_asset(path) != nullptr;
}

namespace {

// Asked once per connection (ConnectionMemo); "unknown" is asked again,
// as the next request may find the answer.
platform::PeerOwner peer_owner(const http::Request& req) {
  if (req.connection) {
    const int known = req.connection->peer_owner.load();
    if (known >= 0) return static_cast<platform::PeerOwner>(known);
  }
  const auto owner = platform::tcp_peer_owner(req.local_addr, req.local_port, req.remote_addr, req.remote_port);
  if (req.connection && owner != platform::PeerOwner::unknown) req.connection->peer_owner = static_cast<int>(owner);
  return owner;
}

}  // namespace

bool Gateway::Impl::screen(http::Request& req, http::Response& res) {
  // DNS rebinding: a page on another name must not reach us through it.
  if (!policy_->host_allowed(req.get_header_value("Host"))) {
    send_error(res, 421, "forbidden", "this Host is not the gateway's address");
    return true;
  }
  if (req.has_header("Origin") && !policy_->origin_allowed(req.get_header_value("Origin"))) {
    send_error(res, 403, "forbidden", "requests from other origins are refused");
    return true;
  }
  // The Client ID Metadata Document is public: authorization servers fetch
  // it anonymously, from wherever they run (not as this machine's user).
  if (req.method == "GET" && req.path == kClientMetadataPath) return false;
  if (users_mode()) {
    if (screen_user(req, res)) return true;
    return refuse_without_csrf(req, res);
  }
  // Users removed while listening off loopback without the shared key: nobody is let in.
  if (!loopback_listener_ && !options_.api_key && !exempt_from_api_key(req.path)) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"mcpauth-gateway\"");
    send_error(res, 401, "unauthorized", "this gateway needs an API key: Authorization: Bearer <key>");
    return true;
  }
  const auto given = bearer_credentials(req.get_header_value("Authorization"));
  const bool valid_key = options_.api_key && given && constant_time_equal(*given, *options_.api_key);
  // On loopback every local account can connect: without the API key, only
  // the user who runs the gateway gets in (its grants are that user's).
  if (loopback_listener_ && !valid_key) {
    const auto owner = peer_owner(req);
    if (owner != platform::PeerOwner::this_user) {
      send_error(res, 403, "forbidden",
                 owner == platform::PeerOwner::other_user
                     ? "only the user who started the gateway may use it; to let other users in, give the gateway "
                       "an API key (--api-key-env) and have them send Authorization: Bearer <key>"
                     : "the gateway could not tell which user opened this connection, so it refuses it");
      return true;
    }
  }
  if (options_.api_key && !exempt_from_api_key(req.path)) {
    if (!valid_key) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"mcpauth-gateway\"");
      send_error(res, 401, "unauthorized", "this gateway needs its API key: Authorization: Bearer <key>");
      return true;
    }
  }
  return refuse_without_csrf(req, res);
}

bool Gateway::Impl::refuse_without_csrf(const http::Request& req, http::Response& res) const {
  if ((req.method == "POST" || req.method == "DELETE") && req.path.rfind("/api/", 0) == 0) {
    if (!constant_time_equal(req.get_header_value("X-CSRF-Token"), csrf_)) {
      send_error(res, 403, "forbidden", "missing or wrong X-CSRF-Token (GET /api/state gives it)");
      return true;
    }
  }
  return false;
}

}  // namespace mcpauth::gateway
