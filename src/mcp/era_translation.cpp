#include "era_translation.hpp"

namespace mcpauth::mcp::detail {
namespace {

constexpr const char* kSubscriptionIdKey = "io.modelcontextprotocol/subscriptionId";

// `capabilities` without what a handshake-era client could only use through
// requests the Bridge does not translate (resources/subscribe).
Json handshake_capabilities(Json capabilities) {
  if (!capabilities.is_object()) return Json::object();
  if (auto it = capabilities.find("resources"); it != capabilities.end() && it->is_object()) it->erase("subscribe");
  return capabilities;
}

bool offers_list_changed(const Json& capabilities, const char* kind) {
  const auto it = capabilities.find(kind);
  if (it == capabilities.end() || !it->is_object()) return false;
  const auto flag = it->find("listChanged");
  return flag != it->end() && flag->is_boolean() && flag->get<bool>();
}

}  // namespace

std::string offered_version(const Json& initialize_params) {
  if (!initialize_params.is_object()) return {};
  const auto it = initialize_params.find("protocolVersion");
  return it != initialize_params.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string handshake_version_for(std::string_view offered) {
  if (is_supported_version(offered) && !is_modern_version(offered)) return std::string(offered);
  return std::string(kLatestLegacyVersion);
}

Json handshake_initialize_result(const Json& initialize_params, const ServerInfo& server) {
  Json result{{"protocolVersion", handshake_version_for(offered_version(initialize_params))},
              {"capabilities", handshake_capabilities(server.capabilities)},
              {"serverInfo", to_json(server.implementation)}};
  if (server.instructions) result["instructions"] = *server.instructions;
  return result;
}

Json modern_params(Json params, std::string_view version, const Json& initialize_params,
                   const Implementation& fallback) {
  const Json* client_info = nullptr;
  const Json* capabilities = nullptr;
  if (initialize_params.is_object()) {
    if (const auto it = initialize_params.find("clientInfo"); it != initialize_params.end() && it->is_object()) {
      client_info = &*it;
    }
    if (const auto it = initialize_params.find("capabilities"); it != initialize_params.end() && it->is_object()) {
      capabilities = &*it;
    }
  }
  return with_modern_meta(std::move(params), version, client_info ? *client_info : to_json(fallback),
                          capabilities ? *capabilities : Json::object());
}

bool dropped_notification(std::string_view method) noexcept {
  return method == "notifications/initialized" || method == "notifications/roots/list_changed";
}

void to_handshake_result(Json& result) {
  if (result.is_object()) result.erase("resultType");
}

Json listen_filter(const Json& capabilities) {
  Json filter = Json::object();
  if (!capabilities.is_object()) return filter;
  if (offers_list_changed(capabilities, "tools")) filter["toolsListChanged"] = true;
  if (offers_list_changed(capabilities, "prompts")) filter["promptsListChanged"] = true;
  if (offers_list_changed(capabilities, "resources")) filter["resourcesListChanged"] = true;
  return filter;
}

bool listen_bookkeeping(std::string_view method) noexcept {
  return method == "notifications/subscriptions/acknowledged";
}

void to_handshake_notification(Json& params) {
  if (!params.is_object()) return;
  const auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object()) return;
  meta->erase(kSubscriptionIdKey);
  if (meta->empty()) params.erase(meta);
}

}  // namespace mcpauth::mcp::detail
