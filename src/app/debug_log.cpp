#include "debug_log.hpp"

#include <iostream>

#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/net/logging_http_client.hpp"

namespace mcpauth::app {

bool debug_log_requested(const EnvLookup& env) {
  const auto value = env("MCPAUTH_LOG");
  return value && core::lower(*value) == "debug";
}

LogSink stderr_debug_log(const std::string& prefix) {
  // One insertion per line, so lines of several threads do not interleave mid-line.
  return [prefix](const std::string& line) { std::cerr << (prefix + core::printable(line) + "\n") << std::flush; };
}

LogSink debug_log(const EnvLookup& env, bool forced) {
  if (!forced && !debug_log_requested(env)) return nullptr;
  return stderr_debug_log("mcpauth: debug: ");
}

std::shared_ptr<net::HttpClient> logged_curl_client(const EnvLookup& env) {
  return net::with_exchange_log(std::make_shared<net::CurlHttpClient>(), debug_log(env));
}

}  // namespace mcpauth::app
