// The HTTP seam. Everything above net/ talks to an HttpClient; the libcurl
// implementation lives in curl_http_client.hpp, tests may inject others.
// Policy is explicit per request: timeouts, a response size cap, and whether
// redirects are followed (never by default: token requests must not follow).
//
// Threading: an HttpClient is shared by a session's threads, so
// implementations must accept calls from several threads at once; each call
// runs on its caller's thread, and a CancelToken ends it from another one.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/core/text.hpp"

namespace mcpauth::net {

struct HttpHeader {
  std::string name;
  std::string value;
};

// An ordered header list with case-insensitive lookup (RFC 9110 §5.1).
class HttpHeaders {
 public:
  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<HttpHeader> headers) : headers_(headers) {}

  void add(std::string name, std::string value) { headers_.push_back({std::move(name), std::move(value)}); }
  // Replaces every header of that name with one value.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  // The first value of that name, if any.
  std::optional<std::string> get(std::string_view name) const;
  // Every value of that name, in order (e.g. several WWW-Authenticate fields).
  std::vector<std::string> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }

  auto begin() const { return headers_.begin(); }
  auto end() const { return headers_.end(); }
  bool empty() const { return headers_.empty(); }

 private:
  std::vector<HttpHeader> headers_;
};

// Header names compare ignoring case: the one comparison lives in core.
using core::iequals;

// Which addresses a request may connect to. Checked on every address the
// host resolves to (a DNS name cannot smuggle in a refused address), when no
// proxy is configured for the request (a proxy connects for us; then only the
// URL-level checks of the caller apply). Requests to URLs that a remote server
// chose (OAuth metadata and endpoints) narrow these.
struct AddressRules {
  bool loopback = true;    // 127.0.0.0/8, ::1
  bool link_local = true;  // 169.254.0.0/16, fe80::/10, 0.0.0.0, ::, cloud metadata-service addresses
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;

  std::chrono::milliseconds connect_timeout{10'000};
  // Whole exchange; zero means no limit (long-lived event streams).
  std::chrono::milliseconds total_timeout{60'000};
  // Longest silence allowed between received bytes; zero means no limit.
  std::chrono::milliseconds idle_timeout{0};
  // Cap on the buffered body of send(); stream() leaves bounds to its handler.
  std::size_t max_response_bytes = 64u << 20;
  bool follow_redirects = false;
  int max_redirects = 5;
  AddressRules addresses;
  // Longest wait from the start of the exchange until the response headers
  // are complete; zero means no limit of its own (total_timeout still applies).
  std::chrono::milliseconds headers_timeout{0};
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  std::string effective_url;  // differs from the request URL after redirects
};

// Receives a response as it arrives. Returning false from either callback
// ends the transfer early without an error (the handler got what it needed).
class HttpStreamHandler {
 public:
  virtual ~HttpStreamHandler() = default;
  virtual bool on_response_start(int status, const HttpHeaders& headers) = 0;
  virtual bool on_body(std::string_view chunk) = 0;
};

// Lets another thread end a transfer in progress (closing a GET stream).
// Cancelling is sticky: a cancelled token stays cancelled.
//
// Threading: cancel() and cancelled() may be called from any thread, at any
// time, including while the transfer runs; the waker calls are for the
// HttpClient running the transfer. A token is neither copied nor moved (an
// HttpClient holds on to its address while a transfer runs). Its state and
// lock live in Impl (http.cpp), so this header commits to no layout.
class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void cancel();
  bool cancelled() const noexcept;

  // Used by HttpClient implementations: `wake` is called on cancel() while
  // registered. Returns false when already cancelled.
  bool set_waker(std::function<void()> wake);
  void clear_waker();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends the request and buffers the whole response (bounded by
  // max_response_bytes). Throws mcpauth::Error: connection, timeout,
  // response_too_large, cancelled. An HTTP error status is not an exception.
  virtual HttpResponse send(const HttpRequest& request, CancelToken* cancel = nullptr) = 0;

  // Sends the request and hands the response to `handler` piece by piece.
  // Same errors as send(); exceptions thrown by the handler propagate.
  virtual void stream(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel = nullptr) = 0;
};

}  // namespace mcpauth::net
