#include "cipher.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <memory>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::store::detail {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext new_context() {
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw Error(ErrorCode::store, "OpenSSL could not allocate a cipher context");
  return ctx;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::optional<Key> decode_hex(std::string_view text) {
  if (text.size() != 64) return std::nullopt;
  Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nibble(text[2 * i]);
    const int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    key[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return key;
}

std::optional<Key> decode_base64(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (standard.size() % 4 != 0) standard += '=';
  if (standard.size() != 44) return std::nullopt;
  unsigned char out[33];
  const int n = EVP_DecodeBlock(out, bytes(standard), static_cast<int>(standard.size()));
  // EVP_DecodeBlock counts padding as output bytes: 44 characters are 33 with one '='.
  if (n != 33 || standard.back() != '=' || standard[42] == '=') return std::nullopt;
  Key key{};
  std::copy(out, out + key.size(), key.begin());
  return key;
}

}  // namespace

Key random_key() {
  Key key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw Error(ErrorCode::store, "the system's random number generator failed");
  }
  return key;
}

std::string encode_key(const Key& key) {
  return core::oauth::base64url(std::span<const std::uint8_t>(key));
}

Key parse_key(std::string_view text, std::string_view source) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  if (auto key = decode_hex(text)) return *key;
  if (auto key = decode_base64(text)) return *key;
  throw Error(ErrorCode::usage, std::string(source) +
                                    " is not a 256-bit key: give 32 random bytes as base64url (43 characters, "
                                    "e.g. from `openssl rand -base64 32`) or as 64 hex digits");
}

std::string key_id(const Key& key) {
  static constexpr char kLabel[] = "mcpauth store key id\n";
  std::string input(kLabel);
  input.append(reinterpret_cast<const char*>(key.data()), key.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::store, "OpenSSL could not hash the store key's id");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id;
  for (unsigned i = 0; i < 8; ++i) {
    id += kDigits[digest[i] >> 4];
    id += kDigits[digest[i] & 15];
  }
  return id;
}

std::string seal(const Key& key, std::string_view plaintext, std::string_view associated_data) {
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  data[0] = kVersion;
  unsigned char* nonce = data + 1;
  if (RAND_bytes(nonce, kNonceBytes) != 1) throw Error(ErrorCode::store, "the system's random number generator failed");
  auto ctx = new_context();
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(associated_data), static_cast<int>(associated_data.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), nonce + kNonceBytes, &len, bytes(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), nonce + kNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, data + out.size() - kTagBytes) != 1) {
    throw Error(ErrorCode::store, "OpenSSL AES-256-GCM encryption failed");
  }
  return out;
}

std::optional<std::string> unseal(const Key& key, std::string_view sealed, std::string_view associated_data) {
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || static_cast<std::uint8_t>(sealed[0]) != kVersion) {
    return std::nullopt;
  }
  const unsigned char* nonce = bytes(sealed) + 1;
  const unsigned char* ciphertext = nonce + kNonceBytes;
  const std::size_t length = sealed.size() - 1 - kNonceBytes - kTagBytes;
  std::string plaintext(length, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  unsigned char tag[kTagBytes];
  std::copy(ciphertext + length, ciphertext + length + kTagBytes, tag);
  auto ctx = new_context();
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(associated_data), static_cast<int>(associated_data.size())) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, ciphertext, static_cast<int>(length)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
    return std::nullopt;
  }
  return plaintext;
}

}  // namespace mcpauth::store::detail
