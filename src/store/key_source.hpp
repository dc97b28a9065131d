// Where the store's encryption key comes from, in order: an explicit key
// (MCPAUTH_KEY, for containers and CI), the desktop keyring (Secret Service
// through libsecret, when built with it and a service answers), else a
// 0600 key file beside the store. The key file protects a copied or synced
// database, not a compromised account: the keyring or MCPAUTH_KEY do better.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cipher.hpp"

namespace mcpauth::store::detail {

struct KeyOptions {
  std::optional<std::string> key_text;  // MCPAUTH_KEY's value
  std::filesystem::path key_file;
  bool use_keyring = true;
  std::string keyring_item;  // identifies this store's key in the keyring (its path)
};

struct ObtainedKey {
  Key key{};
  std::string source;  // for messages: "MCPAUTH_KEY", "the desktop keyring", or the key file's path
};

// Finds the key; creates one only when `may_create` (a new store). Throws
// Error(store) with what to do when no key can be found or read.
ObtainedKey obtain_key(const KeyOptions& options, bool may_create);

// Creates `path` with mode 0600 holding `content`, unless it exists (another
// process won the race: its content is then returned). Never overwrites.
std::string create_exclusive_file(const std::filesystem::path& path, const std::string& content);

}  // namespace mcpauth::store::detail
