// Which client identity an authorization uses, decided from what is known:
// what the user configured, what the store holds for the issuer, and what
// the authorization server offers. The answer is a client to use as it is
// (stored, pre-registered, or a Client ID Metadata Document URL) or the
// Dynamic Client Registration request to send; nothing here sends it.
#pragma once

#include <optional>
#include <string>

#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/core/oauth/metadata.hpp"

namespace mcpauth::core::oauth {

// What the user configured about the client identity (all optional).
struct ClientSettings {
  std::optional<std::string> client_id;  // a pre-registered client
  std::optional<std::string> client_secret;
  std::optional<std::string> token_endpoint_auth_method;
  std::optional<std::string> private_key_pem;      // for private_key_jwt
  std::optional<std::string> issuer;               // the authorization server the client id belongs to
  std::optional<std::string> client_metadata_url;  // a Client ID Metadata Document URL (https)
};

// The grant the client is for: it decides the redirect URI and grant types.
enum class ClientUse { browser, device, client_credentials, assertion };

struct ClientChoiceInput {
  AuthorizationServerMetadata as;
  ClientSettings configured;
  std::optional<ClientRegistration> stored;  // the store's client for as.issuer
  ClientUse use = ClientUse::browser;
  std::string redirect_uri;          // browser: where this consent receives the redirect
  std::optional<std::string> scope;  // the scope about to be asked for
  std::string client_name = "mcpauth";
  std::string software_version;
  std::string server_url;  // for the messages
};

enum class ClientSource {
  stored,             // the store's registration still fits
  configured,         // the pre-registered client the user configured
  metadata_document,  // the Client ID Metadata Document URL is the client id
  registration,       // none of those: register (RFC 7591)
};
std::string_view to_string(ClientSource source) noexcept;

struct ClientChoice {
  ClientSource source = ClientSource::registration;
  std::optional<ClientRegistration> client;  // all but `registration`: the client to use
  RegistrationRequest registration;          // `registration`: what to send to as.registration_endpoint
};

// Throws Error(registration_rejected) when the server offers no way to get
// a client id (or the configured one belongs to another issuer).
ClientChoice choose_client(const ClientChoiceInput& input);

}  // namespace mcpauth::core::oauth
