// `mcpauth proxy`: JSON-RPC over stdin/stdout (one message per line, as MCP
// stdio hosts speak it) bridged to a remote server over Streamable HTTP or
// legacy HTTP+SSE, with authorization inside. Messages pass through
// unchanged in both directions (ids are the host's); stdout carries nothing
// but protocol messages, diagnostics go to stderr.
//
// This is the first slice of the proxy issue: forwarding, transport
// fallback, authorization while the host's initialize waits, errors as
// JSON-RPC answers, a new session (with the host's own initialize) when the
// server forgets the old one, DELETE on end of input. Retry budgets and
// backoff are not here yet (docs/architecture.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "cli_options.hpp"

namespace mcpauth::app {

struct ProxyOptions {
  std::vector<std::string> ignored_tools;  // globs (fnmatch): hidden from tools/list, refused in tools/call
};

// Runs until `in` ends; returns the exit code (0 after a clean end).
int run_stdio_proxy(Connection connection, const ProxyOptions& options, std::istream& in, std::ostream& out);

}  // namespace mcpauth::app
