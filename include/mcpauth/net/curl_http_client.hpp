// HttpClient on libcurl. TLS verification is always on; proxies come from
// the usual environment variables (HTTPS_PROXY, https_proxy, http_proxy,
// NO_PROXY), which libcurl reads itself; only http and https are allowed,
// also for redirects.
//
// Threading: one CurlHttpClient may be shared by any number of threads.
// Each transfer runs on its caller's thread with a curl handle of its own
// (idle handles are kept in a small pool, with their keep-alive
// connections, and never shared by two transfers at once); a CancelToken
// ends a transfer from any other thread at once. The pool and its lock live
// in Impl (curl_http_client.cpp), so this header commits to no layout.
#pragma once

#include <memory>
#include <string>

#include "mcpauth/net/http.hpp"

namespace mcpauth::net {

struct CurlHttpClientOptions {
  std::string user_agent;  // empty: "mcpauth/<version>"
  std::string ca_bundle;   // a PEM file of trusted CAs; empty: the system store
  // Resolve host names to IPv4 addresses only: for networks whose IPv6
  // routes black-hole instead of refusing (connections would time out).
  bool ipv4_only = false;
  // Keep the cookies servers set, in memory for the life of this client,
  // and send them back by the usual cookie rules (RFC 6265): load
  // balancers that pin a session to one backend with a cookie. Off: no
  // cookie is kept or sent (unless a request carries a Cookie header).
  bool cookies = false;

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
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpauth::net
