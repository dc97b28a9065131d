// The seam where credentials meet HTTP. AuthorizingHttpClient (the one
// caller) passes every request a transport sends through apply() just before
// it leaves, and every 401 or 403 answer to on_rejected(). StaticHeaders and
// the OAuth auth::Authorizer implement it; the transports never see it.
//
// Threading: implementations are called from several threads at once (a
// session's POSTs and its event stream).
#pragma once

#include <memory>

#include "mcpauth/net/http.hpp"

namespace mcpauth::mcp {

// Why a request was rejected, as much as a transport knows without a body.
struct Rejection {
  int status = 0;            // 401 or 403
  net::HttpHeaders headers;  // the response headers (WWW-Authenticate, DPoP-Nonce, ...)
};

// How often one request is sent again after on_rejected() asked for
// it: a new authorization, then e.g. a DPoP nonce. Bounded, so a broken
// authorizer cannot loop.
inline constexpr int kMaxCredentialRetries = 2;

class RequestAuthorizer {
 public:
  virtual ~RequestAuthorizer() = default;

  // Adds credentials to `request`. Called again for every retry.
  virtual void apply(net::HttpRequest& request) = 0;

  // The server answered 401 or 403. Return true when new credentials were
  // obtained and the request should be sent again (at most
  // kMaxCredentialRetries times per request).
  virtual bool on_rejected(const net::HttpRequest& request, const Rejection& rejection) = 0;
};

// Fixed headers on every request, e.g. "Authorization: Bearer <static token>".
class StaticHeaders final : public RequestAuthorizer {
 public:
  explicit StaticHeaders(net::HttpHeaders headers) : headers_(std::move(headers)) {}
  void apply(net::HttpRequest& request) override;
  bool on_rejected(const net::HttpRequest&, const Rejection&) override { return false; }

 private:
  net::HttpHeaders headers_;
};

}  // namespace mcpauth::mcp
