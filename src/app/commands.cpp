#include "commands.hpp"

#include <iostream>
#include <optional>

#include "exit_codes.hpp"
#include "log_tee.hpp"
#include "mcpauth/core/json.hpp"
#include "mcpauth_internal/platform/terminal.hpp"
#include "output.hpp"
#include "stdio_proxy.hpp"

namespace mcpauth::app {
namespace {

mcp::Json parse_arguments(const std::string& text) {
  if (text.empty()) return mcp::Json::object();
  mcp::Json value = core::parse_json_or_discarded(text, core::JsonLimits{});
  if (value.is_discarded()) {
    throw Error(ErrorCode::usage, "the tool arguments are not valid JSON; pass an object such as '{\"text\":\"hi\"}'");
  }
  if (!value.is_object()) throw Error(ErrorCode::usage, "the tool arguments must be a JSON object");
  return value;
}

}  // namespace

int run_tools(const ServerArgs& args) {
  const Connection connection = connection_for(args, process_environment());
  auto session = mcp::Session::connect(connection.options);
  const auto tools = session->list_tools();
  remember_protocol(connection, *session);
  print_tools(std::cout, tools, args.json);
  session->close();
  return kExitOk;
}

int run_call(const ServerArgs& args, const std::string& tool, const std::string& json_arguments) {
  const mcp::Json arguments = parse_arguments(json_arguments);  // before connecting: fail fast
  const Connection connection = connection_for(args, process_environment());
  auto session = mcp::Session::connect(connection.options);
  const auto result = session->call_tool(tool, arguments);
  remember_protocol(connection, *session);
  print_tool_result(std::cout, result, args.json);
  session->close();
  return result.is_error() ? kExitToolError : kExitOk;
}

int run_proxy(const ServerArgs& given) {
  ServerArgs args = given;
  args.stdin_is_protocol = true;
  std::optional<LogTee> log;
  if (!args.log_file.empty()) log.emplace(args.log_file);
  if (args.protocol != "legacy" && args.protocol != "auto" && args.protocol != mcp::kLatestVersion) {
    throw Error(ErrorCode::usage, "unknown --protocol \"" + args.protocol + "\" (use auto, legacy or " +
                                      std::string(mcp::kLatestVersion) + ")");
  }
  ProxyOptions options;
  options.retry_budget = std::chrono::milliseconds(static_cast<long long>(args.retry_budget_seconds * 1000));
  options.hints = {args.target, args.device};
  if (args.keep_alive || args.ping_interval_seconds) {
    options.ping_interval = seconds_option(args.ping_interval_seconds.value_or(30), "--ping-interval");
  }
  Connection connection = connection_for(args, process_environment());
  // The bridge translates for a handshake-era host when the server speaks
  // only the modern era (mcp::Bridge): never with legacy (the host's
  // handshake passes through as it is); at once with 2026-07-28, as for a
  // server known to be modern.
  if (args.protocol == "legacy") connection.options.protocol_version = mcp::kLatestLegacyVersion;
  if (args.protocol == mcp::kLatestVersion) connection.options.remembered = {args.protocol, "streamable-http"};
  options.allowed_tools = connection.allowed_tools;
  options.ignored_tools = connection.ignored_tools;
  options.log = connection.diagnostics;
  return run_stdio_proxy(std::move(connection), options, std::cin, std::cout);
}

int run_login(const ServerArgs& given) {
  ServerArgs args = given;
  const EnvLookup env = process_environment();
  // No browser here, but a terminal: the paste flow needs nothing more.
  if (!args.device && !args.no_browser && !can_open_browser(env) && platform::stdin_is_terminal()) {
    std::cerr << "No browser can be opened here (no display, or an SSH session): open the address below on any "
                 "machine, then paste back the address the browser ends on. (--device shows a code instead.)"
              << std::endl;
    args.no_browser = true;
  }
  Connection connection = connection_for(args, env);
  if (!connection.authorizer) {
    throw Error(ErrorCode::usage,
                "login needs OAuth, which a static Authorization header (--header, or the server's headers in the "
                "config file) or \"oauth\": false in its config entry turns off");
  }
  auto session = mcp::Session::connect(connection.options);
  // Some servers only ask for authorization on the first real request.
  const auto tools = session->list_tools();
  remember_protocol(connection, *session);
  session->close();
  print_login(std::cout, connection.options.url, connection.authorizer->info(), tools.size(), args.json);
  return kExitOk;
}

}  // namespace mcpauth::app
