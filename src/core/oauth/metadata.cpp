#include "mcpauth/core/oauth/metadata.hpp"

#include <algorithm>

#include "mcpauth/core/json.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {
namespace {

constexpr std::string_view kPrmWellKnown = "/.well-known/oauth-protected-resource";
constexpr std::string_view kOAuthWellKnown = "/.well-known/oauth-authorization-server";
constexpr std::string_view kOidcWellKnown = "/.well-known/openid-configuration";

std::string strip_trailing_slash(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

Json parse_document(std::string_view body, const std::string& url, const char* what) {
  if (body.size() > kMaxMetadataBytes) {
    throw Error(
        ErrorCode::invalid_metadata,
        std::string("the ") + what + " at " + url + " is larger than " + std::to_string(kMaxMetadataBytes) + " bytes",
        url);
  }
  Json doc = core::parse_json(body, core::JsonLimits{kMaxMetadataBytes}, ErrorCode::invalid_metadata,
                              std::string("the ") + what + " at " + url);
  if (!doc.is_object()) {
    throw Error(ErrorCode::invalid_metadata, std::string("the ") + what + " at " + url + " is not a JSON object", url);
  }
  return doc;
}

std::optional<std::string> get_string(const Json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::vector<std::string>> get_strings(const Json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

void require_secure_url(const std::string& url, std::string_view what) {
  Url parsed;
  try {
    parsed = parse_url(url);
  } catch (const Error&) {
    throw Error(ErrorCode::insecure_url,
                "the " + std::string(what) + " \"" + url + "\" is not an http(s) URL; refusing to use it", url);
  }
  if (parsed.scheme == "http" && !is_loopback_host(parsed.host)) {
    throw Error(ErrorCode::insecure_url,
                "the " + std::string(what) + " " + url +
                    " uses plain http on a host that is not loopback; OAuth requires https",
                url);
  }
}

void require_server_directed_url(const std::string& url, std::string_view what, const Url& server) {
  require_secure_url(url, what);
  const Url parsed = parse_url(url);
  const HostKind kind = classify_host(parsed.host);
  if (kind == HostKind::loopback && classify_host(server.host) != HostKind::loopback) {
    throw Error(ErrorCode::insecure_url,
                "the " + std::string(what) + " " + url + " is on this machine (loopback), but the MCP server " +
                    server.text + " is not; refusing to let a remote server direct mcpauth to local services",
                url);
  }
  if (kind == HostKind::link_local || kind == HostKind::unspecified || kind == HostKind::metadata_service) {
    throw Error(ErrorCode::insecure_url,
                "the " + std::string(what) + " " + url +
                    " is a link-local, unspecified or cloud metadata-service address; refusing to fetch it",
                url);
  }
}

void require_origin_issuer(const AuthorizationServerMetadata& metadata, const std::string& origin,
                           const std::string& fetched_from) {
  if (metadata.issuer == origin || metadata.issuer == origin + "/") return;
  throw Error(ErrorCode::issuer_mismatch,
              "the authorization server metadata at " + fetched_from + " names the issuer \"" + metadata.issuer +
                  "\" but, with no protected resource metadata, the issuer must be the server's origin \"" + origin +
                  "\"; refusing it (possible mix-up attack)",
              fetched_from, 0, {.expected_issuer = origin, .received_issuer = metadata.issuer});
}

std::vector<std::string> protected_resource_metadata_urls(const std::string& server_url) {
  const Url url = parse_url(server_url);
  const std::string origin = origin_of(url);
  const std::string path = strip_trailing_slash(url.path);
  std::vector<std::string> out;
  if (!path.empty())
    out.push_back(origin + std::string(kPrmWellKnown) + path + (url.query.empty() ? "" : "?" + url.query));
  out.push_back(origin + std::string(kPrmWellKnown));
  return out;
}

ProtectedResourceMetadata parse_protected_resource_metadata(std::string_view body, const std::string& fetched_from) {
  const Json doc = parse_document(body, fetched_from, "protected resource metadata");
  ProtectedResourceMetadata prm;
  const auto resource = get_string(doc, "resource");
  if (!resource || resource->empty()) {
    throw Error(ErrorCode::invalid_metadata,
                "the protected resource metadata at " + fetched_from + " has no \"resource\"", fetched_from);
  }
  prm.resource = *resource;
  prm.authorization_servers = get_strings(doc, "authorization_servers").value_or(std::vector<std::string>{});
  if (prm.authorization_servers.empty()) {
    throw Error(ErrorCode::invalid_metadata,
                "the protected resource metadata at " + fetched_from + " lists no authorization_servers", fetched_from);
  }
  prm.scopes_supported = get_strings(doc, "scopes_supported");
  prm.raw = doc;
  return prm;
}

bool resource_matches(const std::string& prm_resource, const std::string& server_url) {
  Url resource;
  Url server;
  try {
    resource = parse_url(prm_resource);
    server = parse_url(server_url);
  } catch (const Error&) {
    return false;
  }
  if (!same_origin(resource, server)) return false;
  if (!resource.query.empty() && resource.query != server.query) return false;
  const std::string prefix = strip_trailing_slash(resource.path) + "/";
  const std::string path = strip_trailing_slash(server.path) + "/";
  return path.compare(0, prefix.size(), prefix) == 0;
}

std::vector<std::string> authorization_server_metadata_urls(const std::string& issuer) {
  const Url url = parse_url(issuer);
  const std::string origin = origin_of(url);
  const std::string path = strip_trailing_slash(url.path);
  if (path.empty()) return {origin + std::string(kOAuthWellKnown), origin + std::string(kOidcWellKnown)};
  return {origin + std::string(kOAuthWellKnown) + path, origin + std::string(kOidcWellKnown) + path,
          origin + path + std::string(kOidcWellKnown)};
}

AuthorizationServerMetadata parse_authorization_server_metadata(std::string_view body, const std::string& fetched_from,
                                                                const std::optional<std::string>& expected_issuer) {
  const Json doc = parse_document(body, fetched_from, "authorization server metadata");
  AuthorizationServerMetadata m;
  m.issuer = get_string(doc, "issuer").value_or("");
  if (m.issuer.empty()) {
    throw Error(ErrorCode::invalid_metadata,
                "the authorization server metadata at " + fetched_from + " has no \"issuer\"", fetched_from);
  }
  if (expected_issuer && m.issuer != *expected_issuer) {
    // Exact comparison: case, trailing slash and default port all count.
    throw Error(ErrorCode::issuer_mismatch,
                "the authorization server metadata at " + fetched_from + " names the issuer \"" + m.issuer +
                    "\" but \"" + *expected_issuer + "\" was expected; refusing it (possible mix-up attack)",
                fetched_from, 0, {.expected_issuer = *expected_issuer, .received_issuer = m.issuer});
  }
  auto endpoint = [&](const char* key, bool required) -> std::optional<std::string> {
    auto value = get_string(doc, key);
    if (!value || value->empty()) {
      if (required) {
        throw Error(ErrorCode::invalid_metadata,
                    "the authorization server metadata at " + fetched_from + " has no \"" + key + "\"", fetched_from);
      }
      return std::nullopt;
    }
    require_secure_url(*value, key);
    return value;
  };
  m.authorization_endpoint = *endpoint("authorization_endpoint", true);
  m.token_endpoint = *endpoint("token_endpoint", true);
  m.registration_endpoint = endpoint("registration_endpoint", false);
  m.revocation_endpoint = endpoint("revocation_endpoint", false);
  m.device_authorization_endpoint = endpoint("device_authorization_endpoint", false);
  if (m.authorization_endpoint.find('#') != std::string::npos) {
    throw Error(ErrorCode::invalid_metadata,
                "the authorization_endpoint in " + fetched_from + " has a fragment, which OAuth forbids", fetched_from);
  }
  m.response_types_supported = get_strings(doc, "response_types_supported").value_or(std::vector<std::string>{"code"});
  if (!contains(m.response_types_supported, "code")) {
    throw Error(ErrorCode::invalid_metadata,
                "the authorization server " + m.issuer + " does not support the authorization code flow", fetched_from);
  }
  m.code_challenge_methods_supported = get_strings(doc, "code_challenge_methods_supported");
  m.token_endpoint_auth_methods_supported = get_strings(doc, "token_endpoint_auth_methods_supported");
  m.grant_types_supported = get_strings(doc, "grant_types_supported");
  m.scopes_supported = get_strings(doc, "scopes_supported");
  m.client_id_metadata_document_supported = doc.value("client_id_metadata_document_supported", Json(false)) == true;
  m.authorization_response_iss_parameter_supported =
      doc.value("authorization_response_iss_parameter_supported", Json(false)) == true;
  m.raw = doc;
  return m;
}

void require_pkce_s256(const AuthorizationServerMetadata& metadata) {
  if (metadata.from_defaults) return;  // no document to ask; PKCE is sent regardless
  if (!metadata.code_challenge_methods_supported || !contains(*metadata.code_challenge_methods_supported, "S256")) {
    throw Error(ErrorCode::pkce_unsupported,
                "the authorization server " + metadata.issuer +
                    " does not advertise PKCE with S256 (code_challenge_methods_supported); MCP requires it, so "
                    "mcpauth will not authorize with it",
                metadata.issuer);
  }
}

AuthorizationServerMetadata default_authorization_server_metadata(const std::string& server_url) {
  const std::string origin = origin_of(parse_url(server_url));
  AuthorizationServerMetadata m;
  m.issuer = origin;
  m.authorization_endpoint = origin + "/authorize";
  m.token_endpoint = origin + "/token";
  m.registration_endpoint = origin + "/register";
  m.response_types_supported = {"code"};
  m.code_challenge_methods_supported = std::vector<std::string>{"S256"};
  m.from_defaults = true;
  require_secure_url(m.token_endpoint, "token endpoint");
  return m;
}

}  // namespace mcpauth::core::oauth
