#include "output.hpp"

#include <ostream>

namespace mcpauth::app {
namespace {

// First line of a description, so the list stays one line per tool.
std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

void print_tools(std::ostream& out, const std::vector<mcp::Tool>& tools, bool json) {
  if (json) {
    mcp::Json list = mcp::Json::array();
    for (const auto& tool : tools) list.push_back(tool.raw);
    out << list.dump(2, ' ', false, mcp::Json::error_handler_t::replace) << '\n';
    return;
  }
  std::size_t width = 0;
  for (const auto& tool : tools) width = std::max(width, tool.name.size());
  for (const auto& tool : tools) {
    out << tool.name;
    if (tool.description && !tool.description->empty()) {
      out << std::string(width - tool.name.size() + 2, ' ') << first_line(*tool.description);
    }
    out << '\n';
  }
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
        out << item.value("text", "") << '\n';
      } else if (type == "image" || type == "audio") {
        out << "[" << type << " " << item.value("mimeType", "?") << ", " << item.value("data", "").size() * 3 / 4
            << " bytes]\n";
      } else if (type == "resource_link") {
        out << "[resource link " << item.value("uri", "") << "]\n";
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
