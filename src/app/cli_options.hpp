// Options shared by the commands that talk to a server, and the parsing of
// --header values (with ${ENV} expansion, so tokens stay out of argv).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "env_lookup.hpp"
#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/composition.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/http.hpp"
#include "mcpauth/store/token_store.hpp"
#include "server_config.hpp"

namespace mcpauth::app {

struct ServerArgs {
  std::string target;       // a server name from the config file, or a URL
  std::string config_path;  // --config; empty: the default location
  std::string transport = "auto";
  std::vector<std::string> headers;  // "Name: value", as typed
  double timeout_seconds = 60;
  double connect_timeout_seconds = 10;
  bool json = false;

  // OAuth (used when the server answers 401 and no static Authorization header is given).
  std::string client_id;
  std::string client_secret;  // ${VAR} expands, so the secret need not be in argv
  std::string client_metadata_url;
  std::string scope;
  std::string resource;
  bool no_resource = false;
  int callback_port = 0;
  std::string callback_path;  // empty: the default (/callback)
  bool no_browser = false;
  bool stdin_is_protocol = false;  // proxy: stdin is the host's JSON-RPC, never a paste
  bool no_consent = false;         // doctor: nobody is asked; a needed authorization fails at once
  bool no_auth = false;
  bool device = false;  // login with the device authorization grant
  std::string account;  // --account: a second grant at the same server
  // mcp-remote's spellings: {"client_id", "client_secret"} and DCR metadata
  // ({"client_name", "scope"}), as JSON or @file.
  std::string static_client_info;
  std::string static_client_metadata;
  std::vector<std::string> ignored_tools;  // proxy: globs of tools hidden from the host
  double retry_budget_seconds = 30;        // proxy: how long a message waits for an unreachable server
  std::string log_file;                    // proxy: --log, diagnostics also to this file
  bool allow_http = false;                 // plain http to a host that is not loopback (test servers)
  double consent_timeout_seconds = 300;

  // mcp-remote 0.15.1's flags (README: "mcp-remote flag by flag").
  std::vector<std::string> authorize_params;      // "key=value": extra authorization request parameters
  std::vector<std::string> header_files;          // files of "Name: value" lines, as --header
  std::optional<double> headers_timeout_seconds;  // 0: no limit of its own
  std::optional<double> body_timeout_seconds;     // longest silence within an answer; 0: none
  bool ipv4 = false;
  bool disable_cookies = false;  // no in-memory cookie jar (load-balancer stickiness)
  std::string redirect_host;     // the redirect URI's host (127.0.0.1, localhost, [::1]); empty: 127.0.0.1
  std::string auth_success_url;  // where the browser goes after an accepted callback
  bool client_credentials = false;
  std::string token_endpoint;  // refused: discovery cannot be skipped yet
  bool use_id_token = false;   // refused: ID tokens are not kept yet
  std::optional<double> refresh_margin_seconds;
  bool silent = false;  // no diagnostics on stderr (what the user must act on still is)
  bool debug = false;   // each HTTP exchange (method, URL without query, status) on stderr
  // proxy only
  std::vector<std::string> allowed_tools;  // globs: the only tools the host sees
  std::string protocol = "auto";           // mcp-remote's --protocol: auto, legacy (pass-through) or 2026-07-28
  bool keep_alive = false;
  std::optional<double> ping_interval_seconds;  // implies keep_alive
  bool enable_proxy = false;                    // accepted: proxy variables are always honoured
};

// What the commands connect with: the session options and, when OAuth is
// on, the Authorizer (to report what it obtained).
struct Connection {
  std::string name;  // the server's name in the config file, or ""
  std::string account;
  mcp::SessionOptions options;
  std::shared_ptr<auth::Authorizer> authorizer;
  std::shared_ptr<store::TokenStore> store;  // when OAuth is on
  // The tools a bridging host sees (the config entry's, or the command line's when given).
  std::vector<std::string> allowed_tools;
  std::vector<std::string> ignored_tools;
  // Where the command's diagnostics go (stderr, or nothing with --silent).
  std::function<void(const std::string&)> diagnostics;
};

// A duration option given in seconds (--timeout, ...), in milliseconds.
// Throws Error(usage) naming `option` unless 0 < seconds <= 86400.
std::chrono::milliseconds seconds_option(double seconds, const char* option);

// Parses "Name: value" arguments. Throws Error(usage) naming the bad one.
net::HttpHeaders parse_headers(const std::vector<std::string>& args, const EnvLookup& env);

// The text of a --header-file: one "Name: value" per line, as --header
// (${VAR} expands); blank lines and lines starting with '#' are skipped.
// Throws Error(usage) naming `file` and the line of a bad one (never its text).
net::HttpHeaders parse_header_file(std::string_view text, const std::string& file, const EnvLookup& env);

// --authorize-param values ("key=value", the key trimmed), checked by
// core::oauth::check_extra_authorization_params. Throws Error(usage).
std::vector<std::pair<std::string, std::string>> parse_authorize_params(const std::vector<std::string>& args);

// What a configuration entry says, as ClientOptions for `url` (the entry's,
// checked and canonical): transport, static headers, OAuth on or off, the
// account and the OAuth settings. The command and the gateway start from it.
ClientOptions client_options(const ServerConfig& server, const std::string& url);

// The command's connection to `args.target`: client_options() of its entry
// (or of the URL), the command line over it, the command's consent (a
// browser with a loopback redirect, a paste, or a message saying what to do
// where neither can work), composed by mcpauth::compose().
Connection connection_for(const ServerArgs& args, const EnvLookup& env);

// What the server spoke last time, kept beside its discovery record in the
// store (OAuth servers only): connection_for() puts it in the options, and
// remember_protocol() saves what a connected session found when it changed.
void recall_protocol(Connection& c);
void remember_protocol(const Connection& c, const mcp::Session& session);

// The user's token store: PostgreSQL when MCPAUTH_STORE_URL (--store) is a
// postgresql:// URL, else SQLite (MCPAUTH_STORE / XDG data directory); MCPAUTH_KEY.
std::shared_ptr<store::TokenStore> open_user_store(const EnvLookup& env);

// Whether a browser can be opened here: $BROWSER is set, or a display is
// and this is not an SSH session.
bool can_open_browser(const EnvLookup& env);

}  // namespace mcpauth::app
