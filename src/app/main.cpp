// mcpauth: connect to remote MCP servers from the shell.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "completion.hpp"
#include "error_hints.hpp"
#include "exit_codes.hpp"
#include "gateway.hpp"
#include "help_text.hpp"
#include "interrupt.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/version.hpp"
#include "mcpauth_internal/platform/environment.hpp"
#include "mcpauth_internal/platform/signals.hpp"
#include "probe_command.hpp"
#include "store_command.hpp"

namespace {

// --store, for every command that uses the token store: it becomes
// MCPAUTH_STORE_URL, which everything that opens the store reads.
std::string store_url;
void add_store_option(CLI::App& command) {
  command.add_option("--store", store_url,
                     "Token store: a postgresql://user@host:port/dbname URL shared by several instances (password "
                     "in PGPASSWORD or ~/.pgpass, not argv; default: $MCPAUTH_STORE_URL, else the user's SQLite file)");
}

// --verbose, on every command: it becomes MCPAUTH_LOG=debug, which every
// command and the gateway read (app/debug_log.hpp).
bool verbose = false;
void add_verbose_option(CLI::App& command) {
  command.add_flag("-v,--verbose", verbose,
                   "Debug log on stderr: each HTTP exchange and each step of an authorization, tokens, codes and "
                   "secrets redacted (also MCPAUTH_LOG=debug)");
}

// -t/--transport, -H/--header and --allow-http: the same words on every
// command that talks to a server (tools, call, login, proxy, probe, doctor).
void add_transport_option(CLI::App& command, std::string& transport) {
  command
      .add_option("-t,--transport", transport,
                  "auto (Streamable HTTP, then legacy SSE), http, or sse; mcp-remote's http-first, http-only, "
                  "sse-first, sse-only work too")
      ->check(
          CLI::IsMember({"auto", "http", "streamable-http", "sse", "http-first", "http-only", "sse-first", "sse-only"}))
      ->capture_default_str();
}

void add_header_option(CLI::App& command, std::vector<std::string>& headers) {
  command.add_option("-H,--header", headers,
                     "Extra HTTP header \"Name: value\" sent with every request to the server; ${VAR} expands from "
                     "the environment (repeatable; never printed)");
}

void add_allow_http_option(CLI::App& command, bool& allow_http) {
  command.add_flag("--allow-http", allow_http,
                   "Allow a plain http:// server URL on a host that is not loopback (test servers; headers travel "
                   "in clear, and OAuth still requires https)");
}

// The shared server options a command does not offer, because it would
// refuse them or they would do nothing there.
struct Offered {
  bool json = true;     // proxy: stdout carries the host's protocol
  bool no_auth = true;  // login: logging in is OAuth
};

void add_server_options(CLI::App& command, mcpauth::app::ServerArgs& args, Offered offered = {}) {
  add_store_option(command);
  command
      .add_option("server", args.target,
                  "A server name from the config file, or the URL of a remote MCP server (Streamable HTTP endpoint "
                  "or legacy SSE URL)")
      ->required();
  command.add_option("--config", args.config_path,
                     "mcpServers JSON file (default: $MCPAUTH_CONFIG, else $XDG_CONFIG_HOME/mcpauth/config.json)");
  command.add_option("--account", args.account, "OAuth: a name for a second grant at the same server (e.g. work)")
      ->group("OAuth");
  add_transport_option(command, args.transport);
  add_header_option(command, args.headers);
  command.add_option("--timeout", args.timeout_seconds, "Seconds to wait for each answer")->capture_default_str();
  command.add_option("--connect-timeout", args.connect_timeout_seconds, "Seconds to wait for a connection")
      ->capture_default_str();
  if (offered.json) command.add_flag("--json", args.json, "Print machine-readable JSON");
  add_allow_http_option(command, args.allow_http);

  // OAuth: used when the server answers 401 (and no static Authorization header is given).
  command.add_option("--client-id", args.client_id, "OAuth: a pre-registered client id")->group("OAuth");
  command
      .add_option("--client-secret", args.client_secret,
                  "OAuth: its secret; ${VAR} expands from the environment (keep secrets out of argv)")
      ->group("OAuth");
  command
      .add_option("--client-metadata-url", args.client_metadata_url,
                  "OAuth: an https URL of a Client ID Metadata Document to use as client id")
      ->group("OAuth");
  command.add_option("--scope", args.scope, "OAuth: request this scope instead of the one the server suggests")
      ->group("OAuth");
  command.add_option("--resource", args.resource, "OAuth: the RFC 8707 resource value to send instead of the server's")
      ->group("OAuth");
  command
      .add_flag("--no-resource", args.no_resource,
                "OAuth: send no resource parameter (for authorization servers that reject it)")
      ->group("OAuth");
  command.add_option("--callback-port", args.callback_port, "OAuth: loopback port for the redirect (default: any)")
      ->check(CLI::Range(0, 65535))
      ->group("OAuth");
  command
      .add_option("--callback-path", args.callback_path,
                  "OAuth: path of the loopback redirect URI (default: /callback; mcp-remote's flag, whose default is "
                  "/oauth/callback)")
      ->group("OAuth");
  command
      .add_flag("--no-browser", args.no_browser,
                "OAuth: print the authorization URL instead of opening a browser; paste the address the browser ends "
                "on (works over SSH)")
      ->group("OAuth");
  command.add_option("--consent-timeout", args.consent_timeout_seconds, "OAuth: seconds to wait for your consent")
      ->capture_default_str()
      ->group("OAuth");
  if (offered.no_auth) {
    command.add_flag("--no-auth", args.no_auth, "Never start an OAuth authorization")->group("OAuth");
  }

  // mcp-remote 0.15.1's flags, with its spellings (README: "mcp-remote flag by flag").
  command.add_option("--header-file", args.header_files,
                     "A file of \"Name: value\" lines ('#' comments), sent like --header; keeps credentials out of "
                     "argv (repeatable; --header wins over it)");
  command.add_option_function<double>(
      "--headers-timeout", [&args](const double& s) { args.headers_timeout_seconds = s; },
      "Seconds to wait for an answer's headers (0: no limit of its own)");
  command.add_option_function<double>(
      "--body-timeout", [&args](const double& s) { args.body_timeout_seconds = s; },
      "Longest silence, in seconds, within an answer or an event stream (0: none, the default)");
  command.add_flag("--ipv4", args.ipv4, "Connect over IPv4 only");
  command.add_flag("--disable-cookies", args.disable_cookies,
                   "Keep no cookies (by default the cookies servers set are kept in memory for this run and sent back, "
                   "for load-balancer stickiness)");
  command.add_flag("--silent", args.silent,
                   "No diagnostics on stderr (errors, and what you must act on, such as a URL to open, still show)");
  command.add_flag("--debug", args.debug,
                   "Same as --verbose (mcp-remote's flag), and the diagnostics even with --silent");
  command
      .add_option("--authorize-param", args.authorize_params,
                  "OAuth: an extra authorization request parameter key=value, e.g. audience=... (repeatable; state, "
                  "PKCE, client_id, redirect_uri, scope and resource are refused)")
      ->group("OAuth");
  command
      .add_option("--redirect-host", args.redirect_host,
                  "OAuth: host of the redirect URI: 127.0.0.1 (default), localhost or [::1]; the listener binds "
                  "loopback")
      ->check(CLI::IsMember({"127.0.0.1", "localhost", "[::1]"}))
      ->group("OAuth");
  command
      .add_option("--auth-success-url", args.auth_success_url,
                  "OAuth: send the browser to this https URL after the callback was accepted, instead of mcpauth's "
                  "page")
      ->group("OAuth");
  command
      .add_flag("--client-credentials", args.client_credentials,
                "OAuth: the client_credentials grant (a machine client; no browser, no user)")
      ->group("OAuth");
  command
      .add_option_function<double>(
          "--refresh-margin", [&args](const double& s) { args.refresh_margin_seconds = s; },
          "OAuth: refresh the access token this many seconds before it expires (default 60; at most half its "
          "lifetime)")
      ->group("OAuth");
}

}  // namespace

int main(int argc, char** argv) {
  mcpauth::platform::ignore_broken_pipes();  // a closed stdout is an error to report, not a crash
  CLI::App app{"mcpauth: use OAuth-protected remote MCP servers from anywhere", "mcpauth"};
  app.set_version_flag("--version", std::string("mcpauth ") + mcpauth::version());
  app.require_subcommand(1);

  mcpauth::app::ServerArgs tools_args;
  auto* tools = app.add_subcommand("tools", "List the tools of a remote MCP server");
  add_server_options(*tools, tools_args);

  mcpauth::app::ServerArgs login_args;
  auto* login = app.add_subcommand("login", "Authorize with a remote MCP server now and show what was granted");
  add_server_options(*login, login_args, {.json = true, .no_auth = false});
  login
      ->add_flag("--device", login_args.device,
                 "Use the device authorization grant (RFC 8628): approve with a code on any device")
      ->group("OAuth");

  mcpauth::app::LogoutArgs logout_args;
  auto* logout = app.add_subcommand(
      "logout", "Revoke a server's tokens at its authorization server (RFC 7009) and delete them here");
  logout->add_option("server", logout_args.target, "A server name from the config file, or a URL");
  logout->add_option("--config", logout_args.config_path, "mcpServers JSON file");
  logout->add_option("--account", logout_args.account, "The account to log out (default: the default account)");
  logout->add_flag("--all", logout_args.all, "Every account of the server; without a server, every stored grant");
  add_store_option(*logout);

  mcpauth::app::StatusArgs status_args;
  auto* status = app.add_subcommand("status", "Show the authorization state of configured and stored servers");
  status->add_option("server", status_args.target, "Only this server (a name from the config file, or a URL)");
  status->add_option("--config", status_args.config_path, "mcpServers JSON file");
  status->add_flag("--json", status_args.json, "Print machine-readable JSON");
  add_store_option(*status);

  mcpauth::app::UsersArgs users_args;
  auto* users = app.add_subcommand(
      "users", "Manage the gateway's users: add (prints an API key once), list, remove (logs out of its grants)");
  users->add_option("action", users_args.action, "add, list or remove")
      ->required()
      ->check(CLI::IsMember({"add", "list", "remove"}));
  users->add_option("name", users_args.name, "The user's name (add, remove)");
  users->add_flag("--admin", users_args.admin, "add: an administrator (sees every user's rows in the dashboard)");
  users->add_flag("--json", users_args.json, "list: print machine-readable JSON");
  add_store_option(*users);

  mcpauth::app::ProbeArgs probe_args;
  auto* probe =
      app.add_subcommand("probe", "Tell what a server needs (no auth, a static token, OAuth) without storing anything");
  probe->add_option("url", probe_args.url, "URL of the remote MCP server")->required();
  probe->add_flag("--json", probe_args.json, "Print machine-readable JSON");
  probe->add_option("--timeout", probe_args.timeout_seconds, "Seconds to wait for each answer")->capture_default_str();
  add_transport_option(*probe, probe_args.transport);
  add_header_option(*probe, probe_args.headers);
  add_allow_http_option(*probe, probe_args.allow_http);

  mcpauth::app::ServerArgs doctor_args;
  auto* doctor = app.add_subcommand(
      "doctor",
      "Walk the whole chain to a server (reachability, transport, OAuth metadata, client, store, grant) "
      "and say what is right, what is wrong and what to run next");
  doctor->add_option("server", doctor_args.target, "A server name from the config file, or a URL")->required();
  doctor->add_option("--config", doctor_args.config_path, "mcpServers JSON file");
  doctor->add_option("--account", doctor_args.account, "The account whose grant to check (default: the default one)");
  add_transport_option(*doctor, doctor_args.transport);
  add_header_option(*doctor, doctor_args.headers);
  doctor->add_option("--timeout", doctor_args.timeout_seconds, "Seconds to wait for each answer")
      ->capture_default_str();
  doctor->add_flag("--json", doctor_args.json, "Print the steps as JSON");
  add_allow_http_option(*doctor, doctor_args.allow_http);
  doctor->add_option("--client-id", doctor_args.client_id, "OAuth: the pre-registered client id you would log in with")
      ->group("OAuth");
  doctor
      ->add_option("--client-metadata-url", doctor_args.client_metadata_url,
                   "OAuth: the Client ID Metadata Document URL you would log in with")
      ->group("OAuth");
  doctor->add_option("--resource", doctor_args.resource, "OAuth: the RFC 8707 resource value to use")->group("OAuth");
  doctor->add_flag("--no-resource", doctor_args.no_resource, "OAuth: send no resource parameter")->group("OAuth");

  mcpauth::app::ResetArgs reset_args;
  auto* reset = app.add_subcommand(
      "reset",
      "Forget a server: revoke and delete its grants, its discovery and (when unused) its client registration");
  reset->add_option("server", reset_args.target, "A server name from the config file, or a URL")->required();
  reset->add_option("--config", reset_args.config_path, "mcpServers JSON file");
  reset->add_option("--account", reset_args.account, "Only this account's grant (default: every account)");
  add_store_option(*reset);

  mcpauth::app::ServerArgs proxy_args;
  auto* proxy = app.add_subcommand(
      "proxy", "Bridge a stdio MCP host (JSON-RPC lines on stdin/stdout) to a remote server, authorizing as needed");
  add_server_options(*proxy, proxy_args, {.json = false, .no_auth = true});
  // mcp-remote's command line, so that switching is replacing the command.
  proxy->add_option("callback-port", proxy_args.callback_port, "OAuth: loopback port for the redirect (as mcp-remote)")
      ->check(CLI::Range(0, 65535));
  proxy->add_flag("--disable-resource-parameter", proxy_args.no_resource, "Same as --no-resource (mcp-remote)")
      ->group("OAuth");
  proxy
      ->add_option("--static-oauth-client-info", proxy_args.static_client_info,
                   "OAuth: {\"client_id\": ..., \"client_secret\": ...} as JSON or @file (mcp-remote)")
      ->group("OAuth");
  proxy
      ->add_option("--static-oauth-client-metadata", proxy_args.static_client_metadata,
                   "OAuth: registration metadata {\"client_name\", \"scope\"} as JSON or @file (mcp-remote)")
      ->group("OAuth");
  proxy->add_option("--ignore-tool", proxy_args.ignored_tools,
                    "Hide tools whose name matches this glob from the host (repeatable; mcp-remote)");
  proxy->add_option("--allow-tool", proxy_args.allowed_tools,
                    "Show the host only the tools whose name matches this glob (repeatable; --ignore-tool still "
                    "hides among them)");
  proxy->add_flag("--keep-alive", proxy_args.keep_alive,
                  "Ping the server every 30 s (or --ping-interval) so that an idle session is not reaped (mcp-remote)");
  proxy->add_option_function<double>(
      "--ping-interval", [&](const double& s) { proxy_args.ping_interval_seconds = s; },
      "Seconds between keep-alive pings; implies --keep-alive (mcp-remote)");
  proxy
      ->add_option("--protocol", proxy_args.protocol,
                   "auto: pass the host's handshake through, or translate it when the server speaks only "
                   "2026-07-28; legacy: never translate; 2026-07-28: discover the server first")
      ->capture_default_str();
  proxy->add_flag("--enable-proxy", proxy_args.enable_proxy,
                  "Accepted for mcp-remote: the proxy variables (https_proxy, http_proxy in lower case, all_proxy, "
                  "no_proxy) are always honoured");
  proxy->add_option("--host", proxy_args.redirect_host, "OAuth: same as --redirect-host (mcp-remote)")
      ->check(CLI::IsMember({"127.0.0.1", "localhost", "[::1]"}))
      ->group("OAuth");
  proxy
      ->add_option("--auth-timeout", proxy_args.consent_timeout_seconds,
                   "OAuth: same as --consent-timeout (mcp-remote)")
      ->group("OAuth");
  proxy
      ->add_flag("--device-code", proxy_args.device,
                 "OAuth: the device authorization grant (RFC 8628): approve with a code on any device (mcp-remote)")
      ->group("OAuth");
  // mcp-remote's flags that mcpauth does not implement yet: not offered (no
  // group: hidden from --help and the completions), but parsed, so that a
  // command line moved from mcp-remote is refused saying why.
  proxy
      ->add_option("--token-endpoint", proxy_args.token_endpoint,
                   "OAuth: refused for now (mcp-remote's explicit token endpoint; mcpauth discovers it)")
      ->group("");
  proxy->add_flag("--use-id-token", proxy_args.use_id_token, "OAuth: refused for now (mcp-remote's ID token bearer)")
      ->group("");
  proxy
      ->add_option("--retry-budget", proxy_args.retry_budget_seconds,
                   "Seconds a message waits (retrying with backoff) for an unreachable server before the host gets "
                   "an error")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  proxy->add_option("--log", proxy_args.log_file,
                    "Also write diagnostics to this file (created 0600, appended; never holds a token)");

  mcpauth::app::ServerArgs call_args;
  std::string tool_name;
  std::string tool_arguments;
  auto* call = app.add_subcommand("call", "Call one tool of a remote MCP server and print its result");
  add_server_options(*call, call_args);
  call->add_option("tool", tool_name, "Name of the tool")->required();
  call->add_option("arguments", tool_arguments, "Tool arguments as a JSON object, e.g. '{\"text\":\"hi\"}'");

  mcpauth::gateway::GatewayArgs gateway_args;
  auto* gateway = app.add_subcommand(
      "gateway", "Serve every configured server as a local MCP endpoint, with a dashboard to authorize them");
  gateway->add_option("--config", gateway_args.config_path,
                      "mcpServers JSON file (created by the dashboard if missing)");
  gateway->add_option("--listen", gateway_args.listen, "ADDR:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  add_store_option(*gateway);
  gateway->add_option("--api-key-env", gateway_args.api_key_env,
                      "Name of the environment variable holding the API key (required off loopback)");
  gateway->add_option("--host-key-env", gateway_args.host_key_env,
                      "Host mode: name of the environment variable holding the key a service sends with "
                      "Mcpauth-User: ID to act for its user ID (made on first use)");
  gateway->add_option("--allowed-return-url", gateway_args.allowed_return_urls,
                      "URL prefix (https://host/path/) a host may name as return_to of an authorization, where the "
                      "browser goes after the callback (repeatable)");
  gateway->add_option(
      "--public-url", gateway_args.public_url,
      "The https URL a TLS reverse proxy serves the gateway at: the OAuth callback is URL/oauth/callback "
      "and URL/oauth/client-metadata.json is the gateway's client id where authorization servers "
      "support Client ID Metadata Documents (http only on loopback)");
  gateway->add_option("--webhook", gateway_args.webhook_url,
                      "URL (https, or http on loopback) that gets a signed JSON POST when a grant is authorized, "
                      "fails or is revoked (needs --webhook-secret-env)");
  gateway->add_option("--webhook-secret-env", gateway_args.webhook_secret_env,
                      "Name of the environment variable holding the webhook's HMAC-SHA256 key (at least 16 bytes)");
  gateway
      ->add_option("--consent-timeout", gateway_args.consent_timeout_seconds,
                   "Seconds a dashboard authorization waits for consent")
      ->capture_default_str();
  gateway->add_option("--timeout", gateway_args.timeout_seconds, "Seconds to wait for each answer")
      ->capture_default_str();
  gateway->add_flag("--allow-private-user-servers", gateway_args.allow_private_user_servers,
                    "Let users add servers of their own on localhost or on loopback, link-local or private-network "
                    "addresses (refused by default: the gateway's machine and network are not theirs to reach)");
  gateway->add_flag("--allow-http", gateway_args.allow_http,
                    "Allow configured servers on plain http:// to a host that is not loopback (test servers only)");
  gateway
      ->add_option("--max-sessions-per-client", gateway_args.max_sessions_per_client,
                   "Local MCP sessions one client address may hold open at once")
      ->capture_default_str();
  gateway
      ->add_option("--max-connections", gateway_args.max_connections,
                   "Connections (event streams included) the gateway holds open at once (more are answered 503)")
      ->capture_default_str();
  gateway
      ->add_option("--max-connections-per-client", gateway_args.max_connections_per_client,
                   "Connections one client address may hold open at once (more are answered 503)")
      ->capture_default_str();
  gateway
      ->add_option("--head-timeout", gateway_args.head_timeout_seconds,
                   "Seconds a client has to send a whole request head (then the connection is closed)")
      ->capture_default_str();

  mcpauth::app::StoreArgs store_args;
  auto* store = app.add_subcommand(
      "store", "rotate-key: seal every row of the token store again under a new key, while instances keep running");
  store->add_option("action", store_args.action, "rotate-key")->required()->check(CLI::IsMember({"rotate-key"}));
  store->add_option("--new-key-file", store_args.new_key_file,
                    "The new key's file (0600; its first line; else the current key: finishes a rotation)");
  store->add_option("--new-key-env", store_args.new_key_env, "The environment variable holding the new key");
  store->add_option("--generate-key", store_args.generate_key,
                    "Write a new random key to this new file (0600, never replaced) and rotate to it");
  store->add_flag("--status", store_args.status, "Only say which keys the rows are sealed under");
  store->add_flag("--retire", store_args.retire,
                  "Forget the old keys once every row is under the current key (a store then refuses them)");
  store->add_option("--batch", store_args.batch_size, "Rows listed at a time (each row is its own transaction)")
      ->capture_default_str();
  store->add_flag("--json", store_args.json, "Print the report as JSON");
  add_store_option(*store);

  std::string completion_shell;
  auto* completion = app.add_subcommand(
      "completion", "Print a shell completion script (bash or zsh) for mcpauth's commands and options");
  completion->add_option("shell", completion_shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));

  // Examples under each command's help, exit codes and the environment under the main help (help_text.cpp).
  app.footer(mcpauth::app::main_help_footer());
  for (CLI::App* command : app.get_subcommands({})) command->footer(mcpauth::app::examples_footer(command->get_name()));

  for (auto* command : app.get_subcommands({})) add_verbose_option(*command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? mcpauth::app::kExitOk : mcpauth::app::kExitUsage;
  }

  // Before any thread starts.
  if (!store_url.empty()) mcpauth::platform::set_environment_variable("MCPAUTH_STORE_URL", store_url);
  if (verbose) mcpauth::platform::set_environment_variable("MCPAUTH_LOG", "debug");
  // The gateway takes SIGINT itself (wait_for_stop_request) to shut down in order.
  if (!gateway->parsed()) mcpauth::app::exit_on_interrupt();
  mcpauth::app::HintContext hint_context;
  using Parsed = std::pair<const CLI::App*, const mcpauth::app::ServerArgs*>;
  for (const auto& [command, args] :
       {Parsed{tools, &tools_args}, Parsed{login, &login_args}, Parsed{proxy, &proxy_args}, Parsed{call, &call_args}}) {
    if (command->parsed()) hint_context = {args->target, args->device};
  }
  if (completion->parsed()) {
    const auto model = mcpauth::app::completion_model(app);
    std::cout << (completion_shell == "zsh" ? mcpauth::app::zsh_completion(model)
                                            : mcpauth::app::bash_completion(model));
    return std::cout.flush() ? mcpauth::app::kExitOk : mcpauth::app::kExitUsage;
  }
  try {
    if (tools->parsed()) return mcpauth::app::run_tools(tools_args);
    if (login->parsed()) return mcpauth::app::run_login(login_args);
    if (logout->parsed()) return mcpauth::app::run_logout(logout_args);
    if (status->parsed()) return mcpauth::app::run_status(status_args);
    if (proxy->parsed()) return mcpauth::app::run_proxy(proxy_args);
    if (probe->parsed()) return mcpauth::app::run_probe(probe_args);
    if (call->parsed()) return mcpauth::app::run_call(call_args, tool_name, tool_arguments);
    if (gateway->parsed()) return mcpauth::gateway::run_gateway(gateway_args);
    if (doctor->parsed()) return mcpauth::app::run_doctor(doctor_args);
    if (reset->parsed()) return mcpauth::app::run_reset(reset_args);
    if (users->parsed()) return mcpauth::app::run_users(users_args);
    if (store->parsed()) return mcpauth::app::run_store(store_args);
  } catch (const mcpauth::Error& e) {
    // The library's neutral message, then the command's own hint (error_hints.hpp).
    std::cerr << mcpauth::app::error_report(e, hint_context);
    return mcpauth::app::exit_code_for(e.code());
  } catch (const std::exception& e) {
    std::cerr << "mcpauth: internal error: " << mcpauth::core::printable(e.what()) << '\n';
    return mcpauth::app::kExitProtocol;
  }
  return mcpauth::app::kExitUsage;
}
