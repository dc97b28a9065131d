// How results look on stdout: a readable form for people, --json for programs.
#pragma once

#include <iosfwd>
#include <vector>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/mcp/session.hpp"

namespace mcpauth::app {

void print_tools(std::ostream& out, const std::vector<mcp::Tool>& tools, bool json);
void print_login(std::ostream& out, const std::string& url, const std::optional<auth::AuthorizationInfo>& info,
                 std::size_t tool_count, bool json);
void print_tool_result(std::ostream& out, const mcp::ToolCallResult& result, bool json);

}  // namespace mcpauth::app
