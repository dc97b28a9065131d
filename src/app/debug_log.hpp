// The command's debug log (--verbose, -v, or MCPAUTH_LOG=debug): one line
// per HTTP exchange and per action of an authorization, on stderr as
// "mcpauth: debug: ...", never on stdout (the proxy's JSON-RPC channel).
// main() turns --verbose into MCPAUTH_LOG=debug, so every command (and the
// gateway) reads one switch from its environment.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "env_lookup.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::app {

using LogSink = std::function<void(const std::string&)>;

// Whether MCPAUTH_LOG asks for debug lines ("debug", any case).
bool debug_log_requested(const EnvLookup& env);

// Lines to stderr behind `prefix` ("mcpauth: debug: "), made printable.
LogSink stderr_debug_log(const std::string& prefix);

// The command's debug sink when MCPAUTH_LOG asks for one (or `forced`, the
// proxy's mcp-remote --debug), else null.
LogSink debug_log(const EnvLookup& env, bool forced = false);

// A CurlHttpClient from the environment, logging its exchanges to debug_log(env).
std::shared_ptr<net::HttpClient> logged_curl_client(const EnvLookup& env);

}  // namespace mcpauth::app
