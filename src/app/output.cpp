#include "output.hpp"

#include <ostream>

#include "mcpauth/core/printable.hpp"
#include "tool_signature.hpp"

namespace mcpauth::app {

void print_tools(std::ostream& out, const std::vector<mcp::Tool>& tools, bool json) {
  if (json) {
    mcp::Json list = mcp::Json::array();
    for (const auto& tool : tools) list.push_back(tool.raw);
    out << list.dump(2, ' ', false, mcp::Json::error_handler_t::replace) << '\n';
    return;
  }
  // One line per tool: how to call it, and what it does.
  for (const auto& tool : tools) out << tool_line(tool) << '\n';
}

void print_login(std::ostream& out, const std::string& url, const std::optional<auth::AuthorizationInfo>& info,
                 std::size_t tool_count, bool json) {
  using Clock = core::oauth::Clock;
  std::optional<long long> expires_in;
  if (info && info->expires_at) {
    expires_in = std::chrono::duration_cast<std::chrono::seconds>(*info->expires_at - Clock::now()).count();
  }
  if (json) {
    mcp::Json doc = {{"server", url}, {"authorized", info.has_value()}, {"tools", tool_count}};
    if (info) {
      doc["issuer"] = info->issuer;
      doc["client_type"] = std::string(core::oauth::to_string(info->client_kind));
      doc["client_id"] = info->client_id;
      doc["scope"] = info->scope ? mcp::Json(*info->scope) : mcp::Json(nullptr);
      doc["resource"] = info->resource ? mcp::Json(*info->resource) : mcp::Json(nullptr);
      doc["expires_in"] = expires_in ? mcp::Json(*expires_in) : mcp::Json(nullptr);
      doc["refresh_token"] = info->has_refresh_token;
    }
    out << doc.dump(2) << '\n';
    return;
  }
  if (!info) {
    out << url << " did not ask for authorization (" << tool_count << " tools available).\n";
    return;
  }
  out << "Authorized " << url << '\n'
      << "  issuer:      " << info->issuer << '\n'
      << "  scope:       " << core::printable(info->scope.value_or("(none requested)")) << '\n'
      << "  expires in:  " << (expires_in ? std::to_string(*expires_in) + " s" : std::string("(not stated)")) << '\n'
      << "  refreshable: " << (info->has_refresh_token ? "yes" : "no") << '\n'
      << "  client:      " << core::oauth::to_string(info->client_kind) << " (" << core::printable(info->client_id)
      << ")\n"
      << "  tools:       " << tool_count << '\n';
}

void print_tool_result(std::ostream& out, const mcp::ToolCallResult& result, bool json) {
  if (json) {
    out << result.result.dump(2, ' ', false, mcp::Json::error_handler_t::replace) << '\n';
    return;
  }
  const auto content = result.result.find("content");
  bool printed = false;
  if (content != result.result.end() && content->is_array()) {
    for (const auto& item : *content) {
      const std::string type = item.value("type", "");
      if (type == "text") {
        out << core::printable(item.value("text", ""), core::kNoLengthCap, core::LineBreaks::keep) << '\n';
      } else if (type == "image" || type == "audio") {
        out << "[" << type << " " << core::printable(item.value("mimeType", "?"), 100) << ", "
            << item.value("data", "").size() * 3 / 4 << " bytes]\n";
      } else if (type == "resource_link") {
        out << "[resource link " << core::printable(item.value("uri", "")) << "]\n";
      } else {
        out << item.dump(-1, ' ', false, mcp::Json::error_handler_t::replace) << '\n';
      }
      printed = true;
    }
  }
  if (const auto structured = result.result.find("structuredContent");
      !printed && structured != result.result.end() && !structured->is_null()) {
    out << structured->dump(2, ' ', false, mcp::Json::error_handler_t::replace) << '\n';
  }
}

}  // namespace mcpauth::app
