// LoopbackConsent writes to no stream of its own: the caller says where the
// user's progress lines (the URL to open) go.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <string>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/net/curl_http_client.hpp"

namespace mcpauth::auth {
namespace {

TEST(LoopbackConsentOptions, ANotifySinkIsRequired) {
  try {
    LoopbackConsent consent{LoopbackConsentOptions{}};
    FAIL() << "constructed without a notify sink";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("notify"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(LoopbackConsent(LoopbackConsentOptions{.notify = [](const std::string&) {}}));
}

LoopbackConsentOptions quiet(std::function<void(const std::string&)> notify = [](const std::string&) {}) {
  LoopbackConsentOptions options;
  options.open_browser = false;
  options.notify = std::move(notify);
  return options;
}

ErrorCode construction_error(const LoopbackConsentOptions& options) {
  try {
    LoopbackConsent consent{options};
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::protocol;  // constructed: not what the callers expect
}

TEST(LoopbackConsentOptions, TheRedirectHostIsALoopbackNameAndNamesTheRedirectUri) {
  for (const char* host : {"127.0.0.1", "localhost", "[::1]"}) {
    LoopbackConsentOptions options = quiet();
    options.redirect_host = host;
    auto session = LoopbackConsent(options).begin("https://as.example");
    const core::Url redirect = core::parse_url(session->redirect_uri());
    EXPECT_EQ(redirect.host, host);
    EXPECT_EQ(redirect.path, "/callback");
    EXPECT_GT(redirect.port, 0);
  }
  for (const char* host : {"example.com", "10.0.0.1", "localhost.", "127.0.0.1:80", ""}) {
    LoopbackConsentOptions options = quiet();
    options.redirect_host = host;
    EXPECT_EQ(construction_error(options), ErrorCode::usage) << host;
  }
}

TEST(LoopbackConsentOptions, TheSuccessUrlIsHttpsOrLoopbackWithoutQueryOrFragment) {
  for (const char* url : {"https://app.example.com/cli-connected", "http://127.0.0.1:9/done", "http://localhost/"}) {
    LoopbackConsentOptions options = quiet();
    options.success_url = url;
    EXPECT_NO_THROW(LoopbackConsent{options}) << url;
  }
  for (const char* url :
       {"http://app.example.com/done", "https://app.example.com/done?x=1", "https://app.example.com/done#top",
        "https://user:pw@app.example.com/", "ftp://x/", "not a url"}) {
    LoopbackConsentOptions options = quiet();
    options.success_url = url;
    EXPECT_EQ(construction_error(options), ErrorCode::usage) << url;
  }
}

TEST(LoopbackConsentOptions, AnAcceptedCallbackSendsTheBrowserToTheSuccessUrlWithNothingAppended) {
  std::mutex mutex;
  std::condition_variable cv;
  bool waiting = false;
  LoopbackConsentOptions options = quiet([&](const std::string& line) {
    if (line.rfind("Waiting for the authorization", 0) != 0) return;
    std::lock_guard lock(mutex);
    waiting = true;
    cv.notify_all();
  });
  options.success_url = "https://app.example.com/cli-connected";
  auto session = LoopbackConsent(options).begin("https://as.example");
  const ConsentPrompt prompt{"https://as.example/authorize?x=1", "https://as.example", "https://mcp.example/mcp",
                             "st4te", std::chrono::minutes(5)};
  auto answer = std::async(std::launch::async, [&] { return session->await(prompt); });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return waiting; });
  }
  net::CurlHttpClient http;
  net::HttpRequest stray;
  stray.url = session->redirect_uri() + "?code=c0de&state=other";
  EXPECT_EQ(http.send(stray).status, 400);  // not this flow's: no redirect

  net::HttpRequest callback;
  callback.url = session->redirect_uri() + "?code=c0de&state=st4te&iss=https%3A%2F%2Fas.example";
  const net::HttpResponse response = http.send(callback);
  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(response.headers.get("Location"), "https://app.example.com/cli-connected");
  EXPECT_EQ(response.headers.get("Cache-Control"), "no-store");
  const core::oauth::FormFields fields = answer.get();
  const std::string* code = core::oauth::find_field(fields, "code");
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, "c0de");
}

}  // namespace
}  // namespace mcpauth::auth
