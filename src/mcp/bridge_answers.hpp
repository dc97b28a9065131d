// What the Bridge says to its client on its own, as pure functions: the
// JSON-RPC error answering a request it could not forward, and the hidden
// tools (BridgeOptions::ignored_tools, fnmatch globs) refused in tools/call
// and dropped from tools/list results.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::mcp::detail {

// The error answering `id` after `e`: kBridgeErrorCode, "mcpauth: " +
// e.what(), data.mcpauth_error = the ErrorCode's name, and
// data.mcpauth_detail = the typed detail when `e` has any.
core::jsonrpc::ErrorResponse error_answer(const core::jsonrpc::Id& id, const Error& e);

// Whether `tool` matches one of `globs`.
bool is_hidden_tool(const std::vector<std::string>& globs, std::string_view tool);

// The answer to a tools/call of a hidden tool (invalid params), or nullopt
// when `request` is not one.
std::optional<core::jsonrpc::ErrorResponse> refusal_of_hidden_call(const std::vector<std::string>& globs,
                                                                   const core::jsonrpc::Request& request);

// Removes the hidden tools from a tools/list result (one without a "tools"
// array is left as it is).
void drop_hidden_tools(const std::vector<std::string>& globs, core::jsonrpc::Json& result);

}  // namespace mcpauth::mcp::detail
