#include "mcpauth/core/oauth/client_choice.hpp"

#include "mcpauth/core/oauth/device.hpp"
#include "mcpauth/core/text.hpp"

namespace mcpauth::core::oauth {
namespace {

// A stored dynamic registration made for another redirect URI (or for the
// other kind of grant) no longer fits: a new one is made. A device-grant
// registration has no redirect URI; a browser one is not registered for the device grant.
bool stored_fits(const ClientRegistration& stored, const ClientChoiceInput& input) {
  if (stored.kind != ClientKind::dynamic) return true;
  if (input.use == ClientUse::device) return stored.redirect_uris.empty();
  return input.redirect_uri.empty() || contains(stored.redirect_uris, input.redirect_uri);
}

// A client of this issuer, redirected to this consent's redirect URI (if any).
ClientRegistration client_here(const ClientChoiceInput& input, ClientKind kind, std::string client_id) {
  ClientRegistration client;
  client.issuer = input.as.issuer;
  if (!input.redirect_uri.empty()) client.redirect_uris = {input.redirect_uri};
  client.kind = kind;
  client.client_id = std::move(client_id);
  return client;
}

ClientRegistration pre_registered(const ClientChoiceInput& input) {
  const ClientSettings& config = input.configured;
  const std::string& issuer = input.as.issuer;
  if (config.issuer && *config.issuer != issuer) {
    throw Error(ErrorCode::registration_rejected,
                "the configured client id belongs to " + *config.issuer + ", but " + input.server_url +
                    " now uses the authorization server " + issuer + "; update the client configuration",
                issuer, 0, {.remedies = {Remedy::pre_register_client}});
  }
  ClientRegistration client = client_here(input, ClientKind::pre_registered, *config.client_id);
  client.client_secret = config.client_secret;
  client.private_key_pem = config.private_key_pem;
  if (config.token_endpoint_auth_method) {
    client.token_endpoint_auth_method = *config.token_endpoint_auth_method;
  } else if (config.private_key_pem) {
    client.token_endpoint_auth_method = "private_key_jwt";
  } else if (config.client_secret) {
    const auto& methods = input.as.token_endpoint_auth_methods_supported;
    client.token_endpoint_auth_method =
        (!methods || contains(*methods, "client_secret_basic")) ? "client_secret_basic" : "client_secret_post";
  } else {
    client.token_endpoint_auth_method = "none";
  }
  return client;
}

RegistrationRequest registration_for(const ClientChoiceInput& input) {
  RegistrationRequest registration;
  registration.client_name = input.client_name;
  if (!input.redirect_uri.empty()) registration.redirect_uris = {input.redirect_uri};
  // Only scopes the authorization server itself lists go into the
  // registration: strict servers (oidc-provider) refuse resource-only scopes
  // there, while granting them on the authorization request.
  if (input.scope && input.as.scopes_supported) {
    std::string listed;
    for (const auto& item : scope_list(*input.scope)) {
      if (contains(*input.as.scopes_supported, item)) listed = scope_union(listed, item);
    }
    if (!listed.empty()) registration.scope = listed;
  }
  registration.token_endpoint_auth_method = preferred_auth_method(input.as);
  registration.software_version = input.software_version;
  if (input.use == ClientUse::client_credentials) registration.grant_types = {"client_credentials"};
  if (input.use == ClientUse::device) registration.grant_types = {std::string(kDeviceCodeGrantType), "refresh_token"};
  return registration;
}

}  // namespace

std::string_view to_string(ClientSource source) noexcept {
  switch (source) {
    case ClientSource::stored: return "stored";
    case ClientSource::configured: return "configured";
    case ClientSource::metadata_document: return "metadata_document";
    case ClientSource::registration: return "registration";
  }
  return "unknown";
}

ClientChoice choose_client(const ClientChoiceInput& input) {
  ClientChoice choice;
  // A client given now wins over what is stored (a stored one may be a wrong
  // id or lack a secret that is given now).
  if (!input.configured.client_id && input.stored && stored_fits(*input.stored, input)) {
    choice.source = ClientSource::stored;
    choice.client = input.stored;
    return choice;
  }
  if (input.configured.client_id) {
    choice.source = ClientSource::configured;
    choice.client = pre_registered(input);
  } else if (input.as.client_id_metadata_document_supported && input.configured.client_metadata_url) {
    choice.source = ClientSource::metadata_document;
    choice.client = client_here(input, ClientKind::metadata_document, *input.configured.client_metadata_url);
  } else if (input.as.registration_endpoint) {
    choice.source = ClientSource::registration;
    choice.registration = registration_for(input);
  } else {
    throw Error(ErrorCode::registration_rejected,
                "the authorization server " + input.as.issuer +
                    " offers neither dynamic client registration nor client metadata documents; register a client "
                    "there and configure its client id",
                input.as.issuer, 0, {.remedies = {Remedy::pre_register_client}});
  }
  return choice;
}

}  // namespace mcpauth::core::oauth
