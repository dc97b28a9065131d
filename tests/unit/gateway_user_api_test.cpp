// The pure parts of the gateway's per-user API: which return_to a host may
// name (src/gateway/return_to) and the status chip worked out from a
// dashboard row (src/gateway/server_status).
#include <gtest/gtest.h>

#include "mcpauth/error.hpp"
#include "return_to.hpp"
#include "server_status.hpp"

namespace mcpauth::gateway {
namespace {

using Json = nlohmann::json;

TEST(GatewayReturnTo, OnlyUrlsUnderAnAllowedPrefixOfTheSameOrigin) {
  const std::vector<std::string> prefixes = {"https://app.example.com/settings/", "http://127.0.0.1:3000/"};
  for (const char* allowed : {"https://app.example.com/settings/", "https://app.example.com/settings/mcp?tab=1",
                              "https://app.example.com:443/settings/x#done", "http://127.0.0.1:3000/anything"}) {
    EXPECT_TRUE(return_to_allowed(prefixes, allowed)) << allowed;
  }
  for (const char* refused :
       {"https://app.example.com/other/", "https://app.example.com.evil.example/settings/",
        "http://app.example.com/settings/", "https://app.example.com:8443/settings/",
        "https://app.example.com/settings/../admin", "https://app.example.com/settings/%2e%2e/admin",
        "https://app.example.com/settings/\\evil", "https://app.example.com/settings/\r\nSet-Cookie:x",
        "https://app.example.com/settings/ x", "http://127.0.0.1:3001/", "javascript:alert(1)", "/settings/", ""}) {
    EXPECT_FALSE(return_to_allowed(prefixes, refused)) << refused;
  }
  EXPECT_FALSE(return_to_allowed({}, "https://app.example.com/settings/")) << "no prefixes: nothing allowed";
}

TEST(GatewayReturnTo, APrefixMustBeAnHttpUrlWithAPath) {
  EXPECT_NO_THROW(check_return_url_prefixes({"https://app.example.com/", "http://127.0.0.1:3000/cb"}));
  for (const char* bad : {"https://app.example.com", "app.example.com/", "https://app.example.com/?q=1",
                          "https://app.example.com/#x", "ftp://app.example.com/", "https://app.example.com/a/../b"}) {
    EXPECT_THROW(check_return_url_prefixes({bad}), Error) << bad;
  }
}

Json row(const std::string& state) {
  return Json{{"state", state},        {"auth", "oauth"},       {"expires_at", 1700000000},
              {"scopes", "mcp:tools"}, {"last_error", nullptr}, {"authorization_url", nullptr}};
}

TEST(GatewayServerStatus, EachRowStateIsAChip) {
  const Json authorized = server_status(row("authorized"), {});
  EXPECT_EQ(authorized["state"], "authorized");
  EXPECT_EQ(authorized["expires_at"], 1700000000);
  EXPECT_EQ(authorized["scopes"], "mcp:tools");
  EXPECT_EQ(server_status(row("refreshing"), {})["state"], "refreshing");

  Json authorizing = row("authorizing");
  authorizing["authorization_url"] = "https://as.example/authorize?x=1";
  EXPECT_EQ(server_status(authorizing, {})["authorization_url"], "https://as.example/authorize?x=1");

  Json ready = row("ready");
  ready["auth"] = "none";
  EXPECT_EQ(server_status(ready, {})["state"], "authorized");
  EXPECT_EQ(server_status(ready, {})["auth"], "none");

  EXPECT_EQ(server_status(row("needs_authorization"), {})["state"], "needs_authorization");
  const Json expired = server_status(row("needs_authorization"), RowFacts{true, std::nullopt});
  EXPECT_EQ(expired["state"], "expired");
  EXPECT_EQ(expired["expires_at"], 1700000000);

  Json denied = row("needs_authorization");
  denied["last_error"] = "the user refused";
  EXPECT_EQ(server_status(denied, {})["reason"], "the user refused");
}

TEST(GatewayServerStatus, AnErrorSaysWhatToDo) {
  Json failed = row("error");
  failed["last_error"] = "connection refused";
  const Json status = server_status(failed, RowFacts{false, ErrorCode::connection});
  EXPECT_EQ(status["state"], "error");
  EXPECT_EQ(status["reason"], "connection refused");
  EXPECT_EQ(status["action"], "reconnect");
  EXPECT_EQ(server_status(failed, RowFacts{false, ErrorCode::token_rejected})["action"], "authorize");
  EXPECT_EQ(server_status(failed, RowFacts{false, ErrorCode::insecure_url})["action"], "configure");
  EXPECT_EQ(server_status(failed, RowFacts{})["action"], "configure") << "an entry that could not be read";
}

}  // namespace
}  // namespace mcpauth::gateway
