// The store a user's commands share, chosen from the environment:
// PostgreSQL when MCPAUTH_STORE_URL is a postgresql:// or postgres:// URL
// (several instances, one database), else the user's SQLite file
// (MCPAUTH_STORE, else the XDG data directory).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store {

// Throws Error(usage) when MCPAUTH_STORE_URL is set to something else (its
// value is not repeated: it may hold a password), and what the chosen
// store's open throws.
std::shared_ptr<TokenStore> open_user_token_store(
    const std::function<std::optional<std::string>(const std::string&)>& env);

}  // namespace mcpauth::store
