// The seam where credentials meet the transports. Every HTTP request a
// transport sends (POST, the GET stream, DELETE, the legacy SSE GET and each
// legacy POST) passes through apply() just before it leaves, and every 401
// or 403 answer goes to on_rejected(). Static headers implement it today;
// the OAuth authorizer implements it next, without the transports knowing.
#pragma once

#include <memory>

#include "mcpauth/net/http.hpp"

namespace mcpauth::mcp {

// Why a request was rejected, as much as a transport knows without a body.
struct Rejection {
  int status = 0;                             // 401 or 403
  const net::HttpHeaders* headers = nullptr;  // the response headers (WWW-Authenticate, ...)
};

// How often a transport re-sends one request after on_rejected() asked for
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
