#include "mcpauth/core/oauth/revocation.hpp"

#include <algorithm>
#include <optional>

#include "mcpauth/core/json.hpp"
#include "mcpauth/core/oauth/describe_error.hpp"
#include "mcpauth/core/oauth/retry.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {
namespace {

// Only an error answer is read, and error answers are short.
constexpr std::size_t kMaxRevocationErrorBytes = 64 * 1024;
constexpr const char* kStaysValid = "; the token stays valid at the server until it expires";

std::string string_or_empty(const Json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string describe(const std::string& error, const std::string& description) {
  return describe_oauth_error(error, description);
}

}  // namespace

TokenRequest revocation_request(const std::string& revocation_endpoint, std::string_view token,
                                std::string_view token_type_hint, const ClientRegistration& client,
                                Clock::time_point now, std::string_view jti) {
  FormFields fields = {{"token", std::string(token)}};
  if (!token_type_hint.empty()) fields.emplace_back("token_type_hint", std::string(token_type_hint));
  return authenticated_form(revocation_endpoint, std::move(fields), client, now, jti);
}

void check_revocation_response(int status, std::string_view body, const std::string& endpoint,
                               std::string_view retry_after) {
  if (status == 200) return;
  if (status == 503) {
    const auto seconds = retry_after_seconds(retry_after);
    throw Error(ErrorCode::auth_server_unreachable,
                "the revocation endpoint " + endpoint + " is temporarily unavailable (HTTP 503); try again " +
                    (seconds ? "in " + std::to_string(*seconds) + " s" : std::string("later")),
                endpoint, status);
  }
  const Json doc = core::parse_json_or_discarded(body, core::JsonLimits{kMaxRevocationErrorBytes});
  const std::string error = doc.is_object() ? string_or_empty(doc, "error") : std::string();
  if (error == "unsupported_token_type") {
    throw OAuthError(ErrorCode::token_rejected,
                     "the authorization server at " + endpoint +
                         " does not revoke this kind of token (unsupported_token_type)" + kStaysValid,
                     endpoint, status, error);
  }
  if (!error.empty()) {
    throw OAuthError(ErrorCode::token_rejected,
                     "the revocation endpoint " + endpoint + " refused the request: " +
                         describe(error, string_or_empty(doc, "error_description")) + kStaysValid,
                     endpoint, status, error);
  }
  throw OAuthError(ErrorCode::token_rejected,
                   "the revocation endpoint " + endpoint + " answered HTTP " + std::to_string(status) + kStaysValid,
                   endpoint, status, "");
}

}  // namespace mcpauth::core::oauth
