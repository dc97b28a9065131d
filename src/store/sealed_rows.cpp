#include "sealed_rows.hpp"

#include <nlohmann/json.hpp>

#include "mcpauth/core/json.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::store::detail {
namespace {

using Json = nlohmann::json;

constexpr const char* kKeyCheckText = "mcpauth store key check";
constexpr const char* kKeyCheckContext = "meta\nkey_check";

Json unseal_json(const Key& key, const std::string& sealed, const std::string& context, const std::string& what,
                 const std::string& where) {
  const auto plain = unseal(key, sealed, context);
  Json value = plain ? core::parse_json_or_discarded(*plain, core::JsonLimits{}) : Json();
  if (!value.is_object()) {
    throw Error(ErrorCode::store, "the stored " + what + " in " + where +
                                      " cannot be decrypted (damaged, or moved from another row); log in again "
                                      "to replace it");
  }
  return value;
}

std::optional<std::string> optional_string(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::string seal_key_check(const Key& key) {
  return seal(key, kKeyCheckText, kKeyCheckContext);
}

bool key_check_opens(const Key& key, const std::string& sealed) {
  return unseal(key, sealed, kKeyCheckContext) == std::optional<std::string>(kKeyCheckText);
}

long long to_millis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Clock::time_point from_millis(long long ms) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(ms)));
}

std::string token_context(const TokenKey& key) {
  return "tokens\n" + key.resource + "\n" + key.issuer + "\n" + key.client_id + "\n" + key.account;
}

std::string client_context(const std::string& issuer) {
  return "clients\n" + issuer;
}

std::string seal_token_secrets(const Key& key, const TokenKey& row, const core::oauth::TokenSet& tokens) {
  Json secrets = {{"access_token", tokens.access_token}};
  if (tokens.refresh_token) secrets["refresh_token"] = *tokens.refresh_token;
  if (tokens.dpop_key_pem) secrets["dpop_key"] = *tokens.dpop_key_pem;
  if (tokens.issued_at) secrets["issued_at"] = to_millis(*tokens.issued_at);  // in the sealed JSON: no migration
  return seal(key, secrets.dump(), token_context(row));
}

void open_token_secrets(const Key& key, const TokenKey& row, const std::string& sealed, const std::string& where,
                        core::oauth::TokenSet& tokens) {
  const Json secrets = unseal_json(key, sealed, token_context(row), "tokens for " + row.resource, where);
  tokens.access_token = optional_string(secrets, "access_token").value_or("");
  tokens.refresh_token = optional_string(secrets, "refresh_token");
  tokens.dpop_key_pem = optional_string(secrets, "dpop_key");
  if (const auto it = secrets.find("issued_at"); it != secrets.end() && it->is_number_integer()) {
    tokens.issued_at = from_millis(it->get<long long>());
  }
}

std::optional<std::string> seal_client_secrets(const Key& key, const core::oauth::ClientRegistration& client) {
  if (!client.client_secret && !client.private_key_pem) return std::nullopt;
  Json secrets = Json::object();
  if (client.client_secret) secrets["client_secret"] = *client.client_secret;
  if (client.private_key_pem) secrets["private_key_pem"] = *client.private_key_pem;
  return seal(key, secrets.dump(), client_context(client.issuer));
}

void open_client_secrets(const Key& key, const std::string& sealed, const std::string& where,
                         core::oauth::ClientRegistration& client) {
  const Json secrets =
      unseal_json(key, sealed, client_context(client.issuer), "client registration for " + client.issuer, where);
  client.client_secret = optional_string(secrets, "client_secret");
  client.private_key_pem = optional_string(secrets, "private_key_pem");
}

}  // namespace mcpauth::store::detail
