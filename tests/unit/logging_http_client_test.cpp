// The debug log of HTTP exchanges (net/logging_http_client): one line per
// exchange with the method, the redacted URL, the outcome, the size, the
// credentials' scheme only, the bodies described without secrets, and a
// refusal's challenge.
#include "mcpauth/net/logging_http_client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "scripted_http_client.hpp"

namespace mcpauth::net {
namespace {

using test_support::ScriptedHttpClient;

class Collect final : public HttpStreamHandler {
 public:
  bool on_response_start(int, const HttpHeaders&) override { return true; }
  bool on_body(std::string_view chunk) override {
    body += chunk;
    return true;
  }
  std::string body;
};

struct Logged {
  std::shared_ptr<ScriptedHttpClient> inner = std::make_shared<ScriptedHttpClient>();
  std::vector<std::string> lines;
  std::shared_ptr<HttpClient> http =
      with_exchange_log(inner, [this](const std::string& line) { lines.push_back(line); });
  // The lines with each duration written "T ms": the time varies, the rest must not.
  std::vector<std::string> stable() const {
    std::vector<std::string> out;
    for (const auto& line : lines) out.push_back(std::regex_replace(line, std::regex(", [0-9]+ ms\\)"), ", T ms)"));
    return out;
  }
};

HttpHeaders header(const std::string& name, const std::string& value) {
  HttpHeaders h;
  h.set(name, value);
  return h;
}

TEST(LoggingHttpClient, WithoutASinkTheClientIsLeftAsItIs) {
  auto inner = std::make_shared<ScriptedHttpClient>();
  EXPECT_EQ(with_exchange_log(inner, nullptr).get(), inner.get());
}

TEST(LoggingHttpClient, ATokenExchangeShowsItsShapeAndNoSecret) {
  Logged log;
  log.inner->then(
      200, header("Content-Type", "application/json"),
      R"({"access_token":"at-s3cret","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-s3cret"})");
  HttpRequest request;
  request.method = "POST";
  request.url = "https://as.example/token";
  request.headers.set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.set("Authorization", "Basic Y2xpZW50OmNsaWVudC1zM2NyZXQ=");
  request.headers.set("DPoP", "eyJ-proof-s3cret");
  request.body = "grant_type=authorization_code&code=c0de-s3cret&code_verifier=v-s3cret&client_secret=cs-s3cret";
  EXPECT_EQ(log.http->send(request).status, 200);
  ASSERT_EQ(log.stable().size(), 1u);
  EXPECT_EQ(log.stable()[0],
            "POST https://as.example/token -> 200 (96 bytes, T ms); credentials Basic; DPoP proof; sent "
            "form{grant_type=authorization_code code=[redacted] code_verifier=[redacted] client_secret=[redacted]}; "
            "got json{access_token token_type=Bearer expires_in=3600 refresh_token}");
  EXPECT_EQ(log.lines[0].find("s3cret"), std::string::npos);
  EXPECT_EQ(log.lines[0].find("Y2xp"), std::string::npos);
}

TEST(LoggingHttpClient, ARefusalShowsItsChallengeAndAStreamItsSize) {
  Logged log;
  log.inner->then(401, header("WWW-Authenticate", R"(Bearer resource_metadata="https://m/.well-known/prm")"))
      .then(200, header("Content-Type", "text/event-stream"), "data: {}\n\n");
  HttpRequest post;
  post.method = "POST";
  post.url = "https://m.example/mcp?api_key=k3y";
  post.headers.set("Content-Type", "application/json");
  post.headers.set("Authorization", "Bearer at-s3cret");
  post.body = R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"text":"private"}}})";
  log.http->send(post);
  Collect collect;
  log.http->stream(post, collect);
  EXPECT_EQ(collect.body, "data: {}\n\n");
  const auto lines = log.stable();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "POST https://m.example/mcp?api_key=[redacted] -> 401 (0 bytes, T ms); credentials Bearer; sent "
            "json{jsonrpc=2.0 id=7 method=tools/call params}; challenge Bearer "
            "resource_metadata=\"https://m/.well-known/prm\"");
  EXPECT_EQ(lines[1],
            "POST https://m.example/mcp?api_key=[redacted] -> 200 (10 bytes, T ms); credentials Bearer; sent "
            "json{jsonrpc=2.0 id=7 method=tools/call params}");
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
    EXPECT_EQ(line.find("k3y"), std::string::npos) << line;
    EXPECT_EQ(line.find("private"), std::string::npos) << line;
  }
}

TEST(LoggingHttpClient, AFailureIsLoggedAndRethrown) {
  Logged log;
  log.inner->then(
      [](const HttpRequest& r) -> HttpResponse { throw Error(ErrorCode::connection, "cannot connect to " + r.url); });
  HttpRequest get;
  get.url = "https://down.example/";
  EXPECT_THROW(log.http->send(get), Error);
  ASSERT_EQ(log.stable().size(), 1u);
  EXPECT_EQ(log.stable()[0],
            "GET https://down.example/ -> failed: cannot connect to https://down.example/ (0 bytes, "
            "T ms)");
}

}  // namespace
}  // namespace mcpauth::net
