#include "mcpauth/net/logging_http_client.hpp"

#include <chrono>
#include <utility>

#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/core/redact.hpp"

namespace mcpauth::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

// What a body is, as a log may show it (see redact.hpp); "" for none.
std::string describe_body(const HttpHeaders& headers, std::string_view body) {
  if (body.empty()) return "";
  const std::string type = core::lower(headers.get("Content-Type").value_or(""));
  if (type.find("application/x-www-form-urlencoded") != std::string::npos) return core::describe_form(body);
  if (type.find("json") != std::string::npos) {
    std::string json = core::describe_json(body);
    if (!json.empty()) return json;
  }
  return std::to_string(body.size()) + " bytes";
}

// The request's credentials by kind only: the scheme of its Authorization
// header (Bearer, DPoP, Basic), and whether a DPoP proof goes with it.
std::string describe_credentials(const HttpRequest& request) {
  std::string out;
  if (const auto authorization = request.headers.get("Authorization")) {
    const std::string scheme = authorization->substr(0, authorization->find(' '));
    out += "; credentials " + (scheme.size() == authorization->size() ? std::string("(no scheme)") : scheme);
  }
  if (request.headers.contains("DPoP")) out += "; DPoP proof";
  return out;
}

// Passes the response on, noting its status, headers and size for the line.
class Tap final : public HttpStreamHandler {
 public:
  explicit Tap(HttpStreamHandler& inner) : inner_(inner) {}
  bool on_response_start(int status, const HttpHeaders& headers) override {
    status_ = status;
    headers_ = headers;
    return inner_.on_response_start(status, headers);
  }
  bool on_body(std::string_view chunk) override {
    bytes_ += chunk.size();
    return inner_.on_body(chunk);
  }
  int status() const { return status_; }
  const HttpHeaders& headers() const { return headers_; }
  std::size_t bytes() const { return bytes_; }

 private:
  HttpStreamHandler& inner_;
  int status_ = 0;
  HttpHeaders headers_;
  std::size_t bytes_ = 0;
};

class LoggingHttpClient final : public HttpClient {
 public:
  LoggingHttpClient(std::shared_ptr<HttpClient> inner, std::function<void(const std::string&)> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}

  HttpResponse send(const HttpRequest& request, CancelToken* cancel) override {
    const auto start = SteadyClock::now();
    try {
      HttpResponse response = inner_->send(request, cancel);
      std::string got = describe_body(response.headers, response.body);
      write(request, start, std::to_string(response.status), response.body.size(), response.status, response.headers,
            got.empty() ? got : "; got " + got);
      return response;
    } catch (const Error& e) {
      write(request, start, std::string("failed: ") + e.what(), 0, 0, {}, "");
      throw;
    }
  }

  void stream(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel) override {
    const auto start = SteadyClock::now();
    Tap tap(handler);
    try {
      inner_->stream(request, tap, cancel);
      write(request, start, std::to_string(tap.status()), tap.bytes(), tap.status(), tap.headers(), "");
    } catch (const Error& e) {
      const std::string status = tap.status() ? std::to_string(tap.status()) + ", then " : std::string();
      write(request, start, status + "failed: " + e.what(), tap.bytes(), tap.status(), tap.headers(), "");
      throw;
    }
  }

 private:
  void write(const HttpRequest& request, SteadyClock::time_point start, const std::string& outcome, std::size_t bytes,
             int status, const HttpHeaders& headers, const std::string& got) const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
    std::string line = request.method + " " + core::redact_url(request.url) + " -> " + outcome + " (" +
                       std::to_string(bytes) + " bytes, " + std::to_string(ms) + " ms)";
    line += describe_credentials(request);
    if (const std::string sent = describe_body(request.headers, request.body); !sent.empty()) line += "; sent " + sent;
    line += got;
    if (status == 401 || status == 403) {
      for (const auto& challenge : headers.get_all("WWW-Authenticate")) line += "; challenge " + challenge;
    }
    log_(core::printable(line));
  }

  std::shared_ptr<HttpClient> inner_;
  std::function<void(const std::string&)> log_;
};

}  // namespace

std::shared_ptr<HttpClient> with_exchange_log(std::shared_ptr<HttpClient> inner,
                                              std::function<void(const std::string&)> log) {
  if (!log) return inner;
  return std::make_shared<LoggingHttpClient>(std::move(inner), std::move(log));
}

}  // namespace mcpauth::net
