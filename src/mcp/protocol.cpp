#include "mcpauth/mcp/protocol.hpp"

#include <algorithm>

#include "mcpauth/error.hpp"

namespace mcpauth::mcp {
namespace {

std::optional<std::string> optional_string(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
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

ServerInfo parse_initialize_result(const Json& result) {
  if (!result.is_object()) throw Error(ErrorCode::protocol, "the initialize result is not a JSON object");
  ServerInfo info;
  const auto version = optional_string(result, "protocolVersion");
  if (!version) throw Error(ErrorCode::protocol, "the initialize result has no protocolVersion");
  info.protocol_version = *version;
  if (const auto caps = result.find("capabilities"); caps != result.end() && caps->is_object()) {
    info.capabilities = *caps;
  }
  if (const auto server = result.find("serverInfo"); server != result.end() && server->is_object()) {
    info.implementation.name = optional_string(*server, "name").value_or("");
    info.implementation.version = optional_string(*server, "version").value_or("");
    info.implementation.title = optional_string(*server, "title");
  }
  info.instructions = optional_string(result, "instructions");
  return info;
}

Tool parse_tool(const Json& value) {
  if (!value.is_object()) throw Error(ErrorCode::protocol, "a tools/list entry is not a JSON object");
  Tool tool;
  const auto name = optional_string(value, "name");
  if (!name || name->empty()) throw Error(ErrorCode::protocol, "a tools/list entry has no name");
  tool.name = *name;
  tool.title = optional_string(value, "title");
  tool.description = optional_string(value, "description");
  if (const auto schema = value.find("inputSchema"); schema != value.end() && schema->is_object()) {
    tool.input_schema = *schema;
  }
  tool.raw = value;
  return tool;
}

}  // namespace mcpauth::mcp
