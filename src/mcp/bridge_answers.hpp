// What the Bridge says to its client on its own, as pure functions: the
// JSON-RPC error answering a request it could not forward, and the hidden
// tools (BridgeOptions::allowed_tools and ignored_tools, fnmatch globs)
// refused in tools/call and dropped from tools/list results.
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
bool matches_any_glob(const std::vector<std::string>& globs, std::string_view tool);

// Which tools the client sees: with an allow-list, only those matching it;
// never those matching an ignore glob.
struct ToolFilter {
  std::vector<std::string> allowed;  // empty: every tool
  std::vector<std::string> ignored;

  bool active() const { return !allowed.empty() || !ignored.empty(); }
  // Why `tool` is hidden, in words for the client, or nullopt when it is not.
  std::optional<std::string> hides(std::string_view tool) const;
};

// The answer to a tools/call of a hidden tool (invalid params), or nullopt
// when `request` is not one.
std::optional<core::jsonrpc::ErrorResponse> refusal_of_hidden_call(const ToolFilter& filter,
                                                                   const core::jsonrpc::Request& request);

// Removes the hidden tools from a tools/list result (one without a "tools"
// array is left as it is). With an allow-list, an entry without a name
// (it cannot be allowed by name) goes too.
void drop_hidden_tools(const ToolFilter& filter, core::jsonrpc::Json& result);

}  // namespace mcpauth::mcp::detail
