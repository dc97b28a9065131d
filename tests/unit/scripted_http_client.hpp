// An HttpClient that answers from a script, in order, and records every
// request it was given: in-process tests of the layers above net/ without a
// socket. A request beyond the script fails the test with a clear message.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "mcpauth/error.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::test_support {

class ScriptedHttpClient final : public net::HttpClient {
 public:
  using Responder = std::function<net::HttpResponse(const net::HttpRequest&)>;

  // The next answer, whatever the request.
  ScriptedHttpClient& then(int status, net::HttpHeaders headers = {}, std::string body = {}) {
    net::HttpResponse response{status, std::move(headers), std::move(body), {}};
    return then([response](const net::HttpRequest&) { return response; });
  }
  // The next answer, made from the request (e.g. a JSON-RPC response with its id).
  ScriptedHttpClient& then(Responder responder) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(responder));
    return *this;
  }

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* = nullptr) override {
    net::HttpResponse response = next(request);
    response.effective_url = request.url;
    return response;
  }

  // Delivers the scripted body in two pieces, as a network would.
  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* = nullptr) override {
    const net::HttpResponse response = next(request);
    if (!handler.on_response_start(response.status, response.headers)) return;
    const std::string_view body = response.body;
    const std::size_t half = body.size() / 2;
    if (!body.empty() && handler.on_body(body.substr(0, half))) handler.on_body(body.substr(half));
  }

  std::vector<net::HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t unanswered() const {
    std::lock_guard lock(mutex_);
    return script_.size();
  }

 private:
  net::HttpResponse next(const net::HttpRequest& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (script_.empty()) {
      ADD_FAILURE() << "unscripted request: " << request.method << " " << request.url;
      throw Error(ErrorCode::connection, "no scripted answer for " + request.method + " " + request.url);
    }
    Responder responder = std::move(script_.front());
    script_.pop_front();
    return responder(request);
  }

  mutable std::mutex mutex_;
  std::deque<Responder> script_;
  std::vector<net::HttpRequest> requests_;
};

}  // namespace mcpauth::test_support
