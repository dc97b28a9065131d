// The checks every request passes before its route (Gateway::Impl::screen):
// Host and Origin against DNS rebinding, the API key, the CSRF token of the
// dashboard API.
#include "assets.hpp"
#include "gateway_impl.hpp"

namespace mcpauth::gateway {

bool Gateway::Impl::exempt_from_api_key(const std::string& path) {
  // What a browser opens by navigation (no header can be added there): the
  // static dashboard and the OAuth redirect (which its state protects).
  return path == "/oauth/callback" || find_asset(path) != nullptr;
}

httplib::Server::HandlerResponse Gateway::Impl::screen(const httplib::Request& req, httplib::Response& res) {
  // DNS rebinding: a page on another name must not reach us through it.
  if (!policy_->host_allowed(req.get_header_value("Host"))) {
    send_error(res, 421, "forbidden", "this Host is not the gateway's address");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (req.has_header("Origin") && !policy_->origin_allowed(req.get_header_value("Origin"))) {
    send_error(res, 403, "forbidden", "requests from other origins are refused");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (options_.api_key && !exempt_from_api_key(req.path)) {
    const auto given = bearer_credentials(req.get_header_value("Authorization"));
    if (!given || !constant_time_equal(*given, *options_.api_key)) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"mcpauth-gateway\"");
      send_error(res, 401, "unauthorized", "this gateway needs its API key: Authorization: Bearer <key>");
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  if ((req.method == "POST" || req.method == "DELETE") && req.path.rfind("/api/", 0) == 0) {
    if (!constant_time_equal(req.get_header_value("X-CSRF-Token"), csrf_)) {
      send_error(res, 403, "forbidden", "missing or wrong X-CSRF-Token (GET /api/state gives it)");
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

}  // namespace mcpauth::gateway
