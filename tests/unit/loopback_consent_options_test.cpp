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

// A session whose await() runs on its own thread, waiting for its callback.
class Awaiting {
 public:
  explicit Awaiting(LoopbackConsentOptions options) {
    options.notify = [this](const std::string& line) {
      if (line.rfind("Waiting for the authorization", 0) != 0) return;
      std::lock_guard lock(mutex_);
      waiting_ = true;
      cv_.notify_all();
    };
    session = LoopbackConsent(options).begin("https://as.example");
    fields = std::async(std::launch::async, [this] { return session->await(prompt_); });
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return waiting_; });
  }

  // The browser's request for the redirect with `query`, under way on its own thread.
  std::future<net::HttpResponse> browser(const std::string& query) const {
    return std::async(std::launch::async, [url = session->redirect_uri() + "?" + query] {
      net::CurlHttpClient http;
      net::HttpRequest request;
      request.url = url;
      return http.send(request);
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool waiting_ = false;
  const ConsentPrompt prompt_{"https://as.example/authorize?x=1", "https://as.example", "https://mcp.example/mcp",
                              "st4te", std::chrono::minutes(5)};

 public:
  std::unique_ptr<ConsentSession> session;
  std::future<core::oauth::FormFields> fields;
};

constexpr const char* kCallback = "code=c0de&state=st4te&iss=https%3A%2F%2Fas.example";

// The browser is sent to the host's page only once the authorization is
// done (mcp-remote's order): the callback's answer waits for finished().
TEST(LoopbackConsentOptions, TheBrowserGoesToTheSuccessUrlWithNothingAppendedOnceAuthorized) {
  LoopbackConsentOptions options = quiet();
  options.success_url = "https://app.example.com/cli-connected";
  Awaiting consent(options);
  EXPECT_EQ(consent.browser("code=c0de&state=other").get().status, 400);  // not this flow's: no redirect

  auto browser = consent.browser(kCallback);
  const core::oauth::FormFields fields = consent.fields.get();
  const std::string* code = core::oauth::find_field(fields, "code");
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, "c0de");
  consent.session->finished(true);
  const net::HttpResponse response = browser.get();
  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(response.headers.get("Location"), "https://app.example.com/cli-connected");
  EXPECT_EQ(response.headers.get("Cache-Control"), "no-store");
}

TEST(LoopbackConsentOptions, AFailedAuthorizationShowsItsPageAndNeverTheSuccessUrl) {
  LoopbackConsentOptions options = quiet();
  options.success_url = "https://app.example.com/cli-connected";
  Awaiting consent(options);
  auto browser = consent.browser(kCallback);
  consent.fields.get();
  consent.session->finished(false);
  const net::HttpResponse response = browser.get();
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.headers.get("Location"));
  EXPECT_NE(response.body.find("Authorization not completed"), std::string::npos) << response.body;
}

TEST(LoopbackConsentOptions, TheBuiltInPageSaysAuthorizedOnlyOnceAuthorized) {
  Awaiting consent(quiet());
  auto browser = consent.browser(kCallback);
  consent.fields.get();
  consent.session->finished(true);
  const net::HttpResponse response = browser.get();
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("<h1>Authorized</h1>"), std::string::npos) << response.body;
}

// An owner that never says how it ended (a host driving the session by
// hand): the browser still gets a page when the session ends, not a reset.
TEST(LoopbackConsentOptions, ASessionEndedWithoutAnOutcomeStillAnswersTheBrowser) {
  Awaiting consent(quiet());
  auto browser = consent.browser(kCallback);
  consent.fields.get();
  consent.session.reset();
  const net::HttpResponse response = browser.get();
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("Authorization received"), std::string::npos) << response.body;
}

}  // namespace
}  // namespace mcpauth::auth
