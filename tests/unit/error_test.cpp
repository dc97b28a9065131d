// mcpauth::Error's typed detail: remedies as a set, the scope and issuers a
// program reads without parsing the message, and the names of the new enum.
#include "mcpauth/error.hpp"

#include <gtest/gtest.h>

#include <set>

#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth {
namespace {

TEST(ErrorDetail, AnErrorWithoutDetailHasAnEmptyOne) {
  const Error e(ErrorCode::timeout, "no answer", "https://mcp.example/mcp");
  EXPECT_TRUE(e.detail().empty());
  EXPECT_TRUE(e.remedies().empty());
  EXPECT_EQ(e.detail().required_scope, "");
}

TEST(ErrorDetail, RemediesAreASetOfFlags) {
  Remedies set{Remedy::retry, Remedy::use_device_grant};
  EXPECT_TRUE(set.has(Remedy::retry));
  EXPECT_TRUE(set.has(Remedy::use_device_grant));
  EXPECT_FALSE(set.has(Remedy::static_token));
  EXPECT_FALSE(set.empty());
  set.add(Remedy::retry).add(Remedy::static_token);
  EXPECT_TRUE(set.has(Remedy::static_token));
  EXPECT_EQ(set, (Remedies{Remedy::static_token, Remedy::use_device_grant, Remedy::retry}));
  EXPECT_NE(set, Remedies{Remedy::retry});
  EXPECT_TRUE(Remedies{}.empty());
}

TEST(ErrorDetail, TheDetailTravelsWithCopiesOfTheError) {
  ErrorDetail detail;
  detail.remedies = {Remedy::pre_register_client};
  detail.expected_issuer = "https://as.example";
  detail.received_issuer = "https://evil.example";
  const Error thrown(ErrorCode::issuer_mismatch, "another issuer", "https://as.example/.well-known/x", 0, detail);
  try {
    throw thrown;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::issuer_mismatch);
    EXPECT_TRUE(e.remedies().has(Remedy::pre_register_client));
    EXPECT_EQ(e.detail().expected_issuer, "https://as.example");
    EXPECT_EQ(e.detail().received_issuer, "https://evil.example");
    EXPECT_STREQ(e.what(), "another issuer");
  }
}

TEST(ErrorDetail, AnOAuthErrorCarriesDetailToo) {
  const core::oauth::OAuthError e(ErrorCode::consent_timeout, "the code expired", "https://as.example/token", 400,
                                  "expired_token", {.remedies = {Remedy::retry}});
  EXPECT_EQ(e.oauth_error(), "expired_token");
  EXPECT_TRUE(e.remedies().has(Remedy::retry));
  const Error& base = e;
  EXPECT_TRUE(base.detail().remedies.has(Remedy::retry));
}

TEST(ErrorDetail, EveryRemedyHasItsOwnName) {
  std::set<std::string_view> names;
  for (const Remedy remedy : kAllRemedies) {
    const auto name = to_string(remedy);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(to_string(Remedy::use_device_grant), "use_device_grant");
  EXPECT_EQ(to_string(Remedy::pre_register_client), "pre_register_client");
  // One bit each, so a set can hold them all.
  Remedies all;
  for (const Remedy remedy : kAllRemedies) all.add(remedy);
  EXPECT_EQ(all.bits(), (std::uint32_t{1} << std::size(kAllRemedies)) - 1);
}

}  // namespace
}  // namespace mcpauth
