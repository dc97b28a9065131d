// `mcpauth gateway`: serves until a stop request (SIGINT or SIGTERM on POSIX).
#include <cmath>
#include <iostream>

#include "cli_options.hpp"  // open_user_store: this is the command's entry
#include "debug_log.hpp"
#include "exit_codes.hpp"
#include "gateway.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/platform/signals.hpp"
#include "public_url.hpp"
#include "security.hpp"
#include "server_config.hpp"
#include "webhook.hpp"

namespace mcpauth::gateway {
using app::seconds_option;

int run_gateway(const GatewayArgs& args) {
  const app::EnvLookup env = app::process_environment();
  GatewayOptions options;
  const ListenAddress listen = parse_listen_address(args.listen);
  options.listen_host = listen.host;
  options.listen_port = listen.port;
  // A key is named by its environment variable, never given in argv.
  const auto key_from = [&](const std::string& variable, const char* flag) -> std::optional<std::string> {
    if (variable.empty()) return std::nullopt;
    const auto key = env(variable);
    if (!key || key->empty()) {
      throw Error(ErrorCode::usage, std::string(flag) + ": the environment variable " + variable + " is not set");
    }
    return key;
  };
  options.api_key = key_from(args.api_key_env, "--api-key-env");
  options.host_key = key_from(args.host_key_env, "--host-key-env");
  // Checked again by the Gateway; here before the store opens, so a dry run catches a bad one.
  if (!args.public_url.empty()) options.public_url = normalize_public_url(args.public_url);
  if (!args.webhook_url.empty()) {
    if (args.webhook_secret_env.empty()) {
      throw Error(ErrorCode::usage,
                  "--webhook needs --webhook-secret-env VAR: the name of the environment variable holding the key "
                  "its events are signed with (at least 16 bytes; never given on the command line)");
    }
    check_webhook_url(args.webhook_url);
    options.webhook_url = args.webhook_url;
    options.webhook_secret = key_from(args.webhook_secret_env, "--webhook-secret-env");
  } else if (!args.webhook_secret_env.empty()) {
    throw Error(ErrorCode::usage, "--webhook-secret-env without --webhook: give the URL the events go to");
  }
  if (!args.config_path.empty()) {
    options.config_path = args.config_path;
  } else if (const auto path = app::default_config_path(env)) {
    options.config_path = *path;
  } else {
    throw Error(ErrorCode::usage, "no config file: pass --config FILE (or set $MCPAUTH_CONFIG or $HOME)");
  }
  options.env = env;
  options.consent_timeout = seconds_option(args.consent_timeout_seconds, "--consent-timeout");
  options.request_timeout = seconds_option(args.timeout_seconds, "--timeout");
  options.allow_http = args.allow_http;
  options.allow_private_user_servers = args.allow_private_user_servers;
  options.allowed_return_urls = args.allowed_return_urls;  // checked by the Gateway
  if (args.max_sessions_per_client == 0) throw Error(ErrorCode::usage, "--max-sessions-per-client must be at least 1");
  options.max_sessions_per_peer = args.max_sessions_per_client;
  if (args.max_connections == 0) throw Error(ErrorCode::usage, "--max-connections must be at least 1");
  options.max_connections = args.max_connections;
  if (args.max_connections_per_client == 0) {
    throw Error(ErrorCode::usage, "--max-connections-per-client must be at least 1");
  }
  options.max_connections_per_peer = args.max_connections_per_client;
  options.head_timeout = seconds_option(args.head_timeout_seconds, "--head-timeout");
  options.log = [](const std::string& line) { std::cerr << "mcpauth gateway: " << core::printable(line) << std::endl; };
  if (app::debug_log_requested(env)) options.debug = app::stderr_debug_log("mcpauth gateway: debug: ");

  // Stop requests are taken below, never by a handler on a random thread:
  // block them before any thread starts, so every thread inherits that.
  platform::block_stop_requests();

  options.store = app::open_user_store(env);
  Gateway gateway(std::move(options));
  const int port = gateway.start();
  std::cout << "LISTENING " << port << std::endl;
  std::cerr << "mcpauth gateway: serving " << args.config_path << " on http://"
            << (listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host) << ":" << port
            << "/ (dashboard at /)" << std::endl;
  if (!args.public_url.empty()) {
    const std::string public_url = normalize_public_url(args.public_url);
    std::cerr << "mcpauth gateway: public at " << public_url << "/ (OAuth callback " << public_url << kCallbackPath
              << ", client metadata document " << public_url << kClientMetadataPath << ")" << std::endl;
  }
  platform::wait_for_stop_request();
  std::cerr << "mcpauth gateway: stopping" << std::endl;
  gateway.stop();
  return app::kExitOk;
}

}  // namespace mcpauth::gateway
