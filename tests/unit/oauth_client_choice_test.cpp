#include "mcpauth/core/oauth/client_choice.hpp"

#include <gtest/gtest.h>

#include "error_of.hpp"
#include "mcpauth/core/oauth/device.hpp"

namespace mcpauth::core::oauth {
namespace {

ClientChoiceInput input_with_dcr() {
  ClientChoiceInput input;
  input.as.issuer = "https://as.example";
  input.as.authorization_endpoint = "https://as.example/authorize";
  input.as.token_endpoint = "https://as.example/token";
  input.as.registration_endpoint = "https://as.example/register";
  input.redirect_uri = "http://127.0.0.1:8765/callback";
  input.server_url = "https://mcp.example/mcp";
  input.software_version = "9.9.9";
  return input;
}

ClientRegistration stored_dynamic(std::vector<std::string> redirect_uris) {
  ClientRegistration client;
  client.issuer = "https://as.example";
  client.client_id = "dyn-old";
  client.redirect_uris = std::move(redirect_uris);
  client.kind = ClientKind::dynamic;
  return client;
}

TEST(ChooseClient, WithNothingConfiguredOrStoredItRegistersForThisRedirect) {
  const auto choice = choose_client(input_with_dcr());
  EXPECT_EQ(choice.source, ClientSource::registration);
  EXPECT_FALSE(choice.client);
  EXPECT_EQ(choice.registration.redirect_uris, std::vector<std::string>{"http://127.0.0.1:8765/callback"});
  EXPECT_EQ(choice.registration.token_endpoint_auth_method, "none");
  EXPECT_EQ(choice.registration.software_version, "9.9.9");
  EXPECT_EQ(choice.registration.grant_types, (std::vector<std::string>{"authorization_code", "refresh_token"}));
}

TEST(ChooseClient, RegistrationScopesAreOnlyThoseTheAuthorizationServerLists) {
  auto input = input_with_dcr();
  input.scope = "files:read openid offline_access";
  input.as.scopes_supported = std::vector<std::string>{"openid", "offline_access", "profile"};
  EXPECT_EQ(choose_client(input).registration.scope, "openid offline_access");
  input.as.scopes_supported = std::vector<std::string>{"profile"};
  EXPECT_FALSE(choose_client(input).registration.scope);  // none listed: no scope in the registration
  input.as.scopes_supported.reset();
  EXPECT_FALSE(choose_client(input).registration.scope);  // nothing listed: nothing claimed
}

TEST(ChooseClient, DeviceAndMachineGrantsRegisterForTheirGrantTypes) {
  auto input = input_with_dcr();
  input.redirect_uri.clear();
  input.use = ClientUse::device;
  const auto device = choose_client(input);
  EXPECT_TRUE(device.registration.redirect_uris.empty());
  EXPECT_EQ(device.registration.grant_types,
            (std::vector<std::string>{std::string(kDeviceCodeGrantType), "refresh_token"}));
  input.use = ClientUse::client_credentials;
  EXPECT_EQ(choose_client(input).registration.grant_types, std::vector<std::string>{"client_credentials"});
}

TEST(ChooseClient, AStoredRegistrationForThisRedirectIsReused) {
  auto input = input_with_dcr();
  input.stored = stored_dynamic({"http://127.0.0.1:8765/callback"});
  const auto choice = choose_client(input);
  EXPECT_EQ(choice.source, ClientSource::stored);
  EXPECT_EQ(choice.client->client_id, "dyn-old");
}

TEST(ChooseClient, AStoredRegistrationForAnotherRedirectOrGrantIsReplaced) {
  auto input = input_with_dcr();
  input.stored = stored_dynamic({"http://127.0.0.1:9999/callback"});
  EXPECT_EQ(choose_client(input).source, ClientSource::registration);
  // A browser registration does not serve the device grant, and back.
  input.stored = stored_dynamic({"http://127.0.0.1:8765/callback"});
  input.use = ClientUse::device;
  input.redirect_uri.clear();
  EXPECT_EQ(choose_client(input).source, ClientSource::registration);
  input.stored = stored_dynamic({});
  EXPECT_EQ(choose_client(input).source, ClientSource::stored);
}

TEST(ChooseClient, AStoredPreRegisteredClientIsKeptWhateverTheRedirect) {
  auto input = input_with_dcr();
  auto stored = stored_dynamic({"http://127.0.0.1:1/callback"});
  stored.kind = ClientKind::pre_registered;
  input.stored = stored;
  EXPECT_EQ(choose_client(input).source, ClientSource::stored);
}

TEST(ChooseClient, AConfiguredClientWinsOverTheStoreAndPicksItsAuthMethod) {
  auto input = input_with_dcr();
  input.stored = stored_dynamic({"http://127.0.0.1:8765/callback"});
  input.configured.client_id = "given";
  auto choice = choose_client(input);
  EXPECT_EQ(choice.source, ClientSource::configured);
  EXPECT_EQ(choice.client->client_id, "given");
  EXPECT_EQ(choice.client->kind, ClientKind::pre_registered);
  EXPECT_EQ(choice.client->token_endpoint_auth_method, "none");

  input.configured.client_secret = "s";
  EXPECT_EQ(choose_client(input).client->token_endpoint_auth_method, "client_secret_basic");
  input.as.token_endpoint_auth_methods_supported = std::vector<std::string>{"client_secret_post"};
  EXPECT_EQ(choose_client(input).client->token_endpoint_auth_method, "client_secret_post");
  input.configured.private_key_pem = "-----BEGIN PRIVATE KEY-----";
  EXPECT_EQ(choose_client(input).client->token_endpoint_auth_method, "private_key_jwt");
  input.configured.token_endpoint_auth_method = "client_secret_basic";
  EXPECT_EQ(choose_client(input).client->token_endpoint_auth_method, "client_secret_basic");
}

TEST(ChooseClient, AConfiguredClientOfAnotherIssuerIsRefused) {
  auto input = input_with_dcr();
  input.configured.client_id = "given";
  input.configured.issuer = "https://other-as.example";
  const Error e = mcpauth::testing::error_of([&] { choose_client(input); });
  EXPECT_EQ(e.code(), ErrorCode::registration_rejected);
  EXPECT_NE(std::string(e.what()).find("https://other-as.example"), std::string::npos) << e.what();
  EXPECT_TRUE(e.remedies().has(Remedy::pre_register_client));
}

TEST(ChooseClient, AMetadataDocumentIsTheClientIdWhereTheServerTakesOne) {
  auto input = input_with_dcr();
  input.configured.client_metadata_url = "https://app.example/mcpauth.json";
  EXPECT_EQ(choose_client(input).source, ClientSource::registration);  // not advertised: DCR still
  input.as.client_id_metadata_document_supported = true;
  const auto choice = choose_client(input);
  EXPECT_EQ(choice.source, ClientSource::metadata_document);
  EXPECT_EQ(choice.client->client_id, "https://app.example/mcpauth.json");
  EXPECT_EQ(choice.client->kind, ClientKind::metadata_document);
}

TEST(ChooseClient, NoWayToGetAClientIdIsAClearRefusal) {
  auto input = input_with_dcr();
  input.as.registration_endpoint.reset();
  const Error e = mcpauth::testing::error_of([&] { choose_client(input); });
  EXPECT_EQ(e.code(), ErrorCode::registration_rejected);
  EXPECT_NE(std::string(e.what()).find("neither dynamic client registration"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find("--client-id"), std::string::npos) << e.what();
}

TEST(ChooseClient, SourceNamesAreStable) {
  EXPECT_EQ(to_string(ClientSource::metadata_document), "metadata_document");
  EXPECT_EQ(to_string(ClientSource::stored), "stored");
}

}  // namespace
}  // namespace mcpauth::core::oauth
