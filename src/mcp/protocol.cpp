#include "mcpauth/mcp/protocol.hpp"

#include <algorithm>

#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::mcp {
namespace {

constexpr std::string_view kMetaPrefix = "io.modelcontextprotocol/";

std::string meta_key(std::string_view name) {
  return std::string(kMetaPrefix) + std::string(name);
}

std::optional<std::string> optional_string(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The member `key` of `object` when it is a JSON object, else null.
const Json* object_member(const Json& object, const std::string& key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

Implementation parse_implementation(const Json& value) {
  Implementation out;
  out.name = optional_string(value, "name").value_or("");
  out.version = optional_string(value, "version").value_or("");
  out.title = optional_string(value, "title");
  return out;
}

// What the results of both handshakes carry. `modern` (2026-07-28's
// server/discover) also takes serverInfo from the result's _meta, first.
ServerInfo server_info(const Json& result, std::string version, bool modern) {
  ServerInfo info;
  info.protocol_version = std::move(version);
  if (const Json* caps = object_member(result, "capabilities")) info.capabilities = *caps;
  const Json* server = nullptr;
  if (const Json* meta = modern ? object_member(result, "_meta") : nullptr) {
    if (const auto it = meta->find(meta_key("serverInfo")); it != meta->end()) server = &*it;
  }
  if (const auto it = result.find("serverInfo"); !server && it != result.end()) server = &*it;
  if (server && server->is_object()) info.implementation = parse_implementation(*server);
  info.instructions = optional_string(result, "instructions");
  return info;
}

}  // namespace

bool is_supported_version(std::string_view version) noexcept {
  return std::find(std::begin(kProtocolVersions), std::end(kProtocolVersions), version) != std::end(kProtocolVersions);
}

bool is_modern_version(std::string_view version) noexcept {
  return version >= kFirstModernVersion;
}

std::optional<std::string> choose_version(const std::vector<std::string>& server_versions) {
  for (auto it = std::rbegin(kProtocolVersions); it != std::rend(kProtocolVersions); ++it) {
    if (std::find(server_versions.begin(), server_versions.end(), *it) != server_versions.end()) {
      return std::string(*it);
    }
  }
  return std::nullopt;
}

Json to_json(const Implementation& implementation) {
  Json out = {{"name", implementation.name}, {"version", implementation.version}};
  if (implementation.title) out["title"] = *implementation.title;
  return out;
}

Json initialize_params(std::string_view version, const Json& capabilities, const Implementation& client) {
  return Json{{"protocolVersion", version}, {"capabilities", capabilities}, {"clientInfo", to_json(client)}};
}

Json with_modern_meta(Json params, std::string_view version, const Implementation& client, const Json& capabilities) {
  return with_modern_meta(std::move(params), version, to_json(client), capabilities);
}

Json with_modern_meta(Json params, std::string_view version, const Json& client_info, const Json& capabilities) {
  if (!params.is_object()) params = Json::object();
  Json& meta = params["_meta"];
  if (!meta.is_object()) meta = Json::object();
  meta[meta_key("protocolVersion")] = version;
  meta[meta_key("clientInfo")] = client_info;
  meta[meta_key("clientCapabilities")] = capabilities;
  return params;
}

std::vector<std::string> string_list(const Json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const auto& v : value) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

ServerInfo parse_discover_result(const Json& result, std::string version) {
  static const Json kNothing = Json::object();  // a result that is no object carries nothing
  return server_info(result.is_object() ? result : kNothing, std::move(version), true);
}

ServerInfo parse_initialize_result(const Json& result) {
  if (!result.is_object()) throw Error(ErrorCode::protocol, "the initialize result is not a JSON object");
  const auto version = optional_string(result, "protocolVersion");
  if (!version) throw Error(ErrorCode::protocol, "the initialize result has no protocolVersion");
  return server_info(result, *version, false);
}

Tool parse_tool(const Json& value) {
  if (!value.is_object()) throw Error(ErrorCode::protocol, "a tools/list entry is not a JSON object");
  Tool tool;
  const auto name = optional_string(value, "name");
  if (!name || name->empty()) throw Error(ErrorCode::protocol, "a tools/list entry has no name");
  tool.name = *name;
  tool.title = optional_string(value, "title");
  tool.description = optional_string(value, "description");
  if (const Json* schema = object_member(value, "inputSchema")) tool.input_schema = *schema;
  tool.raw = value;
  return tool;
}

std::optional<core::jsonrpc::Message> error_answer_in_body(const core::jsonrpc::Id& request_id,
                                                           std::string_view content_type, std::string_view body) {
  if (core::media_type(content_type) != "application/json") return std::nullopt;
  try {
    auto messages = core::jsonrpc::parse(body);
    if (messages.size() == 1 && std::holds_alternative<core::jsonrpc::ErrorResponse>(messages[0]) &&
        core::jsonrpc::id_of(messages[0]) == request_id) {
      return std::move(messages[0]);
    }
  } catch (const Error&) {
    // not JSON-RPC: the HTTP status is the error
  }
  return std::nullopt;
}

}  // namespace mcpauth::mcp
