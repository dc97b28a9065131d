#include "mcpauth/core/oauth/device.hpp"

#include <algorithm>
#include <cmath>

#include "mcpauth/core/json.hpp"
#include "mcpauth/core/oauth/describe_error.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {
namespace {

// Device answers are a handful of short strings; these bounds are far above
// any real server's and far below what could hurt.
constexpr std::size_t kMaxDeviceResponseBytes = 64 * 1024;
constexpr std::size_t kMaxDeviceCodeBytes = 8 * 1024;
constexpr std::size_t kMaxUserCodeBytes = 64;
constexpr std::size_t kMaxVerificationUriBytes = 4 * 1024;
constexpr long long kMaxExpiresIn = 24 * 3600;
constexpr long long kMaxInterval = 600;
constexpr std::chrono::seconds kSlowDownStep{5};  // RFC 8628 §3.5
// What to try, in no host's words (a host renders its own hint from the remedies).
constexpr const char* kAgain = "start a new device login";
constexpr const char* kUseBrowser = "use a browser login (the authorization code grant) instead";
const ErrorDetail kAgainDetail{.remedies = {Remedy::retry}};
const ErrorDetail kUseBrowserDetail{.remedies = {Remedy::use_browser_grant}};

std::string string_or_empty(const Json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string describe(const Json& doc) {
  return describe_oauth_error(string_or_empty(doc, "error"), string_or_empty(doc, "error_description"));
}

// Shown on the person's terminal, so nothing a terminal would interpret.
bool printable_ascii(std::string_view text, bool allow_space) {
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return (c > 0x20 && c < 0x7f) || (allow_space && c == ' '); });
}

Json parse_body(std::string_view body, const std::string& endpoint, int status, const char* what) {
  if (body.size() > kMaxDeviceResponseBytes) {
    throw Error(ErrorCode::response_too_large,
                std::string("the ") + what + " from " + endpoint + " is larger than " +
                    std::to_string(kMaxDeviceResponseBytes) + " bytes",
                endpoint, status);
  }
  return core::parse_json_or_discarded(body, core::JsonLimits{kMaxDeviceResponseBytes});
}

bool has_error(const Json& doc) {
  return doc.is_object() && doc.contains("error") && doc["error"].is_string();
}

// A whole number of seconds (some servers send "1800" or 1800.0); nullopt
// when absent. Throws Error(protocol) for anything else.
std::optional<long long> seconds_member(const Json& doc, const char* key, const std::string& endpoint) {
  const auto it = doc.find(key);
  if (it == doc.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<long long>();
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (std::isfinite(value) && std::fabs(value) < 1e12 && value == std::floor(value)) {
      return static_cast<long long>(value);
    }
  } else if (it->is_string()) {
    const std::string text = it->get<std::string>();
    if (!text.empty() && text.size() <= 12 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::stoll(text);
    }
  }
  throw Error(ErrorCode::protocol,
              "the device authorization response from " + endpoint + " has a " + key +
                  " that is not a whole number of seconds; " + kUseBrowser,
              endpoint, 0, kUseBrowserDetail);
}

std::string required_string(const Json& doc, const char* key, std::size_t max_bytes, const std::string& endpoint) {
  const std::string value = string_or_empty(doc, key);
  if (value.empty()) {
    throw Error(ErrorCode::protocol,
                "the device authorization response from " + endpoint + " has no " + key +
                    "; the server does not implement RFC 8628 correctly, " + kUseBrowser,
                endpoint, 0, kUseBrowserDetail);
  }
  if (value.size() > max_bytes) {
    throw Error(ErrorCode::protocol,
                "the device authorization response from " + endpoint + " has a " + key + " longer than " +
                    std::to_string(max_bytes) + " bytes; refusing it",
                endpoint);
  }
  return value;
}

// https (or http on loopback), printable, bounded. The URL itself is named
// only when it cannot carry the user code.
void check_verification_uri(const std::string& uri, const char* key, bool may_name_it, const std::string& endpoint) {
  if (uri.size() > kMaxVerificationUriBytes || !printable_ascii(uri, false)) {
    throw Error(ErrorCode::protocol,
                std::string("the ") + key + " from " + endpoint + " is too long or has characters a URL cannot have",
                endpoint);
  }
  try {
    require_secure_url(uri, key);
  } catch (const Error&) {
    throw Error(ErrorCode::insecure_url,
                std::string("the ") + key + (may_name_it ? " " + uri : std::string()) + " from " + endpoint +
                    " is not an https URL (plain http only on loopback); refusing to send you there, " + kUseBrowser,
                endpoint, 0, kUseBrowserDetail);
  }
}

}  // namespace

bool supports_device_grant(const AuthorizationServerMetadata& metadata) {
  if (!metadata.device_authorization_endpoint || metadata.device_authorization_endpoint->empty()) return false;
  const auto& grants = metadata.grant_types_supported;
  return !grants || contains(*grants, kDeviceCodeGrantType);
}

TokenRequest device_authorization_request(const std::string& device_authorization_endpoint,
                                          const std::optional<std::string>& scope,
                                          const std::optional<std::string>& resource, const ClientRegistration& client,
                                          Clock::time_point now, std::string_view jti) {
  FormFields fields;
  if (scope && !scope->empty()) fields.emplace_back("scope", *scope);
  if (resource) fields.emplace_back("resource", *resource);
  return authenticated_form(device_authorization_endpoint, std::move(fields), client, now, jti);
}

DeviceAuthorization parse_device_authorization_response(int status, std::string_view body, const std::string& endpoint,
                                                        Clock::time_point now) {
  const Json doc = parse_body(body, endpoint, status, "device authorization response");
  if (has_error(doc)) {
    const std::string error = doc["error"];
    const bool not_allowed =
        error == "unauthorized_client" || error == "invalid_client" || error == "unsupported_grant_type";
    throw OAuthError(ErrorCode::token_rejected,
                     "the authorization server refused to start a device login at " + endpoint + ": " + describe(doc) +
                         (not_allowed ? "; this client may not use the device grant there, " : "; ") + kUseBrowser,
                     endpoint, status, error, kUseBrowserDetail);
  }
  if (status != 200) {
    throw OAuthError(ErrorCode::token_rejected,
                     "the device authorization endpoint " + endpoint + " answered HTTP " + std::to_string(status) +
                         "; if the server does not offer device login, " + kUseBrowser,
                     endpoint, status, "", kUseBrowserDetail);
  }
  if (!doc.is_object()) {
    throw Error(ErrorCode::protocol, "the device authorization endpoint " + endpoint + " did not answer with JSON",
                endpoint, status);
  }

  DeviceAuthorization device;
  device.device_code = required_string(doc, "device_code", kMaxDeviceCodeBytes, endpoint);
  device.user_code = required_string(doc, "user_code", kMaxUserCodeBytes, endpoint);
  if (!printable_ascii(device.user_code, true)) {
    throw Error(ErrorCode::protocol,
                "the user_code from " + endpoint + " has characters that cannot be shown safely; refusing it",
                endpoint);
  }
  // Google's older endpoints spell it verification_url.
  const char* uri_key = string_or_empty(doc, "verification_uri").empty() && doc.contains("verification_url")
                            ? "verification_url"
                            : "verification_uri";
  device.verification_uri = required_string(doc, uri_key, kMaxVerificationUriBytes, endpoint);
  check_verification_uri(device.verification_uri, uri_key, true, endpoint);
  if (const std::string complete = string_or_empty(doc, "verification_uri_complete"); !complete.empty()) {
    check_verification_uri(complete, "verification_uri_complete", false, endpoint);
    device.verification_uri_complete = complete;
  }

  const auto expires_in = seconds_member(doc, "expires_in", endpoint);
  if (!expires_in) {
    throw Error(ErrorCode::protocol,
                "the device authorization response from " + endpoint + " has no expires_in (RFC 8628 requires it); " +
                    kUseBrowser,
                endpoint, 0, kUseBrowserDetail);
  }
  if (*expires_in < 1 || *expires_in > kMaxExpiresIn) {
    throw Error(ErrorCode::protocol,
                "the device authorization response from " + endpoint + " says the code lives " +
                    std::to_string(*expires_in) + " s; expected 1 to " + std::to_string(kMaxExpiresIn) + " s; " +
                    kUseBrowser,
                endpoint, 0, kUseBrowserDetail);
  }
  const long long interval = seconds_member(doc, "interval", endpoint).value_or(5);
  if (interval < 1 || interval > kMaxInterval || interval >= *expires_in) {
    throw Error(ErrorCode::protocol,
                "the device authorization response from " + endpoint + " asks to poll every " +
                    std::to_string(interval) + " s (for a code that lives " + std::to_string(*expires_in) +
                    " s); expected 1 to " + std::to_string(kMaxInterval) + " s and less than the lifetime; " +
                    kUseBrowser,
                endpoint, 0, kUseBrowserDetail);
  }
  device.expires_at = now + std::chrono::seconds(*expires_in);
  device.interval = std::chrono::seconds(interval);
  return device;
}

TokenRequest device_token_request(const std::string& token_endpoint, std::string_view device_code,
                                  const std::optional<std::string>& resource, const ClientRegistration& client,
                                  Clock::time_point now, std::string_view jti) {
  FormFields fields = {{"grant_type", std::string(kDeviceCodeGrantType)}, {"device_code", std::string(device_code)}};
  if (resource) fields.emplace_back("resource", *resource);
  return authenticated_form(token_endpoint, std::move(fields), client, now, jti);
}

DevicePollResult parse_device_token_response(int status, std::string_view body, const std::string& endpoint,
                                             Clock::time_point now, const std::optional<std::string>& requested_scope,
                                             bool accept_dpop) {
  const Json doc = parse_body(body, endpoint, status, "token response");
  if (has_error(doc)) {
    const std::string error = doc["error"];
    if (error == "authorization_pending") return {DevicePollResult::Kind::pending, std::nullopt};
    if (error == "slow_down") return {DevicePollResult::Kind::slow_down, std::nullopt};
    if (error == "access_denied") {
      throw OAuthError(ErrorCode::authorization_denied,
                       "you declined the device login (or the authorization server refused it) at " + endpoint +
                           "; if that was a mistake, " + kAgain,
                       endpoint, status, error, kAgainDetail);
    }
    if (error == "expired_token") {
      throw OAuthError(ErrorCode::consent_timeout,
                       "the code expired before it was approved at " + endpoint + "; " + kAgain, endpoint, status,
                       error, kAgainDetail);
    }
  }
  // Tokens, or another error (invalid_grant, invalid_client, ...): the
  // token endpoint's usual rules apply.
  return {DevicePollResult::Kind::tokens,
          parse_token_response(status, body, endpoint, now, requested_scope, std::nullopt, accept_dpop)};
}

std::chrono::seconds next_interval(std::chrono::seconds current, DevicePollResult::Kind kind) {
  if (kind != DevicePollResult::Kind::slow_down) return current;
  return std::max(current, std::min(current + kSlowDownStep, std::chrono::seconds(kMaxInterval)));
}

void check_device_code_expiry(const DeviceAuthorization& device, Clock::time_point now, const std::string& endpoint) {
  if (now < device.expires_at) return;
  throw Error(
      ErrorCode::consent_timeout,
      "the code expired before it was approved (nobody confirmed it at " + device.verification_uri + "); " + kAgain,
      endpoint, 0, kAgainDetail);
}

}  // namespace mcpauth::core::oauth
