#include "mcpauth/core/oauth/flow.hpp"

#include <algorithm>
#include <sstream>

#include "mcpauth/core/json.hpp"
#include "mcpauth/core/oauth/describe_error.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth_internal/core/client_assertion.hpp"

namespace mcpauth::core::oauth {
namespace {

constexpr std::size_t kMaxTokenResponseBytes = 256 * 1024;

std::vector<std::string> split_scope(std::string_view scope) {
  std::vector<std::string> out;
  std::istringstream in{std::string(scope)};
  for (std::string item; in >> item;) out.push_back(item);
  return out;
}

std::string join_scope(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

std::string describe(const std::string& error, const std::string& description) {
  return describe_oauth_error(error, description);
}

// A member that should be a string; anything else counts as absent.
std::string string_or_empty(const Json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string_view to_string(ClientKind kind) noexcept {
  switch (kind) {
    case ClientKind::pre_registered: return "pre_registered";
    case ClientKind::metadata_document: return "metadata_document";
    case ClientKind::dynamic: return "dynamic";
  }
  return "dynamic";
}

std::optional<ClientKind> parse_client_kind(std::string_view text) noexcept {
  for (const auto kind : {ClientKind::pre_registered, ClientKind::metadata_document, ClientKind::dynamic}) {
    if (text == to_string(kind)) return kind;
  }
  if (text == "pre-registered") return ClientKind::pre_registered;
  if (text == "client-id-metadata-document") return ClientKind::metadata_document;
  return std::nullopt;
}

std::string authorization_url(const FlowRecord& flow, const FormFields& extra) {
  FormFields fields = {{"response_type", "code"},           {"client_id", flow.client_id},
                       {"redirect_uri", flow.redirect_uri}, {"code_challenge", flow.code_challenge},
                       {"code_challenge_method", "S256"},   {"state", flow.state}};
  if (flow.scope && !flow.scope->empty()) fields.emplace_back("scope", *flow.scope);
  if (flow.resource) fields.emplace_back("resource", *flow.resource);
  fields.insert(fields.end(), extra.begin(), extra.end());
  const char separator = flow.authorization_endpoint.find('?') == std::string::npos ? '?' : '&';
  return flow.authorization_endpoint + separator + form_encode(fields);
}

std::string code_from_callback(const FormFields& params, const FlowRecord& flow) {
  const std::string* state = find_field(params, "state");
  if (!state || flow.state.empty() || *state != flow.state) {
    throw Error(ErrorCode::state_mismatch,
                state ? "the authorization response carries a state that does not belong to this flow; ignoring it"
                      : "the authorization response carries no state; ignoring it");
  }
  // RFC 9207 §2.4 as MCP 2026-07-28 tabulates it: a present `iss` is always
  // compared (exactly, after form decoding); an absent one is an error only
  // when the server said it sends one. Nothing else is read on mismatch.
  const std::string* iss = find_field(params, "iss");
  if (iss && *iss != flow.issuer) {
    // The received value is not repeated: it is attacker-controlled input.
    throw Error(ErrorCode::issuer_mismatch,
                "the authorization response names another issuer than " + flow.issuer +
                    " (iss parameter); ignoring it (possible mix-up attack)",
                {}, 0, {.expected_issuer = flow.issuer});
  }
  if (!iss && flow.iss_parameter_supported) {
    throw Error(ErrorCode::issuer_mismatch,
                "the authorization response has no iss parameter although " + flow.issuer +
                    " promises one (RFC 9207); ignoring it",
                {}, 0, {.expected_issuer = flow.issuer});
  }
  if (const std::string* error = find_field(params, "error")) {
    const std::string* description = find_field(params, "error_description");
    throw Error(ErrorCode::authorization_denied, "authorization was not granted by " + flow.issuer + ": " +
                                                     describe(*error, description ? *description : ""));
  }
  const std::string* code = find_field(params, "code");
  if (!code || code->empty()) {
    throw Error(ErrorCode::protocol, "the authorization response from " + flow.issuer + " has no code");
  }
  return *code;
}

void authenticate_client(TokenRequest& request, FormFields& fields, const ClientRegistration& client,
                         Clock::time_point now, std::string_view jti) {
  const std::string& method = client.token_endpoint_auth_method;
  if (method == "client_secret_basic" && client.client_secret) {
    request.authorization = "Basic " + basic_credentials(client.client_id, *client.client_secret);
  } else if (method == "client_secret_post" && client.client_secret) {
    fields.emplace_back("client_id", client.client_id);
    fields.emplace_back("client_secret", *client.client_secret);
  } else if (method == "private_key_jwt" && client.private_key_pem) {
    fields.emplace_back("client_id", client.client_id);
    fields.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    fields.emplace_back("client_assertion", detail::make_client_assertion(*client.private_key_pem, client.client_id,
                                                                          client.issuer, now, jti));
  } else {
    fields.emplace_back("client_id", client.client_id);  // a public client ("none")
  }
}

TokenRequest authenticated_form(const std::string& endpoint, FormFields fields, const ClientRegistration& client,
                                Clock::time_point now, std::string_view jti) {
  TokenRequest request;
  request.url = endpoint;
  authenticate_client(request, fields, client, now, jti);
  request.body = form_encode(fields);
  return request;
}

TokenRequest authorization_code_request(const FlowRecord& flow, std::string_view code, const ClientRegistration& client,
                                        Clock::time_point now, std::string_view jti) {
  FormFields fields = {{"grant_type", "authorization_code"},
                       {"code", std::string(code)},
                       {"redirect_uri", flow.redirect_uri},
                       {"code_verifier", flow.code_verifier}};
  if (flow.resource) fields.emplace_back("resource", *flow.resource);
  return authenticated_form(flow.token_endpoint, std::move(fields), client, now, jti);
}

TokenRequest refresh_token_request(const std::string& token_endpoint, std::string_view refresh_token,
                                   const std::optional<std::string>& resource, const ClientRegistration& client,
                                   Clock::time_point now, std::string_view jti,
                                   const std::optional<std::string>& scope) {
  FormFields fields = {{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}};
  if (scope && !scope->empty()) fields.emplace_back("scope", *scope);
  if (resource) fields.emplace_back("resource", *resource);
  return authenticated_form(token_endpoint, std::move(fields), client, now, jti);
}

TokenRequest client_credentials_request(const std::string& token_endpoint, const std::optional<std::string>& scope,
                                        const std::optional<std::string>& resource, const ClientRegistration& client,
                                        Clock::time_point now, std::string_view jti) {
  FormFields fields = {{"grant_type", "client_credentials"}};
  if (scope && !scope->empty()) fields.emplace_back("scope", *scope);
  if (resource) fields.emplace_back("resource", *resource);
  return authenticated_form(token_endpoint, std::move(fields), client, now, jti);
}

TokenRequest jwt_bearer_request(const std::string& token_endpoint, std::string_view assertion,
                                const std::optional<std::string>& scope, const std::optional<std::string>& resource,
                                const ClientRegistration& client, Clock::time_point now, std::string_view jti) {
  FormFields fields = {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
                       {"assertion", std::string(assertion)}};
  if (scope && !scope->empty()) fields.emplace_back("scope", *scope);
  if (resource) fields.emplace_back("resource", *resource);
  return authenticated_form(token_endpoint, std::move(fields), client, now, jti);
}

TokenRequest identity_assertion_request(const IdentityAssertionRequest& request, const ClientRegistration& idp_client,
                                        Clock::time_point now, std::string_view jti) {
  FormFields fields = {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                       {"requested_token_type", "urn:ietf:params:oauth:token-type:id-jag"},
                       {"audience", request.audience},
                       {"subject_token", request.subject_token},
                       {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"}};
  if (request.resource) fields.emplace_back("resource", *request.resource);
  if (request.scope && !request.scope->empty()) fields.emplace_back("scope", *request.scope);
  return authenticated_form(request.idp_token_endpoint, std::move(fields), idp_client, now, jti);
}

std::string parse_identity_assertion_response(int status, std::string_view body, const std::string& endpoint) {
  const Json doc = core::parse_json_or_discarded(body, core::JsonLimits{kMaxTokenResponseBytes});
  const bool is_object = !doc.is_discarded() && doc.is_object();
  if (is_object && doc.contains("error")) {
    const std::string error = string_or_empty(doc, "error");
    throw OAuthError(ErrorCode::token_rejected,
                     "the identity provider " + endpoint +
                         " refused the token exchange: " + describe(error, string_or_empty(doc, "error_description")),
                     endpoint, status, error);
  }
  if (status != 200 || !is_object) {
    throw OAuthError(
        ErrorCode::token_rejected,
        "the identity provider " + endpoint + " answered the token exchange with HTTP " + std::to_string(status),
        endpoint, status, "");
  }
  const std::string type = string_or_empty(doc, "issued_token_type");
  const std::string assertion = string_or_empty(doc, "access_token");
  if (type != "urn:ietf:params:oauth:token-type:id-jag" || assertion.empty()) {
    throw Error(ErrorCode::protocol,
                "the identity provider " + endpoint + " did not issue an identity assertion (ID-JAG)", endpoint);
  }
  return assertion;
}

TokenSet parse_token_response(int status, std::string_view body, const std::string& endpoint, Clock::time_point now,
                              const std::optional<std::string>& requested_scope,
                              const std::optional<std::string>& previous_refresh_token, bool accept_dpop) {
  if (body.size() > kMaxTokenResponseBytes) {
    throw Error(ErrorCode::protocol, "the token response from " + endpoint + " is too large", endpoint, status);
  }
  const Json doc = core::parse_json_or_discarded(body, core::JsonLimits{kMaxTokenResponseBytes});
  const bool is_object = !doc.is_discarded() && doc.is_object();
  // RFC 6749 §5.2 errors; some servers (GitHub) send them with 200.
  if (is_object && doc.contains("error") && doc["error"].is_string()) {
    const std::string error = doc["error"];
    const std::string description = string_or_empty(doc, "error_description");
    throw OAuthError(ErrorCode::token_rejected,
                     "the token endpoint " + endpoint + " refused the request: " + describe(error, description),
                     endpoint, status, error);
  }
  if (status != 200) {
    throw OAuthError(ErrorCode::token_rejected,
                     "the token endpoint " + endpoint + " answered HTTP " + std::to_string(status), endpoint, status,
                     "");
  }
  if (!is_object)
    throw Error(ErrorCode::protocol, "the token endpoint " + endpoint + " did not answer with JSON", endpoint);
  TokenSet tokens;
  if (!doc.contains("access_token") || !doc["access_token"].is_string() ||
      doc["access_token"].get<std::string>().empty()) {
    throw Error(ErrorCode::protocol, "the token response from " + endpoint + " has no access_token", endpoint);
  }
  tokens.access_token = doc["access_token"];
  const std::string type = string_or_empty(doc, "token_type");
  const std::string lower_type = lower(type);
  tokens.token_type = lower_type == "dpop" ? "DPoP" : "Bearer";  // the scheme, as headers spell it
  if (lower_type != "bearer" && !(accept_dpop && lower_type == "dpop")) {
    throw Error(ErrorCode::protocol,
                "the token endpoint " + endpoint + " issued a token of type \"" + type.substr(0, 40) +
                    "\"; mcpauth uses only Bearer tokens (and DPoP tokens it asked for)",
                endpoint);
  }
  if (const auto it = doc.find("expires_in"); it != doc.end()) {
    long long seconds = -1;
    if (it->is_number_integer() || it->is_number_unsigned()) {
      seconds = it->get<long long>();
    } else if (it->is_number_float()) {
      seconds = static_cast<long long>(std::clamp(it->get<double>(), -1.0, 1e12));  // no UB on 1e300
    } else if (it->is_string()) {
      try {
        seconds = std::stoll(it->get<std::string>());
      } catch (const std::exception&) {
        seconds = -1;
      }
    }
    if (seconds >= 0) tokens.expires_at = now + std::chrono::seconds(std::min(seconds, 10LL * 365 * 86400));
    tokens.issued_at = now;
  }
  if (const auto it = doc.find("refresh_token");
      it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
    tokens.refresh_token = it->get<std::string>();
  } else {
    tokens.refresh_token = previous_refresh_token;  // no rotation: the old one stays valid
  }
  if (const auto it = doc.find("scope"); it != doc.end() && it->is_string()) {
    tokens.scope = it->get<std::string>();
  } else {
    tokens.scope = requested_scope;  // RFC 6749 §5.1: absent means as requested
  }
  return tokens;
}

std::string registration_body(const RegistrationRequest& request) {
  Json body = {
      {"client_name", request.client_name},
      {"redirect_uris", request.redirect_uris},
      {"grant_types", request.grant_types},
      // A client registered only for the device grant receives no authorization responses.
      {"response_types", contains(request.grant_types, "authorization_code") ? Json::array({"code"}) : Json::array()},
      {"token_endpoint_auth_method", request.token_endpoint_auth_method},
      {"application_type", request.application_type},
      {"software_id", request.software_id}};
  if (!request.software_version.empty()) body["software_version"] = request.software_version;
  if (request.scope && !request.scope->empty()) body["scope"] = *request.scope;
  return body.dump();
}

std::string preferred_auth_method(const AuthorizationServerMetadata& metadata) {
  const auto& methods = metadata.token_endpoint_auth_methods_supported;
  if (!methods || contains(*methods, "none")) return "none";
  for (const char* method : {"client_secret_basic", "client_secret_post"}) {
    if (contains(*methods, method)) return method;
  }
  return "none";
}

ClientRegistration parse_registration_response(int status, std::string_view body, const std::string& endpoint,
                                               const std::string& issuer, const RegistrationRequest& request,
                                               const AuthorizationServerMetadata& metadata) {
  const Json doc = core::parse_json_or_discarded(body, core::JsonLimits{kMaxTokenResponseBytes});
  const bool is_object = !doc.is_discarded() && doc.is_object();
  if (status < 200 || status >= 300 || (is_object && doc.contains("error"))) {
    std::string detail = "HTTP " + std::to_string(status);
    if (is_object && doc.contains("error") && doc["error"].is_string()) {
      detail = describe(doc["error"], string_or_empty(doc, "error_description"));
    }
    throw Error(ErrorCode::registration_rejected,
                "the authorization server " + issuer + " refused to register mcpauth as a client at " + endpoint +
                    ": " + detail + "; configure a pre-registered client id for this server instead",
                endpoint, status);
  }
  if (!is_object || !doc.contains("client_id") || !doc["client_id"].is_string() ||
      doc["client_id"].get<std::string>().empty()) {
    throw Error(ErrorCode::registration_rejected, "the registration response from " + endpoint + " has no client_id",
                endpoint, status);
  }
  ClientRegistration client;
  client.issuer = issuer;
  client.kind = ClientKind::dynamic;
  client.client_id = doc["client_id"];
  if (const auto it = doc.find("client_secret");
      it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
    client.client_secret = it->get<std::string>();
  }
  client.redirect_uris = request.redirect_uris;
  if (const auto it = doc.find("redirect_uris"); it != doc.end() && it->is_array()) {
    client.redirect_uris.clear();
    for (const auto& uri : *it) {
      if (uri.is_string()) client.redirect_uris.push_back(uri);
    }
  }
  // The server may change what we asked for; its answer wins.
  if (const auto it = doc.find("token_endpoint_auth_method"); it != doc.end() && it->is_string()) {
    client.token_endpoint_auth_method = it->get<std::string>();
  } else if (client.client_secret) {
    const auto& methods = metadata.token_endpoint_auth_methods_supported;
    client.token_endpoint_auth_method =
        (!methods || contains(*methods, "client_secret_basic")) ? "client_secret_basic" : "client_secret_post";
  } else {
    client.token_endpoint_auth_method = "none";
  }
  return client;
}

std::optional<std::string> initial_scope(const AuthChallenge& challenge, const ProtectedResourceMetadata* prm,
                                         const AuthorizationServerMetadata& metadata) {
  std::optional<std::string> scope;
  if (challenge.scope && !challenge.scope->empty()) {
    scope = challenge.scope;
  } else if (prm && prm->scopes_supported && !prm->scopes_supported->empty()) {
    scope = join_scope(*prm->scopes_supported);
  }
  // offline_access asks for a refresh token; it is added to a scope, never
  // made the whole scope (where none is defined, none is sent).
  if (scope && metadata.scopes_supported && contains(*metadata.scopes_supported, "offline_access")) {
    scope = scope_union(scope.value_or(""), "offline_access");
  }
  return scope;
}

std::vector<std::string> scope_list(std::string_view scope) {
  return split_scope(scope);
}

std::string scope_union(std::string_view a, std::string_view b) {
  std::vector<std::string> items;
  for (const std::string_view part : {a, b}) {
    for (auto& item : split_scope(part)) {
      if (!contains(items, item)) items.push_back(std::move(item));
    }
  }
  return join_scope(items);
}

bool scope_covers(std::string_view granted, std::string_view required) {
  const auto have = split_scope(granted);
  for (const auto& item : split_scope(required)) {
    if (!contains(have, item)) return false;
  }
  return true;
}

}  // namespace mcpauth::core::oauth
