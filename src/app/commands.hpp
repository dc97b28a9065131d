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

// stdin/stdout JSON-RPC <-> the remote server, until stdin ends.
int run_proxy(const ServerArgs& args);

struct LogoutArgs {
  std::string target;  // empty with `all`: every stored grant
  std::string config_path;
  std::string account;
  bool all = false;
};
// Revokes at the authorization server (refresh token, then access token)
// when it has a revocation endpoint, then deletes locally whatever happened
// there, saying what the server may still honour.
int run_logout(const LogoutArgs& args);
// Logs out of every grant of `account` (as run_logout: revoked where the
// authorization server allows, deleted here whatever it said), saying so on stdout.
void log_out_account(store::TokenStore& store, const std::string& account);

struct UsersArgs {
  std::string action;  // add, list or remove
  std::string name;
  bool admin = false;  // add
  bool json = false;   // list
};
// The gateway's users: add prints the new API key once (stdout, alone),
// list shows names, roles and creation times (never a key or its hash),
// remove logs out of the user's grants and deletes the user.
int run_users(const UsersArgs& args);

struct StatusArgs {
  std::string target;
  std::string config_path;
  bool json = false;
};
// One row per server and account; never a token, not even a prefix.
int run_status(const StatusArgs& args);

struct ResetArgs {
  std::string target;
  std::string config_path;
  std::string account;  // empty: every account of the server
};
// Logs out of the server (every account, or `account`), then forgets its
// discovery record (once no account holds a grant there) and its issuer's
// client registration (once no stored grant uses it), saying what it removed.
int run_reset(const ResetArgs& args);

// Walks the chain to a server (reachability, transport, the challenge, the
// OAuth metadata, PKCE, registration, the store, the grant, a connection
// that asks nobody) and prints one line per step, ok / warn / fail, then the
// next command; with `json` one object: server, url, account, ok,
// exit_code, steps [{id, status, summary, details}], next. Returns 0 unless
// a step fails, else the first failure's exit code. Never a secret.
int run_doctor(const ServerArgs& args);

}  // namespace mcpauth::app
