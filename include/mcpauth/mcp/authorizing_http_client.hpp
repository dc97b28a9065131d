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
#include "mcpauth/net/async_http.hpp"
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

// The same seam for transfers on an event loop. start() applies the
// credentials on the calling thread, so it is for threads that may block (a
// refresh), not for the loop thread. A 401 or 403 is held back as above;
// on_rejected() then runs on the inner client's run_blocking() pool, never on
// the loop thread, and the transfer starts again from there while it says
// so. A refusal no retry follows reaches the handler from that pool thread
// (after the transfer, so still one call at a time).
class AuthorizingAsyncHttpClient final : public net::AsyncHttpClient {
 public:
  AuthorizingAsyncHttpClient(std::shared_ptr<net::AsyncHttpClient> inner,
                             std::shared_ptr<RequestAuthorizer> authorizer);

  std::shared_ptr<net::AsyncOperation> start(net::HttpRequest request,
                                             std::shared_ptr<net::AsyncStreamHandler> handler) override;
  std::shared_ptr<net::AsyncOperation> after(std::chrono::milliseconds delay, std::function<void()> task) override {
    return inner_->after(delay, std::move(task));
  }
  void run_blocking(std::function<void()> task) override { inner_->run_blocking(std::move(task)); }

 private:
  class Exchange;
  std::shared_ptr<net::AsyncHttpClient> inner_;
  std::shared_ptr<RequestAuthorizer> authorizer_;
};

// `http` itself when there is no authorizer, otherwise `http` wrapped.
std::shared_ptr<net::HttpClient> with_credentials(std::shared_ptr<net::HttpClient> http,
                                                  std::shared_ptr<RequestAuthorizer> authorizer);
std::shared_ptr<net::AsyncHttpClient> with_credentials(std::shared_ptr<net::AsyncHttpClient> http,
                                                       std::shared_ptr<RequestAuthorizer> authorizer);

}  // namespace mcpauth::mcp
