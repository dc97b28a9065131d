// The scripted world of the Authorizer tests: one MCP server, its protected
// resource metadata, one authorization server, a consent that approves at
// once (or when a test's gate opens), and a fixture that sends requests
// through the credentials seam. Shared by authorizer_scripted_test.cpp and
// authorizer_needs_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "form_field.hpp"
#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/core/json.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/mcp/authorizing_http_client.hpp"
#include "scripted_http_client.hpp"
#include "test_gate.hpp"

namespace mcpauth::auth::scripted {

using test_support::ScriptedHttpClient;
using Json = nlohmann::json;

inline constexpr const char* kServer = "https://mcp.example/mcp";
inline constexpr const char* kPrm = "https://mcp.example/.well-known/oauth-protected-resource/mcp";
inline constexpr const char* kIssuer = "https://as.example";

// Approves at once, answering with the state and issuer it was shown.
class ApprovingConsent final : public ConsentHandler {
 public:
  int consents = 0;
  std::string last_url;                       // the authorization URL of the last consent
  test_support::Gate* hold_first = nullptr;   // when set, the first consent waits here
  test_support::Gate* hold_second = nullptr;  // when set, the second consent waits here
  std::unique_ptr<ConsentSession> begin(const std::string&) override {
    ++consents;
    return std::make_unique<Session>(last_url, consents == 1 ? hold_first : consents == 2 ? hold_second : nullptr);
  }

 private:
  struct Session final : ConsentSession {
    Session(std::string& url, test_support::Gate* gate) : url_(url), gate_(gate) {}
    std::string redirect_uri() const override { return "http://127.0.0.1:8765/callback"; }
    core::oauth::FormFields await(const ConsentPrompt& prompt) override {
      url_ = prompt.authorization_url;
      if (gate_) gate_->arrive_and_wait();  // the user takes their time
      if (cancelled_) throw Error(ErrorCode::cancelled, "cancelled");
      return {{"code", "the-code"}, {"state", prompt.state}, {"iss", prompt.issuer}};
    }
    void cancel() override {
      cancelled_ = true;
      if (gate_) gate_->open();
    }
    std::string& url_;
    test_support::Gate* gate_;
    std::atomic<bool> cancelled_{false};
  };
};

inline std::string prm_json(const std::string& scopes = "read write") {
  return Json{{"resource", kServer},
              {"authorization_servers", {kIssuer}},
              {"scopes_supported", core::oauth::scope_list(scopes)}}
      .dump();
}

inline std::string as_json() {
  return Json{{"issuer", kIssuer},
              {"authorization_endpoint", "https://as.example/authorize"},
              {"token_endpoint", "https://as.example/token"},
              {"registration_endpoint", "https://as.example/register"},
              {"code_challenge_methods_supported", {"S256"}},
              {"scopes_supported", {"read", "offline_access"}},
              {"authorization_response_iss_parameter_supported", true}}
      .dump();
}

inline const net::HttpHeaders kJson{{"Content-Type", "application/json"}};

inline std::string tokens_json(const std::string& access, const std::string& scope = "read write") {
  return Json{{"access_token", access},
              {"token_type", "Bearer"},
              {"expires_in", 3600},
              {"refresh_token", "rt-" + access},
              {"scope", scope}}
      .dump();
}

// A dynamic registration's answer: client dyn-1 at the consent's redirect URI.
inline std::string registration_json() {
  return Json{{"client_id", "dyn-1"}, {"redirect_uris", {"http://127.0.0.1:8765/callback"}}}.dump();
}

// Discovery (the protected resource metadata, the authorization server's)
// and a dynamic registration, answered in that order; for chaining.
inline ScriptedHttpClient& script_registration(ScriptedHttpClient& http) {
  return http.then(200, kJson, prm_json()).then(200, kJson, as_json()).then(201, kJson, registration_json());
}

inline core::oauth::FormFields form_of(const std::string& body) {
  return core::oauth::parse_form(body);
}

using testing::expect_fields;
using testing::field;

struct Fixture {
  std::shared_ptr<ScriptedHttpClient> http = std::make_shared<ScriptedHttpClient>();
  std::shared_ptr<ApprovingConsent> consent = std::make_shared<ApprovingConsent>();
  std::shared_ptr<Authorizer> authorizer;
  std::shared_ptr<net::HttpClient> client;

  std::vector<std::string> notes;  // the notify() lines

  // consent_in_requests false: the Authorizer has no consent handler (a
  // need is the request's error); `consent` is then the host's, for authorize().
  explicit Fixture(AuthorizerOptions options = {}, bool dpop = false, bool consent_in_requests = true) {
    options.server_url = kServer;
    options.http = http;
    if (consent_in_requests) options.consent = consent;
    options.use_dpop = dpop;
    options.notify = [this](const std::string& line) { notes.push_back(line); };
    authorizer = std::make_shared<Authorizer>(std::move(options));
    client = mcp::with_credentials(http, authorizer);
  }

  net::HttpResponse post_to_server() {
    net::HttpRequest request;
    request.method = "POST";
    request.url = kServer;
    request.body = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
    return client->send(request);
  }
};

inline void script_first_authorization(ScriptedHttpClient& http) {
  http.then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(201, kJson, registration_json())
      .then(200, kJson, tokens_json("at-1"))
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{"tools":[]}})");
}

}  // namespace mcpauth::auth::scripted
