// What both persistent stores seal, and how: the secrets of a grant (access
// and refresh token, DPoP key, issue time) and of a client registration
// (secret, private key) as one JSON object per row, sealed with cipher.hpp
// under associated data naming the row, so a value moved to another row
// fails to open. Shared by SqliteTokenStore and PostgresTokenStore so the two
// seal identically.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cipher.hpp"
#include "key_set.hpp"
#include "mcpauth/store/key_rotation.hpp"
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
std::string user_server_context(const std::string& user, const std::string& name);

// A sealed value opened with a key of a set, and which key that was.
struct Opened {
  const NamedKey* key = nullptr;
  std::string plaintext;
};
// Opens `sealed` for `context` with the key named `key_id` (a row that names
// its key), else with the first key of the set that opens it (the current
// key first); nullopt when none does (damaged, moved from another row, or a
// key missing from the set).
std::optional<Opened> open_with(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& sealed,
                                const std::string& context);

// The sealed secrets of a grant's row, under the current key.
std::string seal_token_secrets(const KeySet& keys, const TokenKey& row, const core::oauth::TokenSet& tokens);
// Fills the secret fields of `tokens` from a sealed value (see open_with for
// `key_id`). Throws Error(store) naming `where` (the store, for the
// message) when the value does not open for this row.
void open_token_secrets(const KeySet& keys, const std::optional<std::string>& key_id, const TokenKey& row,
                        const std::string& sealed, const std::string& where, core::oauth::TokenSet& tokens);

// The sealed secrets of a client registration; nullopt when it has none.
std::optional<std::string> seal_client_secrets(const KeySet& keys, const core::oauth::ClientRegistration& client);
// Fills client_secret and private_key_pem; throws like open_token_secrets.
void open_client_secrets(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& sealed,
                         const std::string& where, core::oauth::ClientRegistration& client);

// A user's own server entry, sealed whole under the current key; opened
// with open_with (Error(store) naming `where` when it does not open).
std::string seal_user_server(const KeySet& keys, const std::string& user, const std::string& name,
                             const std::string& entry);
std::string open_user_server(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& user,
                             const std::string& name, const std::string& sealed, const std::string& where);

// A key rotation's step for one sealed value: opened with a key of the set
// and sealed again under the current key, unless it is under it already.
enum class Reseal { already_current, resealed, unreadable };
struct ResealResult {
  Reseal outcome = Reseal::unreadable;
  std::string sealed;  // Reseal::resealed: the new value
};
// `key_id`: the row's key id where the store keeps one (see open_with).
ResealResult reseal(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& sealed,
                    const std::string& context);
// Counts `result` for `row` in `report` (rows_by_key counts the current key's rows).
void count_reseal(KeyRotationReport& report, const ResealResult& result, SealedRow row);

// What rotate_key() does, in both stores, around each store's own statements:
// the new key (else the current one) becomes current in a copy of `keys`,
// its check is recorded, `adopt` makes the store seal under it from then on,
// every row is re-sealed, and the report is the status after that with the
// re-sealing's counts and unreadable rows.
struct RotationSteps {
  std::function<void(const NamedKey& key)> record_check;
  std::function<void(const KeySet& keys)> adopt;
  std::function<void(const KeySet& keys, KeyRotationReport& report)> reseal_rows;
  std::function<KeyRotationReport(const KeySet& keys)> status;
};
KeyRotationReport run_rotation(KeySet keys, const KeyRotationOptions& options, const RotationSteps& steps);

// How a report names a grant's or a client registration's row.
SealedRow grant_row(const TokenKey& key);
SealedRow client_row(const std::string& issuer);
SealedRow user_server_row(const std::string& user, const std::string& name);

}  // namespace mcpauth::store::detail
