// Which extra authorization request parameters a host may add
// (core/oauth/authorization_params), with vectors.
#include "mcpauth/core/oauth/authorization_params.hpp"

#include <gtest/gtest.h>

#include "error_of.hpp"

namespace mcpauth::core::oauth {
namespace {

using testing::error_of;

TEST(AuthorizationParams, OrdinaryParametersAreAllowed) {
  for (const char* name : {"audience", "access_type", "prompt", "login_hint", "organization", "acr_values",
                           "ui_locales", "max_age", "x-custom.param_1"}) {
    EXPECT_FALSE(refused_authorization_param(name)) << name;
  }
}

TEST(AuthorizationParams, WhatTheFlowDerivesOrTheRequestHingesOnIsRefused) {
  for (const char* name :
       {"response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope",
        "resource", "request", "request_uri", "code", "iss", "error"}) {
    EXPECT_TRUE(refused_authorization_param(name)) << name;
  }
  // Exact names: a longer one is someone else's parameter.
  EXPECT_FALSE(refused_authorization_param("states"));
  EXPECT_FALSE(refused_authorization_param("scope_hint"));
  // Case matters in OAuth parameter names; "State" is not the flow's state.
  EXPECT_FALSE(refused_authorization_param("State"));
}

TEST(AuthorizationParams, NamesThatCannotBeParameterNamesAreRefused) {
  for (const char* name : {"", "a b", "a=b", "a&b", "a#b", "a?b", "tab\there", "new\nline"}) {
    EXPECT_TRUE(refused_authorization_param(name)) << name;
  }
  EXPECT_TRUE(refused_authorization_param(std::string("nul\0", 4)));
  EXPECT_TRUE(refused_authorization_param("\xc3\xa9"));  // not ASCII
}

TEST(AuthorizationParams, TheCheckNamesTheRefusedParameterButNeverAValue) {
  EXPECT_NO_THROW(check_extra_authorization_params({}));
  EXPECT_NO_THROW(check_extra_authorization_params({{"audience", "x"}, {"prompt", "consent"}}));

  const Error state = error_of([] { check_extra_authorization_params({{"audience", "x"}, {"state", "secret-v"}}); });
  EXPECT_EQ(state.code(), ErrorCode::usage);
  EXPECT_NE(std::string(state.what()).find("\"state\""), std::string::npos);
  EXPECT_EQ(std::string(state.what()).find("secret-v"), std::string::npos);

  const Error twice = error_of([] { check_extra_authorization_params({{"audience", "a"}, {"audience", "b"}}); });
  EXPECT_EQ(twice.code(), ErrorCode::usage);
  EXPECT_NE(std::string(twice.what()).find("twice"), std::string::npos);

  // A name that is not plain text is referred to by its position, not repeated.
  const Error odd = error_of([] { check_extra_authorization_params({{"a", "1"}, {"bad\nname", "2"}}); });
  EXPECT_NE(std::string(odd.what()).find("number 2"), std::string::npos);
  EXPECT_EQ(std::string(odd.what()).find("bad\nname"), std::string::npos);
}

}  // namespace
}  // namespace mcpauth::core::oauth
