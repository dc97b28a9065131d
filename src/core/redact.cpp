#include "mcpauth_internal/core/redact.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include "mcpauth/core/json.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core {
namespace {

constexpr std::string_view kRedacted = "[redacted]";
constexpr std::size_t kMaxValueBytes = 256;  // a shown value; a line stays readable
constexpr std::size_t kMaxArrayItems = 10;

// Names whose values are public by the protocols' design: endpoint and
// client metadata, grant and token types, lifetimes, scopes, error codes,
// the JSON-RPC envelope. Everything else (code, code_verifier, state,
// access_token, refresh_token, client_secret, assertion, client_assertion,
// subject_token, device_code, user_code, password, id_token, any name a
// server made up) is never shown.
constexpr std::string_view kLoggable[] = {
    "actor_token_type",
    "application_type",
    "audience",
    "authorization_endpoint",
    "authorization_servers",
    "client_assertion_type",
    "client_id",
    "client_id_issued_at",
    "client_name",
    "client_secret_expires_at",
    "code_challenge_method",
    "device_authorization_endpoint",
    "error",
    "error_description",
    "error_uri",
    "expires_in",
    "grant_type",
    "grant_types",
    "id",
    "interval",
    "iss",
    "issued_token_type",
    "issuer",
    "jsonrpc",
    "method",
    "prompt",
    "redirect_uri",
    "redirect_uris",
    "registration_endpoint",
    "requested_token_type",
    "resource",
    "response_mode",
    "response_type",
    "response_types",
    "revocation_endpoint",
    "scope",
    "scopes_supported",
    "subject_token_type",
    "token_endpoint",
    "token_endpoint_auth_method",
    "token_type",
    "token_type_hint",
    "verification_uri",
};

std::string shown(std::string_view value) {
  return printable(value, kMaxValueBytes);
}

// A JSON scalar as a log shows it; nullopt for an object or an array.
std::optional<std::string> scalar_text(const nlohmann::ordered_json& value) {
  if (value.is_string()) return shown(value.get_ref<const std::string&>());
  if (value.is_number() || value.is_boolean() || value.is_null()) return value.dump();
  return std::nullopt;
}

std::optional<std::string> json_value_text(const nlohmann::ordered_json& value) {
  if (!value.is_array()) return scalar_text(value);
  std::string out = "[";
  std::size_t count = 0;
  for (const auto& item : value) {
    const auto text = scalar_text(item);
    if (!text) return std::nullopt;  // a nested structure: the name only
    if (count == kMaxArrayItems) {
      out += ",...";
      break;
    }
    if (count++ > 0) out += ',';
    out += *text;
  }
  return out + "]";
}

}  // namespace

bool is_loggable_parameter(std::string_view name) noexcept {
  return std::find(std::begin(kLoggable), std::end(kLoggable), name) != std::end(kLoggable);
}

std::string redact_url(std::string_view url) {
  const auto hash = url.find('#');
  const bool has_fragment = hash != std::string_view::npos;
  url = url.substr(0, hash);
  const auto question = url.find('?');
  std::string_view base = url.substr(0, question);
  std::string out;
  // userinfo (user:password@) may itself be the credential: all of it goes.
  const auto scheme_end = base.find("://");
  const auto authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto authority_end = std::min(base.find('/', authority_start), base.size());
  const auto at = base.substr(0, authority_end).rfind('@');
  if (scheme_end != std::string_view::npos && at != std::string_view::npos && at >= authority_start) {
    out.append(base.substr(0, authority_start)).append(kRedacted).append(base.substr(at));
  } else {
    out.append(base);
  }
  if (question != std::string_view::npos) {
    out += '?';
    std::string_view query = url.substr(question + 1);
    bool first = true;
    while (true) {
      const auto amp = query.find('&');
      const std::string_view piece = query.substr(0, amp);
      if (!first) out += '&';
      first = false;
      const auto equals = piece.find('=');
      const std::string_view name = piece.substr(0, equals);
      if (is_loggable_parameter(name)) {
        out.append(piece);
      } else if (equals == std::string_view::npos) {
        out.append(piece.empty() ? std::string_view() : kRedacted);  // a bare item may be the secret itself
      } else {
        out.append(name).append("=").append(kRedacted);
      }
      if (amp == std::string_view::npos) break;
      query = query.substr(amp + 1);
    }
  }
  if (has_fragment) out.append("#").append(kRedacted);
  return out;
}

namespace {

// Where an http:// or https:// URL starts at or after `from` (any case).
std::size_t find_url(std::string_view text, std::size_t from) {
  for (std::size_t at = text.find_first_of("hH", from); at != std::string_view::npos;
       at = text.find_first_of("hH", at + 1)) {
    for (std::string_view scheme : {"http://", "https://"}) {
      if (iequals(text.substr(at, scheme.size()), scheme)) return at;
    }
  }
  return std::string_view::npos;
}

bool ends_url(unsigned char c) {
  return c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`';
}

}  // namespace

std::string redact_urls_in(std::string_view text) {
  std::string out;
  std::size_t done = 0;
  for (std::size_t start = find_url(text, 0); start != std::string_view::npos; start = find_url(text, done)) {
    std::size_t end = start;
    while (end < text.size() && !ends_url(static_cast<unsigned char>(text[end]))) ++end;
    while (std::string_view(".,;:)").find(text[end - 1]) != std::string_view::npos) --end;  // the sentence's
    out.append(text.substr(done, start - done)).append(redact_url(text.substr(start, end - start)));
    done = end;
  }
  return out.append(text.substr(done));
}

std::string describe_form(std::string_view body) {
  oauth::FormFields fields;
  try {
    fields = oauth::parse_form(body);
  } catch (const Error&) {
    return "form (not readable)";
  }
  std::string out = "form{";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& [name, value] = fields[i];
    if (i > 0) out += ' ';
    out += shown(name) + "=" + (is_loggable_parameter(name) ? shown(value) : std::string(kRedacted));
  }
  return out + "}";
}

std::string describe_json(std::string_view body) {
  // Large bodies (a tool's result) are not worth parsing for a log line.
  const auto json = parse_json_or_discarded<nlohmann::ordered_json>(body, JsonLimits{64 * 1024, 64});
  if (json.is_array()) return "json[" + std::to_string(json.size()) + "]";
  if (!json.is_object()) return "";
  std::string out = "json{";
  bool first = true;
  for (const auto& [name, value] : json.items()) {
    if (!first) out += ' ';
    first = false;
    out += shown(name);
    if (!is_loggable_parameter(name)) continue;
    if (const auto text = json_value_text(value)) out += "=" + *text;
  }
  return out + "}";
}

}  // namespace mcpauth::core
