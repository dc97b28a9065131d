// MCP protocol facts the client needs: the revisions it speaks, the few
// messages it writes itself (initialize, the 2026-07-28 per-request _meta),
// and the shapes of the few results it interprets (initialize,
// server/discover, tools), and which HTTP error bodies are a request's
// answer. Pure functions, no I/O.
//
// Threading: every function here is safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpauth/core/jsonrpc.hpp"

namespace mcpauth::mcp {

using Json = nlohmann::json;

// Every revision this client speaks, oldest first.
inline constexpr std::string_view kProtocolVersions[] = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25",
                                                         "2026-07-28"};
// The newest revision that still opens with the initialize handshake.
inline constexpr std::string_view kLatestLegacyVersion = "2025-11-25";
// The first revision without the handshake (per-request `_meta`, server/discover).
inline constexpr std::string_view kFirstModernVersion = "2026-07-28";
inline constexpr std::string_view kLatestVersion = "2026-07-28";

// The JSON-RPC error code of UnsupportedProtocolVersionError (2026-07-28):
// the server does not speak the revision the request named.
inline constexpr int kUnsupportedProtocolVersionError = -32022;

bool is_supported_version(std::string_view version) noexcept;
// Revisions are dates, so ordering them is ordering strings.
bool is_modern_version(std::string_view version) noexcept;

// The newest version both sides support, or nullopt.
std::optional<std::string> choose_version(const std::vector<std::string>& server_versions);

struct Implementation {
  std::string name;
  std::string version;
  std::optional<std::string> title;
};

struct ServerInfo {
  std::string protocol_version;
  Implementation implementation;
  Json capabilities = Json::object();
  std::optional<std::string> instructions;
};

struct Tool {
  std::string name;
  std::optional<std::string> title;
  std::optional<std::string> description;
  Json input_schema = Json::object();
  Json raw;  // the whole definition as the server sent it
};

// The clientInfo object of initialize and of the 2026-07-28 `_meta`.
Json to_json(const Implementation& implementation);

// The params of an initialize request offering `version`.
Json initialize_params(std::string_view version, const Json& capabilities, const Implementation& client);

// `params` with the 2026-07-28 per-request `_meta` (protocolVersion,
// clientInfo, clientCapabilities) added; other `_meta` entries are kept.
Json with_modern_meta(Json params, std::string_view version, const Implementation& client, const Json& capabilities);
// The same with clientInfo as a JSON object (another client's, passed on as it declared it).
Json with_modern_meta(Json params, std::string_view version, const Json& client_info, const Json& capabilities);

// The request's answer carried by a non-2xx HTTP response, if there is one:
// a body of type application/json holding exactly one JSON-RPC error whose
// id is `request_id` (2026-07-28 servers answer 400 + UnsupportedProtocolVersion
// this way). Anything else (another id, a result, not JSON-RPC, HTML) is
// nullopt: the HTTP status is then the error. Never throws.
std::optional<core::jsonrpc::Message> error_answer_in_body(const core::jsonrpc::Id& request_id,
                                                           std::string_view content_type, std::string_view body);

// Parses an initialize result. Throws Error(protocol) when required fields are missing.
ServerInfo parse_initialize_result(const Json& result);
// Parses a server/discover result (2026-07-28) in the agreed `version`:
// capabilities, serverInfo (in the result's `_meta`, or beside it) and
// instructions, each optional.
ServerInfo parse_discover_result(const Json& result, std::string version);
// The strings of a JSON array (a discover result's supportedVersions, an
// UnsupportedProtocolVersion error's data.supported); others are skipped.
std::vector<std::string> string_list(const Json& value);
// Parses one entry of tools/list. Throws Error(protocol).
Tool parse_tool(const Json& value);

}  // namespace mcpauth::mcp
