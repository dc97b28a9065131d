// Paste login (core/oauth/redirect): the variants people paste, the
// addresses that must be refused, and that no message repeats the code.
#include "mcpauth/core/oauth/redirect.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/error.hpp"
#include "oauth_values.hpp"

namespace mcpauth::core::oauth {
namespace {

using namespace testing::oauth_values;

constexpr const char* kRedirectUri = "http://127.0.0.1:8765/callback";
const std::string kQuery = std::string("code=") + kCode + "&state=af0ifjsldkj&iss=https%3A%2F%2Fauth.example.com";

void expect_callback(const FormFields& f) {
  ASSERT_NE(find_field(f, "code"), nullptr);
  EXPECT_EQ(*find_field(f, "code"), kCode);
  ASSERT_NE(find_field(f, "state"), nullptr);
  EXPECT_EQ(*find_field(f, "state"), "af0ifjsldkj");
  ASSERT_NE(find_field(f, "iss"), nullptr);
  EXPECT_EQ(*find_field(f, "iss"), "https://auth.example.com") << "decoded";
}

Error paste_error(const std::string& pasted, const std::string& redirect_uri = kRedirectUri) {
  try {
    parse_pasted_redirect(pasted, redirect_uri);
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find(kCode), std::string::npos) << "the code leaked into: " << e.what();
    return e;
  }
  ADD_FAILURE() << "no mcpauth::Error was thrown for: " << pasted.substr(0, 100);
  return Error(ErrorCode::protocol, "");
}

TEST(OAuthPastedRedirect, WholeAddress) {
  expect_callback(parse_pasted_redirect(std::string(kRedirectUri) + "?" + kQuery, kRedirectUri));
}

TEST(OAuthPastedRedirect, FragmentIsIgnored) {
  const FormFields f = parse_pasted_redirect(std::string(kRedirectUri) + "?" + kQuery + "#code=other", kRedirectUri);
  expect_callback(f);
  EXPECT_EQ(f.size(), 3u);
}

TEST(OAuthPastedRedirect, QueryOnlyWithOrWithoutQuestionMark) {
  expect_callback(parse_pasted_redirect(kQuery, kRedirectUri));
  expect_callback(parse_pasted_redirect("?" + kQuery, kRedirectUri));
}

TEST(OAuthPastedRedirect, WhitespaceQuotesAndBracketsAreDropped) {
  const std::string url = std::string(kRedirectUri) + "?" + kQuery;
  for (const std::string& pasted :
       {"  " + url + "\r\n", "\"" + url + "\"", "'" + url + "'\n", "<" + url + ">", "\"<" + url + ">\"",
        "\t`" + url + "`", url.substr(0, 40) + "\n  " + url.substr(40)}) {
    expect_callback(parse_pasted_redirect(pasted, kRedirectUri));
  }
}

TEST(OAuthPastedRedirect, SchemeMayBeLeftOut) {
  expect_callback(parse_pasted_redirect(std::string("127.0.0.1:8765/callback?") + kQuery, kRedirectUri));
  EXPECT_EQ(paste_error(std::string("127.0.0.1:9999/callback?") + kQuery).code(), ErrorCode::usage);
}

TEST(OAuthPastedRedirect, EmptyPathMatchesSlash) {
  expect_callback(parse_pasted_redirect(std::string("http://localhost:8765/?") + kQuery, "http://localhost:8765"));
}

TEST(OAuthPastedRedirect, AnotherRedirectUriIsRefusedAndTheExpectedOneNamed) {
  const struct {
    const char* prefix;
    const char* part;
  } cases[] = {{"http://127.0.0.1:8765/other?", "path"},     {"http://127.0.0.1:8766/callback?", "port"},
               {"http://localhost:8765/callback?", "host"},  {"https://127.0.0.1:8765/callback?", "scheme"},
               {"http://127.0.0.1:8765/callback/?", "path"}, {"https://evil.example.com/callback?", "scheme"}};
  for (const auto& c : cases) {
    const Error e = paste_error(c.prefix + kQuery);
    EXPECT_EQ(e.code(), ErrorCode::usage) << c.prefix;
    const std::string what = e.what();
    EXPECT_NE(what.find(std::string("its ") + c.part + " differs"), std::string::npos) << what;
    EXPECT_NE(what.find(kRedirectUri), std::string::npos) << what;
  }
}

TEST(OAuthPastedRedirect, OnlyTheCodeOrNothingAsksForTheWholeAddress) {
  for (const std::string& pasted : {std::string(kCode), std::string(" \n "), std::string("\"\""), std::string("?"),
                                    std::string("#") + kQuery, std::string("&&&")}) {
    const Error e = paste_error(pasted);
    EXPECT_EQ(e.code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("whole address"), std::string::npos) << e.what();
  }
}

TEST(OAuthPastedRedirect, AddressWithoutQueryIsRefused) {
  EXPECT_EQ(paste_error(kRedirectUri).code(), ErrorCode::usage);
  EXPECT_EQ(paste_error(std::string(kRedirectUri) + "#" + kQuery).code(), ErrorCode::usage);
}

TEST(OAuthPastedRedirect, MalformedAddressIsNotEchoed) {
  EXPECT_EQ(paste_error(std::string("http://user:pw@127.0.0.1:8765/callback?") + kQuery).code(), ErrorCode::usage);
  EXPECT_EQ(paste_error(std::string("http://[::1/callback?") + kQuery).code(), ErrorCode::usage);
  EXPECT_EQ(paste_error(std::string("ftp://127.0.0.1:8765/callback?") + kQuery).code(), ErrorCode::usage);
}

TEST(OAuthPastedRedirect, OversizedPasteIsRefused) {
  const std::string big = std::string(kRedirectUri) + "?" + kQuery + "&pad=" + std::string(16 * 1024, 'a');
  const Error e = paste_error(big);
  EXPECT_EQ(e.code(), ErrorCode::usage);
  EXPECT_NE(std::string(e.what()).find("16 KiB"), std::string::npos) << e.what();
  std::string many;
  for (int i = 0; i < 200; ++i) many += "a=1&";
  EXPECT_EQ(paste_error(many).code(), ErrorCode::usage);
}

TEST(OAuthPastedRedirect, FeedsCodeFromCallback) {
  FlowRecord flow;
  flow.issuer = "https://auth.example.com";
  flow.redirect_uri = kRedirectUri;
  flow.state = "af0ifjsldkj";
  EXPECT_EQ(code_from_callback(parse_pasted_redirect(std::string(kRedirectUri) + "?" + kQuery, kRedirectUri), flow),
            kCode);
  flow.state = "another-flow";
  EXPECT_THROW(code_from_callback(parse_pasted_redirect(kQuery, kRedirectUri), flow), Error);
}

}  // namespace
}  // namespace mcpauth::core::oauth
