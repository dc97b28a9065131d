// Options shared by the commands that talk to a server, and the parsing of
// --header values (with ${ENV} expansion, so tokens stay out of argv).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::app {

struct ServerArgs {
  std::string url;
  std::string transport = "auto";
  std::vector<std::string> headers;  // "Name: value", as typed
  double timeout_seconds = 60;
  double connect_timeout_seconds = 10;
  bool json = false;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Replaces ${NAME} with the variable's value. Throws Error(usage) for an
// unset variable or an unterminated ${ (a silently empty token is worse).
std::string expand_env(const std::string& text, const EnvLookup& env);

// Parses "Name: value" arguments. Throws Error(usage) naming the bad one.
net::HttpHeaders parse_headers(const std::vector<std::string>& args, const EnvLookup& env);

mcp::SessionOptions session_options(const ServerArgs& args, const EnvLookup& env);

}  // namespace mcpauth::app
