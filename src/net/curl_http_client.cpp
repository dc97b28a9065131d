#include "mcpauth/net/curl_http_client.hpp"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/version.hpp"

namespace mcpauth::net {
namespace {

constexpr std::size_t kMaxIdleHandles = 16;
// Upper bound on one curl_multi_poll wait, so idle timeouts are noticed.
constexpr long kPollSliceMs = 1000;
// When a handler has what it wanted before the body ends (a Streamable HTTP
// answer on an SSE stream the server is about to close), the rest is read
// and dropped for a little while: a transfer that completes keeps its
// keep-alive connection for the next request, an aborted one closes it.
constexpr std::chrono::milliseconds kDrainGrace{50};
constexpr std::size_t kMaxDrainBytes = 64 * 1024;
// All header lines of one response together (libcurl refuses a single line
// over 100 KB itself; many lines under that would otherwise be kept in full).
constexpr std::size_t kMaxResponseHeaderBytes = 256 * 1024;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw Error(ErrorCode::connection, "libcurl could not be initialised (curl_global_init failed)");
  });
}

struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

std::string trim_header_value(std::string_view v) {
  const auto first = v.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = v.find_last_not_of(" \t\r\n");
  return std::string(v.substr(first, last - first + 1));
}

// State shared with curl's C callbacks during one transfer.
struct Transfer {
  HttpStreamHandler* handler = nullptr;
  HttpHeaders headers;
  bool started = false;
  bool following_redirects = false;
  bool stopped_by_handler = false;
  bool draining = false;  // the handler is done; the rest of the body is dropped
  std::chrono::steady_clock::time_point drain_started;
  std::size_t drained_bytes = 0;
  std::size_t header_bytes = 0;  // of the current response, status line included
  bool saw_status_line = false;
  std::exception_ptr failure;
  AddressRules addresses;
  std::string refused_address;  // an address the rules refused, for the error message
  CURL* easy = nullptr;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();

  bool start() {
    started = true;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    return handler->on_response_start(static_cast<int>(status), headers);
  }
};

Error response_headers_too_large(const std::string& where) {
  return Error(ErrorCode::response_too_large,
               "the response headers from " + where + " are larger than " +
                   std::to_string(kMaxResponseHeaderBytes / 1024) + " KiB (or one header line over 100 KB); the " +
                   "server or a proxy in between sent an oversized header",
               where);
}

std::string url_of(const Transfer& t) {
  char* url = nullptr;
  curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &url);
  return url ? url : "the server";
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  t->last_activity = std::chrono::steady_clock::now();
  if (line == "\r\n" || line == "\n") {
    // End of a header block: the final one starts the response now, so a
    // stream that sends headers and then waits is seen as open at once.
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    const bool interim = status < 200 || (t->following_redirects && status >= 300 && status < 400);
    if (!interim && !t->started) {
      try {
        if (!t->start()) {
          t->stopped_by_handler = true;
          return 0;
        }
      } catch (...) {
        t->failure = std::current_exception();
        return 0;
      }
    }
  } else if (line.rfind("HTTP/", 0) == 0) {
    t->headers = HttpHeaders{};  // a new response (after 1xx or a redirect) starts
    t->header_bytes = line.size();
    t->saw_status_line = true;
  } else if ((t->header_bytes += line.size()) > kMaxResponseHeaderBytes) {
    t->failure = std::make_exception_ptr(response_headers_too_large(url_of(*t)));
    return 0;
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    t->headers.add(std::string(line.substr(0, colon)), trim_header_value(line.substr(colon + 1)));
  }
  return size * count;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->last_activity = std::chrono::steady_clock::now();
  try {
    if (!t->started && !t->start()) {
      t->stopped_by_handler = true;
      return 0;
    }
    if (t->draining) {
      t->drained_bytes += size * count;
      if (t->drained_bytes > kMaxDrainBytes || t->last_activity - t->drain_started >= kDrainGrace) {
        t->stopped_by_handler = true;
        return 0;
      }
      return size * count;
    }
    if (!t->handler->on_body(std::string_view(data, size * count))) {
      t->draining = true;
      t->drain_started = t->last_activity;
      return size * count;
    }
  } catch (...) {
    // Exceptions must not unwind through libcurl's C frames.
    t->failure = std::current_exception();
    return 0;
  }
  return size * count;
}

// A proxy (from the environment) connects for us: the address curl opens is
// the proxy's, so address rules cannot be checked at the socket.
bool proxy_configured(const std::string& url) {
  const bool https = url.rfind("https:", 0) == 0;
  for (const char* name :
       {https ? "https_proxy" : "http_proxy", https ? "HTTPS_PROXY" : "", "all_proxy", "ALL_PROXY"}) {
    if (*name == '\0') continue;
    if (const char* value = std::getenv(name); value && *value) return true;
  }
  return false;
}

std::string address_text(const curl_sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address.family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address.addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else if (address.family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address.addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  }
  return text;
}

// CURLOPT_OPENSOCKETFUNCTION: the last point before connecting, with the
// address DNS gave. Refusing here closes the DNS-rebinding and alias gaps
// that checking the URL's host alone would leave.
curl_socket_t open_checked_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && (address->family == AF_INET || address->family == AF_INET6)) {
    const std::string text = address_text(*address);
    const core::HostKind kind = core::classify_host(text);
    const bool refused = (kind == core::HostKind::loopback && !t->addresses.loopback) ||
                         (kind != core::HostKind::loopback && kind != core::HostKind::name && !t->addresses.link_local);
    if (refused) {
      t->refused_address = text;
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

[[noreturn]] void throw_curl_error(CURLcode rc, const char* detail, const HttpRequest& request) {
  const std::string what = (detail && *detail) ? detail : curl_easy_strerror(rc);
  const std::string where = request.method + " " + request.url;
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      throw Error(ErrorCode::timeout, where + " timed out (" + what + "); the server may be overloaded or unreachable",
                  request.url);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      throw Error(ErrorCode::connection,
                  where + " failed: cannot resolve the host name (" + what + "); check the URL and your network",
                  request.url)
          .mark_never_sent();
    case CURLE_COULDNT_CONNECT:
      throw Error(ErrorCode::connection,
                  where + " failed: cannot connect (" + what + "); is the server running and the port right?",
                  request.url)
          .mark_never_sent();
    case CURLE_SSL_CONNECT_ERROR:
      // OpenSSL's words for a plain-HTTP answer to the TLS hello: a CA bundle would not help.
      if (what.find("wrong version number") != std::string::npos ||
          what.find("packet length too long") != std::string::npos) {
        throw Error(ErrorCode::connection,
                    where + " failed: TLS error (" + what +
                        "); the port answers in plain HTTP, not TLS: use an http:// URL for it",
                    request.url)
            .mark_never_sent();
      }
      [[fallthrough]];
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      throw Error(ErrorCode::connection,
                  where + " failed: TLS error (" + what +
                      "); if the server uses a private CA, set MCPAUTH_CA_BUNDLE to its PEM file",
                  request.url);
    case CURLE_TOO_MANY_REDIRECTS: throw Error(ErrorCode::protocol, where + " failed: too many redirects", request.url);
    case CURLE_UNSUPPORTED_PROTOCOL:
      throw Error(ErrorCode::protocol, where + " failed: redirected to an unsupported scheme (" + what + ")",
                  request.url);
    default: throw Error(ErrorCode::connection, where + " failed: " + what, request.url);
  }
}

// Buffers a whole body for send(), within the request's size cap.
class BufferingHandler final : public HttpStreamHandler {
 public:
  BufferingHandler(HttpResponse& response, const HttpRequest& request) : response_(response), request_(request) {}
  bool on_response_start(int status, const HttpHeaders& headers) override {
    response_.status = status;
    response_.headers = headers;
    return true;
  }
  bool on_body(std::string_view chunk) override {
    if (response_.body.size() + chunk.size() > request_.max_response_bytes) {
      throw Error(ErrorCode::response_too_large,
                  "the response to " + request_.method + " " + request_.url + " is larger than the limit of " +
                      std::to_string(request_.max_response_bytes) + " bytes",
                  request_.url);
    }
    response_.body.append(chunk);
    return true;
  }

 private:
  HttpResponse& response_;
  const HttpRequest& request_;
};

// A curl easy handle with the multi handle that drives it.
struct Handle {
  CURL* easy = curl_easy_init();
  CURLM* multi = curl_multi_init();
  ~Handle() {
    if (multi) curl_multi_cleanup(multi);
    if (easy) curl_easy_cleanup(easy);
  }
};

}  // namespace

class CurlHttpClient::Impl {
 public:
  explicit Impl(CurlHttpClientOptions options) : options_(std::move(options)) {
    if (options_.user_agent.empty()) options_.user_agent = std::string("mcpauth/") + version();
  }
  std::string perform(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel);

 private:
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);

  CurlHttpClientOptions options_;
  std::mutex pool_mutex_;
  // Idle handles keep their connection caches, so keep-alive connections
  // are reused across requests without sharing a handle between threads.
  std::vector<std::unique_ptr<Handle>> idle_;
};

CurlHttpClientOptions CurlHttpClientOptions::from_environment() {
  CurlHttpClientOptions options;
  for (const char* name : {"MCPAUTH_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"}) {
    if (const char* value = std::getenv(name); value && *value) {
      options.ca_bundle = value;
      break;
    }
  }
  return options;
}

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options) {
  global_init_once();
  impl_ = std::make_unique<Impl>(std::move(options));
}

CurlHttpClient::~CurlHttpClient() = default;

std::unique_ptr<Handle> CurlHttpClient::Impl::acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  if (!handle->easy || !handle->multi) throw std::bad_alloc();
  return handle;
}

void CurlHttpClient::Impl::release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(pool_mutex_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

HttpResponse CurlHttpClient::send(const HttpRequest& request, CancelToken* cancel) {
  HttpResponse response;
  BufferingHandler handler(response, request);
  response.effective_url = impl_->perform(request, handler, cancel);
  return response;
}

void CurlHttpClient::stream(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel) {
  impl_->perform(request, handler, cancel);
}

std::string CurlHttpClient::Impl::perform(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel) {
  auto handle = acquire();
  CURL* easy = handle->easy;
  CURLM* multi = handle->multi;
  curl_easy_reset(easy);

  Transfer transfer;
  transfer.handler = &handler;
  transfer.easy = easy;
  transfer.following_redirects = request.follow_redirects;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  std::unique_ptr<curl_slist, SlistDeleter> header_list;
  auto append_header = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(header_list.get(), line.c_str());
    if (!next) throw std::bad_alloc();
    header_list.release();
    header_list.reset(next);
  };
  for (const auto& h : request.headers) append_header(h.name + ": " + h.value);
  append_header("Expect:");  // no 100-continue round trip for JSON bodies

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  transfer.addresses = request.addresses;
  if ((!request.addresses.loopback || !request.addresses.link_local) && !proxy_configured(request.url)) {
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &transfer);
  }

  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    if (request.method == "POST" || !request.body.empty()) {
      // The request outlives the transfer, so curl may use the body in place.
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
    }
    if (request.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  if (cancel && !cancel->set_waker([multi] { curl_multi_wakeup(multi); })) {
    release(std::move(handle));
    throw Error(ErrorCode::cancelled, request.method + " " + request.url + " was cancelled", request.url);
  }
  struct WakerGuard {
    CancelToken* token;
    ~WakerGuard() {
      if (token) token->clear_waker();
    }
  } waker_guard{cancel};

  curl_multi_add_handle(multi, easy);
  CURLcode result = CURLE_OK;
  bool done = false;
  bool idle_expired = false;
  while (!done) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    if (cancel && cancel->cancelled()) break;
    long wait_ms = kPollSliceMs;
    if (transfer.draining) {
      const auto drained_for = std::chrono::steady_clock::now() - transfer.drain_started;
      if (drained_for >= kDrainGrace) break;  // the body does not end: give up the connection, not the answer
      wait_ms = std::min<long>(
          wait_ms,
          static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(kDrainGrace - drained_for).count()) +
              1);
    }
    if (request.idle_timeout.count() > 0) {
      const auto idle_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                  transfer.last_activity);
      if (idle_for >= request.idle_timeout) {
        idle_expired = true;
        break;
      }
      wait_ms = std::min<long>(wait_ms, static_cast<long>((request.idle_timeout - idle_for).count()) + 1);
    }
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  }
  curl_multi_remove_handle(multi, easy);

  char* effective = nullptr;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
  std::string effective_url = effective ? effective : request.url;
  const bool cancelled = !done && cancel && cancel->cancelled();
  release(std::move(handle));

  if (transfer.failure) std::rethrow_exception(transfer.failure);
  if (transfer.draining) return effective_url;  // the handler had all it wanted; how the rest ended is moot
  if (cancelled) throw Error(ErrorCode::cancelled, request.method + " " + request.url + " was cancelled", request.url);
  if (idle_expired) {
    throw Error(ErrorCode::timeout,
                request.method + " " + request.url + " timed out: no data for " +
                    std::to_string(request.idle_timeout.count()) + " ms",
                request.url);
  }
  if (result == CURLE_WRITE_ERROR && transfer.stopped_by_handler) return effective_url;
  if (result != CURLE_OK && !transfer.refused_address.empty()) {
    throw Error(ErrorCode::insecure_url,
                request.method + " " + request.url + " refused: the host resolves to " + transfer.refused_address +
                    ", a loopback, link-local or metadata-service address that a remote server may not send mcpauth to",
                request.url);
  }
  // libcurl answers a header line over its own 100 KB cap with "out of
  // memory"; once a status line has arrived that is what it means.
  if (result == CURLE_OUT_OF_MEMORY && transfer.saw_status_line && !transfer.started) {
    throw response_headers_too_large(effective_url);
  }
  if (result != CURLE_OK) throw_curl_error(result, error_buffer, request);
  if (!transfer.started && !transfer.start()) return effective_url;  // empty body
  return effective_url;
}

}  // namespace mcpauth::net
