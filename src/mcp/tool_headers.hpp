// 2026-07-28 "Custom Headers from Tool Parameters" (SEP-2243): a tool's
// inputSchema may mark properties with `x-mcp-header: Name`, and a
// Streamable HTTP client then repeats each such argument of a tools/call in
// an `Mcp-Param-Name` header, for intermediaries that route without reading
// the body. A tool whose marks break the specification's rules is left out
// of tools/list (the others stay usable). Pure functions, and the small
// per-transport book of what tools/list declared; the Streamable HTTP
// transport calls them, so a Session and a Bridge get the same behaviour.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::mcp::detail {

// The JSON-RPC error code of HeaderMismatch (2026-07-28): the server found a
// mirrored header missing or different from the body. For Mcp-Param-* the
// specification advises listing the tools again and sending the call once more.
inline constexpr int kHeaderMismatchError = -32020;

// One marked property: where its value sits in the call's arguments (the
// chain of `properties` keys) and the header name's suffix.
struct ParamHeader {
  std::vector<std::string> path;
  std::string name;  // as declared: the header is "Mcp-Param-" + name

  bool operator==(const ParamHeader&) const = default;
};

struct HeaderDeclarations {
  std::vector<ParamHeader> headers;
  std::string invalid;  // why the tool must be left out; empty when its marks are valid
};

// Reads every `x-mcp-header` of `input_schema` and checks the rules: a
// non-empty RFC 9110 token (no control characters, no space or colon),
// case-insensitively unique, on a property of type string, integer or
// boolean, reached from the root through `properties` keys only (a mark
// under items, allOf/anyOf/oneOf/not, if/then/else, $defs, ... makes the
// tool invalid). Never throws.
HeaderDeclarations header_declarations(const Json& input_schema);

// The Mcp-Param-* headers of a call with `arguments`: each marked value
// present as a string (as it is), an integer within ±(2^53−1) (decimal) or a
// boolean ("true"/"false"), encoded with header_safe. Null, absent and other
// values send no header.
net::HttpHeaders param_headers(const std::vector<ParamHeader>& declared, const Json& arguments);

// Removes from a tools/list `result` every tool whose marks are invalid and
// returns, for each, "<tool>: <reason>". `learn` receives each remaining
// tool's name and declarations.
std::vector<std::string> drop_invalid_tools(Json& result,
                                            const std::function<void(const std::string&, HeaderDeclarations)>& learn);

// What one transport has learned from the modern-era tools/list answers it
// carried: the marks of each tool, to add to its later tools/call. Thread-safe.
class ToolHeaderBook {
 public:
  // A modern-era tools/list request is about to be sent: its answer is to be read.
  void expect_list(const core::jsonrpc::Id& id);
  // Every message from the server: the answer of an expected tools/list is
  // filtered (drop_invalid_tools) and learned. Returns what was dropped.
  std::vector<std::string> read(core::jsonrpc::Message& message);
  // The Mcp-Param-* headers of a tools/call with `params` (none for a tool
  // not learned).
  net::HttpHeaders headers_for_call(const Json& params) const;

 private:
  static constexpr std::size_t kMaxExpected = 64;  // unanswered lists are forgotten, oldest first

  mutable std::mutex mutex_;
  std::vector<std::string> expected_;                      // serialized ids of tools/list requests in flight
  std::map<std::string, std::vector<ParamHeader>> tools_;  // marked tools only
};

}  // namespace mcpauth::mcp::detail
