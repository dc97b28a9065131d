// The text of a tools/call result's first content block: the test peers'
// tools answer with one text block.
#pragma once

#include <string>

#include "mcpauth/mcp/session.hpp"

namespace mcpauth::testing {

inline std::string first_text(const mcp::ToolCallResult& r) {
  return r.result.at("content").at(0).at("text");
}

}  // namespace mcpauth::testing
