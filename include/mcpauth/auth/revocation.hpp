// Logging out at the authorization server (RFC 7009): the refresh token
// first (revoking it ends the grant at most servers), then the access token.
// Failures are reported, not thrown: the caller deletes the tokens locally
// whatever happened and tells the user what the server still honours.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::auth {

struct RevocationOutcome {
  bool endpoint = false;  // the authorization server publishes a revocation endpoint
  bool refresh_token_revoked = false;
  bool access_token_revoked = false;
  std::vector<std::string> problems;  // what failed, for the user (never a token)
};

RevocationOutcome revoke_tokens(net::HttpClient& http, const core::oauth::AuthorizationServerMetadata& metadata,
                                const core::oauth::ClientRegistration& client, const core::oauth::TokenSet& tokens,
                                std::chrono::milliseconds timeout);

}  // namespace mcpauth::auth
