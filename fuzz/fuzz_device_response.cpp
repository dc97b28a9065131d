// The device flow and paste login parsers. The first byte picks the parser
// (value % 3: device authorization answer, device poll answer, pasted
// redirect) and the HTTP status ((value / 3) % 4: 200, 400, 401, 503; the top
// bit asks for DPoP); the rest is the input. Only mcpauth::Error may escape;
// whatever is accepted keeps the documented bounds; no message may carry a
// device code, a token or an authorization code from the input.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mcpauth/core/oauth/device.hpp"
#include "mcpauth/core/oauth/redirect.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"

namespace oauth = mcpauth::core::oauth;
using mcpauth::ErrorCode;

namespace {

const std::string kEndpoint = "https://auth.example.com/device";
const std::string kRedirectUri = "http://127.0.0.1:8765/callback";
const oauth::Clock::time_point kNow = oauth::Clock::time_point(std::chrono::seconds(1'700'000'000));

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_device_response: %s\n", what);
  std::abort();
}

// Secret-looking: long, no spaces, a digit and a capital, so it cannot come
// from the messages' fixed text or the endpoint by chance.
bool secret_like(std::string_view s) {
  return s.size() >= 12 &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }) &&
         std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// A member's value must not reach a message, unless another member (which
// may legitimately be shown, like error_description) contains it too.
void check_not_leaked(const oauth::Json& doc, const char* key, std::string_view message) {
  if (!doc.is_object() || !doc.contains(key) || !doc[key].is_string()) return;
  const std::string secret = doc[key];
  if (!secret_like(secret)) return;
  for (const auto& [name, value] : doc.items()) {
    if (name.find(secret) != std::string::npos) return;
    if (name != key && value.is_string() && value.get<std::string>().find(secret) != std::string::npos) return;
  }
  if (message.find(secret) != std::string_view::npos) fail("a secret from the input leaked into a message");
}

void check_device_authorization(const oauth::DeviceAuthorization& d) {
  if (d.device_code.empty() || d.device_code.size() > 8 * 1024) fail("device_code out of bounds");
  if (d.user_code.empty() || d.user_code.size() > 64) fail("user_code out of bounds");
  for (char c : d.user_code) {
    if (c < 0x20 || c > 0x7e) fail("user_code not printable");
  }
  try {
    oauth::require_secure_url(d.verification_uri, "verification_uri");
    if (d.verification_uri_complete) oauth::require_secure_url(*d.verification_uri_complete, "complete");
  } catch (const mcpauth::Error&) {
    fail("an insecure verification URI was accepted");
  }
  if (d.expires_at <= kNow || d.expires_at > kNow + std::chrono::hours(24)) fail("expires_at out of bounds");
  if (d.interval < std::chrono::seconds(1) || d.interval > std::chrono::seconds(600)) fail("interval out of bounds");
  if (kNow + d.interval >= d.expires_at) fail("interval not shorter than the lifetime");
}

void run_device_parsers(std::string_view body, int status, bool accept_dpop, bool poll) {
  const oauth::Json doc = oauth::Json::parse(body.begin(), body.end(), nullptr, false);
  try {
    if (poll) {
      const auto result = oauth::parse_device_token_response(status, body, kEndpoint, kNow, std::nullopt, accept_dpop);
      if ((result.kind == oauth::DevicePollResult::Kind::tokens) != result.tokens.has_value()) {
        fail("tokens set without kind tokens, or the reverse");
      }
      if (result.tokens && result.tokens->access_token.empty()) fail("empty access token accepted");
      const auto next = oauth::next_interval(std::chrono::seconds(5), result.kind);
      if (next < std::chrono::seconds(5) || next > std::chrono::seconds(10)) fail("next_interval out of bounds");
    } else {
      check_device_authorization(oauth::parse_device_authorization_response(status, body, kEndpoint, kNow));
    }
  } catch (const mcpauth::Error& e) {
    for (const char* key : {"device_code", "access_token", "refresh_token"}) check_not_leaked(doc, key, e.what());
  } catch (...) {
    fail("a device parser threw a non-mcpauth exception");
  }
}

void run_paste(std::string_view pasted) {
  try {
    const oauth::FormFields fields = oauth::parse_pasted_redirect(pasted, kRedirectUri);
    if (fields.empty() || fields.size() > 100) fail("pasted redirect field count out of bounds");
  } catch (const mcpauth::Error& e) {
    if (e.code() != ErrorCode::usage) fail("parse_pasted_redirect threw another code than usage");
    // No message repeats the pasted text: no secret-looking run from it may appear.
    const std::string_view what = e.what();
    std::size_t i = 0;
    while (i < pasted.size()) {
      std::size_t j = i;
      while (j < pasted.size() &&
             (std::isalnum(static_cast<unsigned char>(pasted[j])) || pasted[j] == '-' || pasted[j] == '_')) {
        ++j;
      }
      const std::string_view run = pasted.substr(i, j - i);
      if (secret_like(run) && what.find(run) != std::string_view::npos) fail("pasted text leaked into a message");
      i = j + 1;
    }
  } catch (...) {
    fail("parse_pasted_redirect threw a non-mcpauth exception");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 400, 401, 503};
  const int selector = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const int status = kStatuses[(selector / 3) % 4];
  const bool accept_dpop = (selector & 0x80) != 0;
  switch (selector % 3) {
    case 0: run_device_parsers(input, status, accept_dpop, false); break;
    case 1: run_device_parsers(input, status, accept_dpop, true); break;
    default: run_paste(input); break;
  }
  return 0;
}
