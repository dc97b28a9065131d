// The parts of local users every store shares: names, keys and their hashes.
#include "mcpauth/store/local_users.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"
#include "user_rows.hpp"

namespace mcpauth::store {
namespace {

constexpr std::string_view kKeyPrefix = "mcpa_";  // recognisable in a leaked file or a secret scanner
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kKeyLength = kKeyPrefix.size() + 43;  // base64url of 32 bytes, unpadded
constexpr std::size_t kMaxNameLength = 64;

bool name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '@' || c == '+' || c == '-';
}

bool base64url_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

bool UserDirectory::add_user_server(const UserServer&, std::size_t) {
  throw Error(ErrorCode::usage, "this token store keeps no users' servers");
}

std::vector<UserServer> UserDirectory::list_user_servers(const std::string&) {
  return {};
}

bool UserDirectory::remove_user_server(const std::string&, const std::string&) {
  return false;
}

std::shared_ptr<UserDirectory> user_directory(const std::shared_ptr<TokenStore>& store) {
  return std::dynamic_pointer_cast<UserDirectory>(store);
}

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  const char first = name.front();
  if (first == '.' || first == '_' || first == '@' || first == '+' || first == '-') return false;
  return std::all_of(name.begin(), name.end(), name_character);
}

void check_user_name(std::string_view name) {
  if (valid_user_name(name)) return;
  throw Error(ErrorCode::usage,
              "a user name is 1 to 64 characters of letters, digits and . _ @ + -, starting with a letter or a digit");
}

std::string new_api_key() {
  std::array<std::uint8_t, kKeyBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw Error(ErrorCode::store, "the system's random number generator failed");
  }
  std::string key = std::string(kKeyPrefix) + core::oauth::base64url(std::span<const std::uint8_t>(bytes));
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

ApiKeyHash hash_api_key(std::string_view key) {
  const std::string digest = core::oauth::sha256(key);
  ApiKeyHash hash{};
  std::memcpy(hash.data(), digest.data(), hash.size());
  return hash;
}

bool looks_like_api_key(std::string_view text) {
  return text.size() == kKeyLength && text.substr(0, kKeyPrefix.size()) == kKeyPrefix &&
         std::all_of(text.begin() + static_cast<std::ptrdiff_t>(kKeyPrefix.size()), text.end(), base64url_character);
}

}  // namespace mcpauth::store

namespace mcpauth::store::detail {

bool same_key_hash(const ApiKeyHash& expected, std::string_view stored) {
  return stored.size() == expected.size() && CRYPTO_memcmp(expected.data(), stored.data(), expected.size()) == 0;
}

}  // namespace mcpauth::store::detail
