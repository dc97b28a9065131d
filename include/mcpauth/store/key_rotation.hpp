// Rotating the key a persistent token store seals its secrets with, online:
// every instance keeps running while each sealed row (grants, client
// registrations) is opened with the key it was sealed under and sealed
// again under the new key, one row per transaction that holds the grant's
// lock, so a refresh on another instance is never lost or overwritten.
//
// A store opens with a key set: its current key (MCPAUTH_KEY, the key file's
// first line, or the keyring) seals every new value; retired keys
// (MCPAUTH_KEY_PREVIOUS, the key file's further lines) only open values
// sealed under them. A store records a key check per key it was given as
// current, so a wrong key is refused when it opens; retire_keys() forgets
// the old checks once no row is sealed under an old key.
// docs/deployment.md ("Key rotation") has the procedure.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store {

// A row named by kind and id, never by content.
struct SealedRow {
  std::string kind;  // "grant" or "client"
  std::string id;    // a grant: "resource (account A) at issuer for client C"; a client: its issuer
};

struct KeyRotationReport {
  std::string current_key_id{};                      // the key new values are sealed under
  std::size_t resealed = 0;                          // rows this call sealed again under it
  std::size_t already_current = 0;                   // rows it found under it already
  std::vector<SealedRow> unreadable{};               // rows no key of the set opens: left as they were
  std::map<std::string, std::size_t> rows_by_key{};  // sealed rows per key id, after the call
  std::vector<std::string> recorded_keys{};          // the ids of the keys the store accepts as current
  std::vector<std::string> retired{};                // retire_keys(): the key checks it removed

  // Rows sealed under a key other than the current one (or unreadable).
  std::size_t rows_under_other_keys() const {
    std::size_t n = unreadable.size();
    for (const auto& [id, count] : rows_by_key) n += id == current_key_id ? 0 : count;
    return n;
  }
};

struct KeyRotationOptions {
  // The new key (32 bytes as base64url or hex); nullopt: the store's current
  // key (finishes a rotation whose new key is now every instance's key).
  std::optional<std::string> new_key{};
  std::string new_key_source{};  // names it in messages ("the file F"); never its value
  std::size_t batch_size = 100;  // rows listed at a time (each row is still its own transaction)
};

class KeyRotation {
 public:
  virtual ~KeyRotation() = default;
  // Records the new key's check, then seals every row again under it (a row
  // already under it is left alone, so a second run finishes an interrupted
  // one); from then on this store seals new values under it and keeps its
  // former keys as retired ones. Throws Error(store) when the store cannot
  // be rotated (its key is in the desktop keyring) or cannot be written.
  virtual KeyRotationReport rotate_key(const KeyRotationOptions& options) = 0;
  // Throws the Error(store) rotate_key() would throw before changing
  // anything because this store's key cannot be rotated (it is kept in the
  // desktop keyring), so a caller can refuse before making a new key.
  virtual void check_rotatable() const = 0;
  // Which keys the rows are sealed under; nothing changes.
  virtual KeyRotationReport key_status() = 0;
  // Once every row is sealed under the current key: removes the checks of
  // every other key, so the store no longer opens with an old key as its
  // current one. While a row is not, nothing is removed (report.retired is empty).
  virtual KeyRotationReport retire_keys() = 0;
};

// The store's key rotation; nullptr for a store that seals nothing (memory).
inline KeyRotation* key_rotation(TokenStore& store) {
  return dynamic_cast<KeyRotation*>(&store);
}

// A new random store key as base64url (43 characters), for a new key file.
std::string new_store_key();

}  // namespace mcpauth::store
