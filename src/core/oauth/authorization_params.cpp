#include "mcpauth/core/oauth/authorization_params.hpp"

#include <algorithm>
#include <array>

#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {
namespace {

bool visible_ascii(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::optional<std::string> refused_authorization_param(std::string_view name) {
  if (name.empty()) return "a parameter needs a name";
  // RFC 6749 Appendix A.1: VSCHAR, and '=' and '&' would break the form anyway.
  if (!visible_ascii(name) || name.find_first_of("=&?#") != std::string_view::npos)
    return "a parameter name is printable ASCII without spaces, '=', '&', '?' or '#'";
  static constexpr std::array<std::string_view, 6> kDerived = {
      "response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"};
  if (std::find(kDerived.begin(), kDerived.end(), name) != kDerived.end()) {
    // A value that disagrees with the real one surfaces as an opaque server error, or weakens the flow.
    return "it is part of the authorization flow itself and derived per request";
  }
  if (name == "scope") return "the scope has its own setting, so that the token request asks for the same scope";
  if (name == "resource") {
    return "the resource (RFC 8707) has its own setting, so that the token and refresh requests carry the same value";
  }
  if (name == "request" || name == "request_uri") {
    return "a request object would replace the parameters the flow checks (RFC 9101)";
  }
  if (name == "code" || name == "iss" || name == "error") return "it is a parameter of the authorization response";
  return std::nullopt;
}

void check_extra_authorization_params(const FormFields& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string& name = params[i].first;
    if (auto why = refused_authorization_param(name)) {
      // The name is repeated only when it is plain text; a value never is.
      throw Error(ErrorCode::usage, "the extra authorization parameter " +
                                        (visible_ascii(name) ? "\"" + name + "\"" : "number " + std::to_string(i + 1)) +
                                        " is refused: " + *why);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (params[j].first == name) {
        throw Error(ErrorCode::usage,
                    "the extra authorization parameter \"" + name + "\" is given twice; give each name once");
      }
    }
  }
}

}  // namespace mcpauth::core::oauth
