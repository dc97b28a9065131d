// The subcommands. Each returns the process exit code; errors are thrown as
// mcpauth::Error and turned into one line on stderr by main().
#pragma once

#include <string>

#include "cli_options.hpp"

namespace mcpauth::app {

int run_tools(const ServerArgs& args);
// Authorizes now (browser consent if the server asks for it) and reports
// who granted what: issuer, scopes, expiry, client type. Never a token.
int run_login(const ServerArgs& args);
int run_call(const ServerArgs& args, const std::string& tool, const std::string& json_arguments);

}  // namespace mcpauth::app
