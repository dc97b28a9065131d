#include "mcpauth/store/user_store.hpp"

#include "mcpauth/error.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"

namespace mcpauth::store {

std::shared_ptr<TokenStore> open_user_token_store(
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  if (const auto url = env("MCPAUTH_STORE_URL"); url && !url->empty()) {
    // A URL mcpauth cannot use is refused: falling back to the local file
    // would put an instance's grants where its siblings never look.
    if (!is_postgres_url(*url)) {
      throw Error(ErrorCode::usage,
                  "the token store URL (MCPAUTH_STORE_URL or --store) is not a postgresql:// or postgres:// URL");
    }
    return open_postgres_token_store(default_postgres_store_options(env));
  }
  return open_sqlite_token_store(default_sqlite_store_options(env));
}

}  // namespace mcpauth::store
