#include "mcpauth/core/oauth/encoding.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {
namespace {

constexpr std::size_t kMaxFields = 100;
constexpr std::size_t kMaxFormBytes = 64 * 1024;

struct CurlFree {
  void operator()(char* p) const noexcept { curl_free(p); }
};

}  // namespace

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64url(std::string_view bytes) {
  std::string out = base64(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (auto& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string base64url(std::span<const std::uint8_t> bytes) {
  return base64url(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string sha256(std::string_view bytes) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

std::string form_escape(std::string_view value) {
  if (value.empty()) return {};  // curl would strlen() a length of 0
  std::unique_ptr<char, CurlFree> escaped(curl_easy_escape(nullptr, value.data(), static_cast<int>(value.size())));
  if (!escaped) throw std::bad_alloc();
  return escaped.get();
}

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += form_escape(name) + '=' + form_escape(value);
  }
  return out;
}

FormFields parse_form(std::string_view text) {
  if (text.size() > kMaxFormBytes) throw Error(ErrorCode::protocol, "a form or query string is too long");
  FormFields fields;
  auto decode = [](std::string_view part) {
    std::string plus_as_space(part);
    for (auto& c : plus_as_space) {
      if (c == '+') c = ' ';
    }
    int length = 0;
    std::unique_ptr<char, CurlFree> decoded(
        curl_easy_unescape(nullptr, plus_as_space.data(), static_cast<int>(plus_as_space.size()), &length));
    if (!decoded) throw std::bad_alloc();
    return std::string(decoded.get(), static_cast<std::size_t>(length));
  };
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    if (fields.size() == kMaxFields) throw Error(ErrorCode::protocol, "a form or query string has too many fields");
    const auto eq = pair.find('=');
    fields.emplace_back(decode(pair.substr(0, eq)), eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1)));
  }
  return fields;
}

const std::string* find_field(const FormFields& fields, std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string basic_credentials(std::string_view client_id, std::string_view client_secret) {
  return base64(form_escape(client_id) + ":" + form_escape(client_secret));
}

}  // namespace mcpauth::core::oauth
