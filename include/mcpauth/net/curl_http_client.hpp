// HttpClient on libcurl. TLS verification is always on; proxies come from
// the usual environment variables (HTTPS_PROXY, https_proxy, http_proxy,
// NO_PROXY), which libcurl reads itself; only http and https are allowed,
// also for redirects. Transfers run on the calling thread and can be
// cancelled from any other thread through a CancelToken.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mcpauth/net/http.hpp"

namespace mcpauth::net {

struct CurlHttpClientOptions {
  std::string user_agent;  // empty: "mcpauth/<version>"
  std::string ca_bundle;   // a PEM file of trusted CAs; empty: the system store

  // Reads MCPAUTH_CA_BUNDLE, then SSL_CERT_FILE, then CURL_CA_BUNDLE.
  static CurlHttpClientOptions from_environment();
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = CurlHttpClientOptions::from_environment());
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  HttpResponse send(const HttpRequest& request, CancelToken* cancel = nullptr) override;
  void stream(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel = nullptr) override;

 private:
  struct Handle;  // a curl easy handle with the multi handle that drives it
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);
  std::string perform(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel);

  CurlHttpClientOptions options_;
  std::mutex pool_mutex_;
  // Idle handles keep their connection caches, so keep-alive connections
  // are reused across requests without sharing a handle between threads.
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace mcpauth::net
