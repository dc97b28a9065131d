// `mcpauth gateway`: every server of an mcpServers file as a local MCP
// endpoint (Streamable HTTP and legacy HTTP+SSE), with the gateway's own
// OAuth grants, plus the dashboard and its JSON API (docs/gateway.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "env_lookup.hpp"
#include "mcpauth/net/http.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::gateway {

struct GatewayOptions {
  std::string config_path;  // the mcpServers file; created by the first "add server" if missing
  std::string listen_host = "127.0.0.1";
  int listen_port = 8930;              // 0: any free port
  std::optional<std::string> api_key;  // required off loopback
  // Host mode: a service that authenticates its own users sends this key and
  // names the user in Mcpauth-User (made on first use). Needs a store with users.
  std::optional<std::string> host_key{};
  // Where a browser may be sent back after a dashboard authorization
  // (`return_to` of POST /api/servers/NAME/authorize): URL prefixes, each
  // http(s)://host[:port]/... (return_to.hpp). Empty: no return_to is taken.
  std::vector<std::string> allowed_return_urls{};
  bool allow_http = false;  // servers on plain http off loopback (test servers), as the CLI's --allow-http
  // Users' own servers (POST /api/servers by a user who is not an
  // administrator) may be on localhost or on loopback, link-local or
  // private-network IP literals; off by default: a user must not reach the
  // gateway's own machine and network through it.
  bool allow_private_user_servers = false;
  // The https address a TLS reverse proxy serves the gateway at
  // (public_url.hpp): the OAuth callback is there, and the gateway's own
  // Client ID Metadata Document is its client id wherever the authorization
  // server supports those. None: the callback is on the listen address.
  std::optional<std::string> public_url{};
  // Where authorized / failed / revoked events are POSTed (webhook.hpp),
  // signed with webhook_secret (at least 16 bytes). None: no webhook.
  std::optional<std::string> webhook_url{};
  std::optional<std::string> webhook_secret{};
  app::EnvLookup env;
  std::shared_ptr<store::TokenStore> store;  // required
  std::shared_ptr<net::HttpClient> http;     // null: a CurlHttpClient
  std::chrono::milliseconds consent_timeout{300'000};
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::size_t max_sessions = 10'000;  // local sessions at once (both transports); lowered to fit the open-file limit
  std::size_t max_sessions_per_peer = 512;         // local sessions of one client address
  std::size_t max_connections = 4'096;             // connections at once; more get 503
  std::size_t max_connections_per_peer = 1'024;    // connections of one client address; more get 503
  std::chrono::milliseconds head_timeout{10'000};  // a whole request head, from accept or the previous answer
  std::function<void(const std::string&)> log;     // lines for people; never a token
  // A debug log (--verbose, MCPAUTH_LOG=debug): each HTTP exchange with a
  // configured server and each step of its authorizations, behind the
  // server's name; redacted (net/logging_http_client.hpp). Null: none.
  std::function<void(const std::string&)> debug{};
};

class Gateway {
 public:
  // Loads the config. Throws Error(usage) (bad file, off-loopback without a key).
  explicit Gateway(GatewayOptions options);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds and serves on background threads; returns the port. Throws Error(usage).
  int start();
  // Stops serving, ends every local session and pending consent. Idempotent.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The `mcpauth gateway` command.
struct GatewayArgs {
  std::string config_path;
  std::string listen = "127.0.0.1:8930";
  std::string api_key_env;
  std::string host_key_env{};
  std::vector<std::string> allowed_return_urls{};
  std::string public_url{};
  std::string webhook_url{};
  std::string webhook_secret_env{};
  double consent_timeout_seconds = 300;
  double timeout_seconds = 60;
  bool allow_http = false;
  bool allow_private_user_servers = false;
  std::size_t max_sessions_per_client = 512;
  std::size_t max_connections = 4'096;
  std::size_t max_connections_per_client = 1'024;
  double head_timeout_seconds = 10;
};
int run_gateway(const GatewayArgs& args);

}  // namespace mcpauth::gateway
