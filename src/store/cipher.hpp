// Authenticated encryption of the store's secrets: AES-256-GCM (OpenSSL),
// a fresh random 96-bit nonce per value, and associated data naming the row
// and column a value belongs to, so a ciphertext moved to another row (or
// another store) fails to open instead of being used as someone else's token.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::store::detail {

using Key = std::array<std::uint8_t, 32>;

Key random_key();

// A key as users and key files write it: base64url without padding (43
// characters). parse_key also takes standard base64 and 64 hex digits.
std::string encode_key(const Key& key);
// Throws Error(usage) naming `source` (never echoing the text).
Key parse_key(std::string_view text, std::string_view source);

// A name for a key that does not reveal it (16 hex digits of a SHA-256 of
// the key under a label), stored beside each sealed value so the rows of an
// older key can be found and sealed again after a key rotation.
std::string key_id(const Key& key);

// version byte (1) | nonce (12) | ciphertext | tag (16)
std::string seal(const Key& key, std::string_view plaintext, std::string_view associated_data);
// nullopt when the value was not sealed with this key for this associated data.
std::optional<std::string> unseal(const Key& key, std::string_view sealed, std::string_view associated_data);

}  // namespace mcpauth::store::detail
