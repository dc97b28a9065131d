#include "curl_transfer.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>

#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/core/platform/sigpipe.hpp"
#include "mcpauth_internal/platform/ip_address.hpp"
#include "mcpauth_internal/platform/socket.hpp"

namespace mcpauth::net::detail {
namespace {

// When a handler has what it wanted before the body ends (a Streamable HTTP
// answer on an SSE stream the server is about to close), the rest is read
// and dropped for a little while: a transfer that completes keeps its
// keep-alive connection for the next request, an aborted one closes it.
constexpr std::chrono::milliseconds kDrainGrace{50};
constexpr std::size_t kMaxDrainBytes = 64 * 1024;
// All header lines of one response together (libcurl refuses a single line
// over 100 KB itself; many lines under that would otherwise be kept in full).
constexpr std::size_t kMaxResponseHeaderBytes = 256 * 1024;

std::string trim_header_value(std::string_view v) {
  const auto first = v.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = v.find_last_not_of(" \t\r\n");
  return std::string(v.substr(first, last - first + 1));
}

Error response_headers_too_large(const std::string& where) {
  return Error(ErrorCode::response_too_large,
               "the response headers from " + where + " are larger than " +
                   std::to_string(kMaxResponseHeaderBytes / 1024) + " KiB (or one header line over 100 KB); the " +
                   "server or a proxy in between sent an oversized header",
               where);
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

}  // namespace

void curl_global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw Error(ErrorCode::connection, "libcurl could not be initialised (curl_global_init failed)");
  });
}

CookieShare::CookieShare() : share_(curl_share_init()) {
  if (!share_) throw std::bad_alloc();
  curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CookieShare::lock);
  curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CookieShare::unlock);
  curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
}

CookieShare::~CookieShare() {
  curl_share_cleanup(share_);
}

// One lock for everything shared: only cookies are, and their uses are brief.
void CookieShare::lock(CURL*, curl_lock_data, curl_lock_access, void* user) {
  static_cast<CookieShare*>(user)->mutex_.lock();
}

void CookieShare::unlock(CURL*, curl_lock_data, void* user) {
  static_cast<CookieShare*>(user)->mutex_.unlock();
}

CurlTransfer::CurlTransfer(CURL* easy, const HttpRequest& request, HttpStreamHandler& handler)
    : easy_(easy), request_(request), handler_(handler) {}

bool CurlTransfer::start() {
  started_ = true;
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  return handler_.on_response_start(static_cast<int>(status), headers_);
}

std::string CurlTransfer::effective_url() const {
  char* url = nullptr;
  curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &url);
  return url ? url : request_.url;
}

size_t CurlTransfer::on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  const std::string_view line(data, size * count);
  t->last_activity_ = std::chrono::steady_clock::now();
  if (line == "\r\n" || line == "\n") {
    // End of a header block: the final one starts the response now, so a
    // stream that sends headers and then waits is seen as open at once.
    long status = 0;
    curl_easy_getinfo(t->easy_, CURLINFO_RESPONSE_CODE, &status);
    const bool interim = status < 200 || (t->request_.follow_redirects && status >= 300 && status < 400);
    if (!interim && !t->started_) {
      try {
        if (!t->start()) {
          t->stopped_by_handler_ = true;
          return 0;
        }
      } catch (...) {
        t->failure_ = std::current_exception();
        return 0;
      }
    }
  } else if (line.rfind("HTTP/", 0) == 0) {
    t->headers_ = HttpHeaders{};  // a new response (after 1xx or a redirect) starts
    t->header_bytes_ = line.size();
    t->saw_status_line_ = true;
  } else if ((t->header_bytes_ += line.size()) > kMaxResponseHeaderBytes) {
    t->failure_ = std::make_exception_ptr(response_headers_too_large(t->effective_url()));
    return 0;
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    t->headers_.add(std::string(line.substr(0, colon)), trim_header_value(line.substr(colon + 1)));
  }
  return size * count;
}

size_t CurlTransfer::on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  t->last_activity_ = std::chrono::steady_clock::now();
  try {
    if (!t->started_ && !t->start()) {
      t->stopped_by_handler_ = true;
      return 0;
    }
    if (t->draining_) {
      t->drained_bytes_ += size * count;
      if (t->drained_bytes_ > kMaxDrainBytes || t->last_activity_ - t->drain_started_ >= kDrainGrace) {
        t->stopped_by_handler_ = true;
        return 0;
      }
      return size * count;
    }
    if (!t->handler_.on_body(std::string_view(data, size * count))) {
      t->draining_ = true;
      t->drain_started_ = t->last_activity_;
      return size * count;
    }
  } catch (...) {
    // Exceptions must not unwind through libcurl's C frames.
    t->failure_ = std::current_exception();
    return 0;
  }
  return size * count;
}

// CURLOPT_OPENSOCKETFUNCTION: the last point before connecting, with the
// address DNS gave. Refusing here closes the DNS-rebinding and alias gaps
// that checking the URL's host alone would leave.
curl_socket_t CurlTransfer::open_checked_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<CurlTransfer*>(user);
  const auto ip = platform::ip_address_of(&address->addr);
  if (purpose == CURLSOCKTYPE_IPCXN && ip) {
    const std::string text = platform::format_ip_address(*ip);
    const core::HostKind kind = core::classify_host(text);
    const AddressRules& rules = t->request_.addresses;
    const bool refused = (kind == core::HostKind::loopback && !rules.loopback) ||
                         (kind != core::HostKind::loopback && kind != core::HostKind::name && !rules.link_local);
    if (refused) {
      t->refused_address_ = text;
      return CURL_SOCKET_BAD;
    }
  }
  namespace decisions = core::platform;
  const bool no_sigpipe_option =
      decisions::sigpipe_guard(decisions::current_os()) == decisions::SigpipeGuard::socket_option;
  const platform::NativeSocket socket =
      platform::open_socket(address->family, address->socktype, address->protocol, no_sigpipe_option);
  return socket == platform::kInvalidSocket ? CURL_SOCKET_BAD : static_cast<curl_socket_t>(socket);
}

void CurlTransfer::setup(const EasySettings& settings) {
  const HttpRequest& request = request_;
  CURL* easy = easy_;
  // A pooled handle of a client with a jar turned the cookie engine on last
  // time, and libcurl 7.88's reset keeps (and, once the engine is turned on
  // again below, leaks) the list of cookie files that made. Clearing the
  // files first frees it; the jar's cookies are the share's and stay.
  if (settings.cookie_share) curl_easy_setopt(easy, CURLOPT_COOKIEFILE, static_cast<const char*>(nullptr));
  curl_easy_reset(easy);

  auto append_header = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(header_list_.get(), line.c_str());
    if (!next) throw std::bad_alloc();
    header_list_.release();
    header_list_.reset(next);
  };
  for (const auto& h : request.headers) append_header(h.name + ": " + h.value);
  append_header("Expect:");  // no 100-continue round trip for JSON bodies

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, settings.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, settings.ca_bundle.c_str());
  curl_easy_setopt(easy, CURLOPT_IPRESOLVE, settings.ipv4_only ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_WHATEVER);
  if (settings.cookie_share) {
    curl_easy_setopt(easy, CURLOPT_SHARE, settings.cookie_share);
    curl_easy_setopt(easy, CURLOPT_COOKIEFILE, "");  // the engine on, reading no file
  }
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list_.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
  if ((!request.addresses.loopback || !request.addresses.link_local) && !proxy_configured(request.url)) {
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
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
}

CurlTransfer::Watch CurlTransfer::watch(long& wait_ms) const {
  const auto now = std::chrono::steady_clock::now();
  if (draining_) {
    const auto drained_for = now - drain_started_;
    if (drained_for >= kDrainGrace) return Watch::drain_over;  // the body does not end: give up the connection
    wait_ms = std::min<long>(
        wait_ms,
        static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(kDrainGrace - drained_for).count()) +
            1);
  }
  if (request_.idle_timeout.count() > 0) {
    const auto idle_for = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_activity_);
    if (idle_for >= request_.idle_timeout) return Watch::idle_expired;
    wait_ms = std::min<long>(wait_ms, static_cast<long>((request_.idle_timeout - idle_for).count()) + 1);
  }
  if (request_.headers_timeout.count() > 0 && !started_) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - created_);
    if (waited >= request_.headers_timeout) return Watch::idle_expired;
    wait_ms = std::min<long>(wait_ms, static_cast<long>((request_.headers_timeout - waited).count()) + 1);
  }
  return Watch::go;
}

void CurlTransfer::finish(bool done, CURLcode result, bool cancelled, bool idle_expired) {
  const HttpRequest& request = request_;
  if (failure_) std::rethrow_exception(failure_);
  if (draining_) return;  // the handler had all it wanted; how the rest ended is moot
  if (cancelled) throw Error(ErrorCode::cancelled, request.method + " " + request.url + " was cancelled", request.url);
  if (idle_expired && !started_ && request.headers_timeout.count() > 0 &&
      std::chrono::steady_clock::now() - created_ >= request.headers_timeout) {
    throw Error(ErrorCode::timeout,
                request.method + " " + request.url + " timed out: no response headers within " +
                    std::to_string(request.headers_timeout.count()) + " ms",
                request.url);
  }
  if (idle_expired) {
    throw Error(ErrorCode::timeout,
                request.method + " " + request.url + " timed out: no data for " +
                    std::to_string(request.idle_timeout.count()) + " ms",
                request.url);
  }
  if (!done) result = CURLE_FAILED_INIT;  // the multi handle failed
  if (result == CURLE_WRITE_ERROR && stopped_by_handler_) return;
  if (result != CURLE_OK && !refused_address_.empty()) {
    throw Error(ErrorCode::insecure_url,
                request.method + " " + request.url + " refused: the host resolves to " + refused_address_ +
                    ", a loopback, link-local or metadata-service address that a remote server may not send mcpauth to",
                request.url);
  }
  // libcurl answers a header line over its own 100 KB cap with "out of
  // memory"; once a status line has arrived that is what it means.
  if (result == CURLE_OUT_OF_MEMORY && saw_status_line_ && !started_) {
    throw response_headers_too_large(effective_url());
  }
  if (result != CURLE_OK) throw_curl_error(result, error_buffer_, request);
  if (!started_) start();  // an empty body
}

}  // namespace mcpauth::net::detail
