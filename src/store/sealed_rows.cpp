#include "sealed_rows.hpp"

#include <nlohmann/json.hpp>

#include "mcpauth/core/json.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::store::detail {
namespace {

using Json = nlohmann::json;

constexpr const char* kKeyCheckText = "mcpauth store key check";
constexpr const char* kKeyCheckContext = "meta\nkey_check";

Json unseal_json(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& sealed,
                 const std::string& context, const std::string& what, const std::string& where) {
  const auto opened = open_with(keys, key_id, sealed, context);
  Json value = opened ? core::parse_json_or_discarded(opened->plaintext, core::JsonLimits{}) : Json();
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

std::optional<Opened> open_with(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& sealed,
                                const std::string& context) {
  for (const NamedKey& key : keys.all()) {
    if (key_id && *key_id != key.id) continue;
    if (auto plain = unseal(key.key, sealed, context)) return Opened{&key, std::move(*plain)};
  }
  return std::nullopt;
}

std::string seal_token_secrets(const KeySet& keys, const TokenKey& row, const core::oauth::TokenSet& tokens) {
  Json secrets = {{"access_token", tokens.access_token}};
  if (tokens.refresh_token) secrets["refresh_token"] = *tokens.refresh_token;
  if (tokens.dpop_key_pem) secrets["dpop_key"] = *tokens.dpop_key_pem;
  if (tokens.issued_at) secrets["issued_at"] = to_millis(*tokens.issued_at);  // in the sealed JSON: no migration
  return seal(keys.current().key, secrets.dump(), token_context(row));
}

void open_token_secrets(const KeySet& keys, const std::optional<std::string>& key_id, const TokenKey& row,
                        const std::string& sealed, const std::string& where, core::oauth::TokenSet& tokens) {
  const Json secrets = unseal_json(keys, key_id, sealed, token_context(row), "tokens for " + row.resource, where);
  tokens.access_token = optional_string(secrets, "access_token").value_or("");
  tokens.refresh_token = optional_string(secrets, "refresh_token");
  tokens.dpop_key_pem = optional_string(secrets, "dpop_key");
  if (const auto it = secrets.find("issued_at"); it != secrets.end() && it->is_number_integer()) {
    tokens.issued_at = from_millis(it->get<long long>());
  }
}

std::optional<std::string> seal_client_secrets(const KeySet& keys, const core::oauth::ClientRegistration& client) {
  if (!client.client_secret && !client.private_key_pem) return std::nullopt;
  Json secrets = Json::object();
  if (client.client_secret) secrets["client_secret"] = *client.client_secret;
  if (client.private_key_pem) secrets["private_key_pem"] = *client.private_key_pem;
  return seal(keys.current().key, secrets.dump(), client_context(client.issuer));
}

void open_client_secrets(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& sealed,
                         const std::string& where, core::oauth::ClientRegistration& client) {
  const Json secrets = unseal_json(keys, key_id, sealed, client_context(client.issuer),
                                   "client registration for " + client.issuer, where);
  client.client_secret = optional_string(secrets, "client_secret");
  client.private_key_pem = optional_string(secrets, "private_key_pem");
}

ResealResult reseal(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& sealed,
                    const std::string& context) {
  if (key_id && *key_id == keys.current().id) return {Reseal::already_current, {}};
  const auto opened = open_with(keys, key_id, sealed, context);
  if (!opened) return {Reseal::unreadable, {}};
  if (opened->key->id == keys.current().id) return {Reseal::already_current, {}};
  return {Reseal::resealed, seal(keys.current().key, opened->plaintext, context)};
}

void count_reseal(KeyRotationReport& report, const ResealResult& result, SealedRow row) {
  switch (result.outcome) {
    case Reseal::already_current: ++report.already_current; break;
    case Reseal::resealed: ++report.resealed; break;
    case Reseal::unreadable: report.unreadable.push_back(std::move(row)); break;
  }
}

KeyRotationReport run_rotation(KeySet keys, const KeyRotationOptions& options, const RotationSteps& steps) {
  if (options.new_key) keys.make_current(parse_key(*options.new_key, options.new_key_source));
  steps.record_check(keys.current());
  steps.adopt(keys);
  KeyRotationReport resealed;
  steps.reseal_rows(keys, resealed);
  KeyRotationReport report = steps.status(keys);
  report.resealed = resealed.resealed;
  report.already_current = resealed.already_current;
  report.unreadable = std::move(resealed.unreadable);
  return report;
}

SealedRow grant_row(const TokenKey& key) {
  std::string id = key.resource;
  if (!key.account.empty()) id += " (account " + key.account + ")";
  return {"grant", id + " at " + key.issuer + " for client " + key.client_id};
}

SealedRow client_row(const std::string& issuer) {
  return {"client", issuer};
}

SealedRow user_server_row(const std::string& user, const std::string& name) {
  return {"user server", name + " of user " + user};
}

std::string user_server_context(const std::string& user, const std::string& name) {
  return "user_servers\n" + user + "\n" + name;
}

std::string seal_user_server(const KeySet& keys, const std::string& user, const std::string& name,
                             const std::string& entry) {
  return seal(keys.current().key, entry, user_server_context(user, name));
}

std::string open_user_server(const KeySet& keys, const std::optional<std::string>& key_id, const std::string& user,
                             const std::string& name, const std::string& sealed, const std::string& where) {
  auto opened = open_with(keys, key_id, sealed, user_server_context(user, name));
  if (!opened) {
    throw Error(ErrorCode::store, "the server " + name + " of user " + user + " in " + where +
                                      " cannot be decrypted (damaged, or sealed with a key not given); remove it "
                                      "and add it again");
  }
  return std::move(opened->plaintext);
}

}  // namespace mcpauth::store::detail

namespace mcpauth::store {

std::string new_store_key() {
  return detail::encode_key(detail::random_key());
}

}  // namespace mcpauth::store
