#include "public_url.hpp"

#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::gateway {
namespace {

[[noreturn]] void refuse(const std::string& why) {
  throw Error(ErrorCode::usage, "--public-url " + why +
                                    "; give the https address your reverse proxy serves the gateway at, e.g. "
                                    "https://mcp-gateway.example.com");
}

bool has_dot_segment(const std::string& path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string segment = path.substr(start, end - start);
    if (segment == "." || segment == ".." || segment.find("%2e") != std::string::npos ||
        segment.find("%2E") != std::string::npos) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

std::string normalize_public_url(const std::string& text) {
  if (text.empty()) refuse("is empty");
  if (text.size() > 512) refuse("is longer than 512 characters");
  for (const unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') refuse("must be a plain URL (no spaces, backslashes or non-ASCII)");
  }
  if (text.find('#') != std::string::npos) refuse("must not have a fragment (#...)");
  if (text.find('?') != std::string::npos) refuse("must not have a query (?...)");
  core::Url url;
  try {
    url = core::parse_url(text);
  } catch (const Error& e) {
    refuse(std::string("is not a URL (") + e.what() + ")");
  }
  if (url.scheme != "https" && !(url.scheme == "http" && core::is_loopback_host(url.host))) {
    refuse("must be https (plain http only on a loopback host such as 127.0.0.1, for local use)");
  }
  // On the text as given: the parser resolves dot segments.
  if (has_dot_segment(text)) refuse("must not have . or .. path segments");
  std::string path = url.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  return core::origin_of(url) + path;
}

nlohmann::json client_metadata_document(const std::string& public_url) {
  return {
      {"client_id", public_url + kClientMetadataPath},
      {"client_name", "mcpauth gateway"},
      {"client_uri", public_url + "/"},
      {"redirect_uris", nlohmann::json::array({public_url + kCallbackPath})},
      {"grant_types", nlohmann::json::array({"authorization_code", "refresh_token"})},
      {"response_types", nlohmann::json::array({"code"})},
      {"token_endpoint_auth_method", "none"},
      {"application_type", "web"},
  };
}

}  // namespace mcpauth::gateway
