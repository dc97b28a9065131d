// One libcurl transfer, as both HTTP clients run it: the easy handle's
// setup (timeouts, protocols, TLS, address rules, headers, method and body),
// the header and body callbacks that feed an HttpStreamHandler within the
// header cap, the idle and drain bounds a driver checks between polls, and
// how a finished transfer's outcome becomes an Error. CurlHttpClient drives
// one transfer on its caller's thread, CurlMultiLoop many on its loop
// thread; this file is what they share. Internal to net/.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <string>

#include "mcpauth/net/http.hpp"

namespace mcpauth::net::detail {

// Initialises libcurl once per process; throws Error(connection) if it cannot.
void curl_global_init_once();

struct EasySettings {
  std::string user_agent;
  std::string ca_bundle;  // empty: the system store
  bool ipv4_only = false;
  CURLSH* cookie_share = nullptr;  // the cookie jar every handle of a client shares; null: no cookies
};

// An in-memory cookie jar shared by the easy handles of one client (any
// threads: curl calls the lock functions around each use).
class CookieShare {
 public:
  CookieShare();
  ~CookieShare();
  CookieShare(const CookieShare&) = delete;
  CookieShare& operator=(const CookieShare&) = delete;
  CURLSH* get() const noexcept { return share_; }

 private:
  static void lock(CURL*, curl_lock_data, curl_lock_access, void* user);
  static void unlock(CURL*, curl_lock_data, void* user);
  CURLSH* share_;
  std::mutex mutex_;
};

struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

// State shared with curl's C callbacks during one transfer. Lives at a fixed
// address from setup() until the transfer is finished (curl holds pointers
// to it, to its request's body and to its header list).
class CurlTransfer {
 public:
  CurlTransfer(CURL* easy, const HttpRequest& request, HttpStreamHandler& handler);
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  // Resets the easy handle and sets every option of the request on it.
  void setup(const EasySettings& settings);

  // What a driver does next: go on waiting (at most `wait_ms`), or stop the
  // transfer because the handler's drain grace is over or the idle timeout
  // expired.
  enum class Watch { go, drain_over, idle_expired };
  Watch watch(long& wait_ms) const;

  // The transfer's end, once curl removed it (or the driver stopped it):
  // returns normally when it succeeded (a handler that stopped early, a
  // drained body), else throws the Error it means (a handler's exception as
  // thrown). `result` is meaningless unless `done`.
  void finish(bool done, CURLcode result, bool cancelled, bool idle_expired);

  std::string effective_url() const;
  CURL* easy() const noexcept { return easy_; }
  const HttpRequest& request() const noexcept { return request_; }

 private:
  static size_t on_header(char* data, size_t size, size_t count, void* user);
  static size_t on_write(char* data, size_t size, size_t count, void* user);
  static curl_socket_t open_checked_socket(void* user, curlsocktype purpose, curl_sockaddr* address);

  bool start();

  CURL* easy_;
  const HttpRequest& request_;
  HttpStreamHandler& handler_;
  std::unique_ptr<curl_slist, SlistDeleter> header_list_;
  char error_buffer_[CURL_ERROR_SIZE] = {0};
  HttpHeaders headers_;
  bool started_ = false;
  bool stopped_by_handler_ = false;
  bool draining_ = false;  // the handler is done; the rest of the body is dropped
  std::chrono::steady_clock::time_point drain_started_;
  std::size_t drained_bytes_ = 0;
  std::size_t header_bytes_ = 0;  // of the current response, status line included
  bool saw_status_line_ = false;
  std::exception_ptr failure_;
  std::string refused_address_;  // an address the rules refused, for the error message
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
  const std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();  // for headers_timeout
};

}  // namespace mcpauth::net::detail
