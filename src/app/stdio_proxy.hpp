// `mcpauth proxy`: JSON-RPC over stdin/stdout (one message per line, as MCP
// stdio hosts speak it) bridged to a remote server over Streamable HTTP or
// legacy HTTP+SSE, with authorization inside. The forwarding itself (fallback,
// retries, new sessions, hidden tools) is mcp::Bridge; this file is the stdio
// side: line framing, which messages may run concurrently, and the end of
// input. stdout carries nothing but protocol messages; diagnostics go to
// stderr (and the --log file).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli_options.hpp"
#include "error_hints.hpp"

namespace mcpauth::app {

struct ProxyOptions {
  // Globs (fnmatch) hidden from tools/list and refused in tools/call: with
  // allowed_tools, every tool but those; always the ignored_tools.
  std::vector<std::string> allowed_tools;
  std::vector<std::string> ignored_tools;
  std::chrono::milliseconds retry_budget{30'000};  // how long a message waits for an unreachable server
  HintContext hints;                               // for the hints the proxy adds to its error answers
  // Zero: off. Else the proxy pings the server this often once the host's
  // handshake is through (mcp-remote's --keep-alive), so that neither the
  // server nor a load balancer reaps a quiet session; the answers are the
  // proxy's own, and a failed ping is logged.
  std::chrono::milliseconds ping_interval{0};
  // The proxy's diagnostics (already prefixed "mcpauth proxy: "); empty: none (--silent).
  std::function<void(const std::string&)> log;
};

// The id of the proxy's own keep-alive pings (never one of the host's: the
// prefix is the proxy's), and whether an id is one.
core::jsonrpc::Id keep_alive_id(std::uint64_t sequence);
bool is_keep_alive_id(const core::jsonrpc::Id& id);

// Runs until `in` ends; returns the exit code (0 after a clean end).
int run_stdio_proxy(Connection connection, const ProxyOptions& options, std::istream& in, std::ostream& out);

}  // namespace mcpauth::app
