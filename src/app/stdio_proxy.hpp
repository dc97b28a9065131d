// `mcpauth proxy`: JSON-RPC over stdin/stdout (one message per line, as MCP
// stdio hosts speak it) bridged to a remote server over Streamable HTTP or
// legacy HTTP+SSE, with authorization inside. The forwarding itself (fallback,
// retries, new sessions, hidden tools) is mcp::Bridge; this file is the stdio
// side: line framing, which messages may run concurrently, and the end of
// input. stdout carries nothing but protocol messages; diagnostics go to
// stderr (and the --log file).
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli_options.hpp"
#include "error_hints.hpp"

namespace mcpauth::app {

struct ProxyOptions {
  std::vector<std::string> ignored_tools;          // globs (fnmatch): hidden from tools/list, refused in tools/call
  std::chrono::milliseconds retry_budget{30'000};  // how long a message waits for an unreachable server
  HintContext hints;                               // for the hints the proxy adds to its error answers
};

// Runs until `in` ends; returns the exit code (0 after a clean end).
int run_stdio_proxy(Connection connection, const ProxyOptions& options, std::istream& in, std::ostream& out);

}  // namespace mcpauth::app
