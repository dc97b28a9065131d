// The credentials seam, once: an HttpClient that adds a RequestAuthorizer's
// credentials to every request and, when the server answers 401 or 403,
// lets the authorizer react and sends the request again (a bounded number of
// times). The transports talk to it as to any HttpClient and know nothing of
// credentials.
//
// Threading: as safe as the inner client and the authorizer (both are
// called from whichever thread sends; the transports send from several).
#pragma once

#include <memory>

#include "mcpauth/mcp/request_authorizer.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::mcp {

class AuthorizingHttpClient final : public net::HttpClient {
 public:
  AuthorizingHttpClient(std::shared_ptr<net::HttpClient> inner, std::shared_ptr<RequestAuthorizer> authorizer);

  // A 401 or 403 that the authorizer does not answer with new credentials
  // (or the last one after kMaxCredentialRetries retries) is returned, or
  // handed to the stream handler, as the server sent it.
  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel = nullptr) override;
  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler,
              net::CancelToken* cancel = nullptr) override;

 private:
  std::shared_ptr<net::HttpClient> inner_;
  std::shared_ptr<RequestAuthorizer> authorizer_;
};

// `http` itself when there is no authorizer, otherwise `http` wrapped.
std::shared_ptr<net::HttpClient> with_credentials(std::shared_ptr<net::HttpClient> http,
                                                  std::shared_ptr<RequestAuthorizer> authorizer);

}  // namespace mcpauth::mcp
