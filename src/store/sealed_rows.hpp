// What both persistent stores seal, and how: the secrets of a grant (access
// and refresh token, DPoP key, issue time) and of a client registration
// (secret, private key) as one JSON object per row, sealed with cipher.hpp
// under associated data naming the row, so a value moved to another row
// fails to open. Shared by SqliteTokenStore and PostgresTokenStore so the two
// seal identically.
#pragma once

#include <optional>
#include <string>

#include "cipher.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store::detail {

// A value sealed with the store's key when the store was made: a key that
// opens it is the store's key, so a wrong key is told apart from a damaged row.
std::string seal_key_check(const Key& key);
bool key_check_opens(const Key& key, const std::string& sealed);

long long to_millis(Clock::time_point t);
Clock::time_point from_millis(long long ms);

// The associated data binding a sealed value to its row.
std::string token_context(const TokenKey& key);
std::string client_context(const std::string& issuer);

// The sealed secrets of a grant's row.
std::string seal_token_secrets(const Key& key, const TokenKey& row, const core::oauth::TokenSet& tokens);
// Fills the secret fields of `tokens` from a sealed value. Throws
// Error(store) naming `where` (the store, for the message) when the value
// does not open with `key` for this row.
void open_token_secrets(const Key& key, const TokenKey& row, const std::string& sealed, const std::string& where,
                        core::oauth::TokenSet& tokens);

// The sealed secrets of a client registration; nullopt when it has none.
std::optional<std::string> seal_client_secrets(const Key& key, const core::oauth::ClientRegistration& client);
// Fills client_secret and private_key_pem; throws like open_token_secrets.
void open_client_secrets(const Key& key, const std::string& sealed, const std::string& where,
                         core::oauth::ClientRegistration& client);

}  // namespace mcpauth::store::detail
