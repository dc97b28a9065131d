#include "modern_headers.hpp"

#include <algorithm>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::mcp::detail {
namespace {

constexpr const char* kMetaVersionKey = "io.modelcontextprotocol/protocolVersion";
constexpr std::string_view kSentinelStart = "=?base64?";
constexpr std::string_view kSentinelEnd = "?=";

bool looks_encoded(std::string_view value) {
  return value.size() >= kSentinelStart.size() + kSentinelEnd.size() && value.starts_with(kSentinelStart) &&
         value.ends_with(kSentinelEnd);
}

}  // namespace

std::string header_safe(std::string_view value) {
  const bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ' &&
                     std::all_of(value.begin(), value.end(), [](unsigned char c) { return c >= 0x20 && c <= 0x7e; }) &&
                     !looks_encoded(value);
  if (plain) return std::string(value);
  return std::string(kSentinelStart) + core::oauth::base64(value) + std::string(kSentinelEnd);
}

net::HttpHeaders mirrored_headers(std::string_view method, const Json& params) {
  net::HttpHeaders out;
  if (!params.is_object()) return out;
  const auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object()) return out;
  const auto version = meta->find(kMetaVersionKey);
  if (version == meta->end() || !version->is_string()) return out;
  out.add("MCP-Protocol-Version", version->get<std::string>());
  out.add("Mcp-Method", std::string(method));
  for (const char* key : {"name", "uri"}) {
    if (const auto it = params.find(key); it != params.end() && it->is_string()) {
      out.add("Mcp-Name", header_safe(it->get<std::string>()));
      break;
    }
  }
  return out;
}

}  // namespace mcpauth::mcp::detail
