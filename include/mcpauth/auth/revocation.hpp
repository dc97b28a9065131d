// Logging out at the authorization server (RFC 7009): the refresh token
// first (revoking it ends the grant at most servers), then the access token.
// Failures are reported, not thrown: the caller deletes the tokens locally
// whatever happened and tells the user what the server still honours.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/net/http.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::auth {

struct RevocationOutcome {
  bool endpoint = false;  // the authorization server publishes a revocation endpoint
  bool refresh_token_revoked = false;
  bool access_token_revoked = false;
  // The grant is ended at the authorization server: its refresh token was
  // revoked or, without one, its access token (set by revoke_grant).
  bool grant_revoked = false;
  std::vector<std::string> problems;  // what failed, for the user (never a token)
};

RevocationOutcome revoke_tokens(net::HttpClient& http, const core::oauth::AuthorizationServerMetadata& metadata,
                                const core::oauth::ClientRegistration& client, const core::oauth::TokenSet& tokens,
                                std::chrono::milliseconds timeout);

// Revokes a stored grant (`mcpauth logout`, the dashboard's log out and
// remove): works out the authorization server from the server's stored
// discovery record and the client from the store (a replaced registration:
// the public client the grant was issued to), then calls revoke_tokens
// through the address rules of every server-directed request
// (RestrictedHttpClient). A grant whose tokens cannot be decrypted, or with
// no discovery record, is not sent anywhere; the reason is in `problems`.
// Never throws for a failed revocation and never deletes: the caller does.
RevocationOutcome revoke_grant(net::HttpClient& http, store::ClientStore& store, const store::GrantRecord& grant,
                               const std::optional<store::DiscoveryRecord>& discovery,
                               std::chrono::milliseconds timeout);

}  // namespace mcpauth::auth
