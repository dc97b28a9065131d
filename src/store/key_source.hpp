// Where the store's encryption key comes from, in order: an explicit key
// (MCPAUTH_KEY, for containers and CI), the desktop keyring (Secret Service
// through libsecret, when built with it and a service answers), else a
// 0600 key file beside the store. The key file protects a copied or synced
// database, not a compromised account: the keyring or MCPAUTH_KEY do better.
//
// During a key rotation the store opens with a key set (key_set.hpp): the
// current key from that source, plus retired keys from MCPAUTH_KEY_PREVIOUS
// (a list) and from a key file's lines after its first (the first line is
// the current key). A single key, as before rotations existed, is a set of one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cipher.hpp"
#include "key_set.hpp"

namespace mcpauth::store::detail {

struct KeyOptions {
  std::optional<std::string> key_text;       // MCPAUTH_KEY's value
  std::optional<std::string> previous_keys;  // MCPAUTH_KEY_PREVIOUS's value: retired keys
  std::filesystem::path key_file;
  bool use_keyring = true;
  std::string keyring_item;  // identifies this store's key in the keyring (its path)
};

struct ObtainedKey {
  KeySet keys;
  std::string source;  // for messages: "MCPAUTH_KEY", "the desktop keyring", or the key file's path
  bool from_keyring = false;
};

// Finds the key set; creates a key only when `may_create` (a new store).
// Throws Error(store) with what to do when no key can be found or read, and
// Error(usage) for a key that is not one (naming where it came from).
ObtainedKey obtain_key(const KeyOptions& options, bool may_create);

// Creates `path` with mode 0600 holding `content`, unless it exists (another
// process won the race: its content is then returned). Never overwrites.
std::string create_exclusive_file(const std::filesystem::path& path, const std::string& content);

}  // namespace mcpauth::store::detail
