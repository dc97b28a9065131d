#include "help_text.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "exit_codes.hpp"

namespace mcpauth::app {

const EnvironmentVariable kEnvironmentVariables[] = {
    {"MCPAUTH_CONFIG", "the mcpServers file (default: $XDG_CONFIG_HOME/mcpauth/config.json)"},
    {"MCPAUTH_STORE", "the SQLite token store (default: $XDG_DATA_HOME/mcpauth/tokens.db)"},
    {"MCPAUTH_STORE_URL", "a postgresql:// token store shared by several instances (as --store)"},
    {"MCPAUTH_KEY", "the token store's key (32 bytes, base64url or hex) instead of the keyring or key file"},
    {"MCPAUTH_KEY_PREVIOUS", "retired store keys (comma-separated) during a key rotation: they only open rows"},
    {"MCPAUTH_KEY_FILE", "the PostgreSQL store's key file (further lines: retired keys)"},
    {"MCPAUTH_KEYRING", "off: the SQLite store's key is not kept in the desktop keyring"},
    {"MCPAUTH_LOG", "debug: the debug log on stderr, secrets redacted (as --verbose)"},
    {"MCPAUTH_CA_BUNDLE", "a CA bundle to trust (else SSL_CERT_FILE, CURL_CA_BUNDLE, the system's)"},
    {"BROWSER", "the browser that opens an authorization URL"},
    {"DISPLAY", "with WAYLAND_DISPLAY: a browser can be opened (not over SSH: SSH_CONNECTION, SSH_TTY)"},
    {"XDG_CONFIG_HOME", "where the default config file lives (default: ~/.config)"},
    {"XDG_DATA_HOME", "where the default token store lives (default: ~/.local/share)"},
    {"https_proxy", "with http_proxy, all_proxy, no_proxy: the proxy to connect through (libcurl's)"},
};
const std::size_t kEnvironmentVariableCount = std::size(kEnvironmentVariables);

namespace {

std::string padded(std::string text, std::size_t width) {
  text.resize(std::max(width, text.size() + 1), ' ');
  return text;
}

using Example = std::pair<const char*, const char*>;  // the command line, what it does

const std::vector<std::pair<std::string_view, std::vector<Example>>>& all_examples() {
  static const std::vector<std::pair<std::string_view, std::vector<Example>>> examples = {
      {"tools",
       {{"mcpauth tools https://mcp.example.com/mcp", "list the tools, authorizing first if the server asks"},
        {"mcpauth tools docs --json", "a server named in the config file; the whole definitions as JSON"},
        {"mcpauth tools https://api.example.com/mcp -H 'Authorization: Bearer ${TOKEN}'",
         "a static token, expanded from the environment (kept out of argv)"}}},
      {"call",
       {{"mcpauth call https://mcp.example.com/mcp echo '{\"text\":\"hi\"}'", "call a tool; its text on stdout"},
        {"mcpauth call docs search '{\"query\":\"oauth\"}' --json", "the whole result as JSON"}}},
      {"login",
       {{"mcpauth login https://mcp.example.com/mcp", "authorize in the browser now and show what was granted"},
        {"mcpauth login https://mcp.example.com/mcp --device", "approve with a code on any device (no browser here)"},
        {"mcpauth login https://mcp.example.com/mcp --no-browser",
         "over SSH: open the URL elsewhere, paste back the address the browser ends on"},
        {"mcpauth login docs --account work", "a second grant at the same server"}}},
      {"logout",
       {{"mcpauth logout https://mcp.example.com/mcp", "revoke the default account's tokens and delete them here"},
        {"mcpauth logout docs --account work", "only that account"},
        {"mcpauth logout --all", "every stored grant, and the client registrations"}}},
      {"status",
       {{"mcpauth status", "every configured and stored server, one line per account"},
        {"mcpauth status docs --json", "one server, as JSON"}}},
      {"users",
       {{"mcpauth users add alice", "a gateway user; prints its API key once (clients send Authorization: Bearer)"},
        {"mcpauth users list --json --store postgresql://mcpauth@db.example/mcpauth",
         "the users of a shared store, as JSON"},
        {"mcpauth users remove alice", "log out of alice's grants (revoked where possible) and delete the user"}}},
      {"probe",
       {{"mcpauth probe https://mcp.example.com/mcp", "what the server needs; stores nothing, opens no browser"},
        {"mcpauth probe https://mcp.example.com/mcp --json", "the same, as JSON"},
        {"mcpauth probe https://api.example.com/mcp -H 'Authorization: Bearer ${TOKEN}'",
         "whether the server accepts this token"}}},
      {"doctor",
       {{"mcpauth doctor https://mcp.example.com/mcp", "every step to the server, what is wrong, what to run next"},
        {"mcpauth doctor docs --account work --json", "one account's grant, as JSON"}}},
      {"reset",
       {{"mcpauth reset https://mcp.example.com/mcp", "revoke and forget everything stored for the server"},
        {"mcpauth reset docs --account work", "only that account's grant"}}},
      {"proxy",
       {{"mcpauth proxy https://mcp.example.com/mcp",
         "what a stdio host runs: \"command\": \"mcpauth\", \"args\": [\"proxy\", \"https://mcp.example.com/mcp\"]"},
        {"mcpauth proxy docs --allow-tool 'search*' --log /tmp/mcpauth-proxy.log",
         "only the search tools, diagnostics also to a file"}}},
      {"gateway",
       {{"mcpauth gateway", "every configured server at http://127.0.0.1:8930/servers/NAME/mcp; dashboard at /"},
        {"mcpauth gateway --listen 0.0.0.0:8930 --api-key-env MCPAUTH_GATEWAY_KEY",
         "off loopback, clients send Authorization: Bearer <the key>"},
        {"mcpauth gateway --host-key-env MCPAUTH_HOST_KEY",
         "a service sends Authorization: Bearer <the key> and Mcpauth-User: ID to act for its user ID"}}},
      {"store",
       {{"mcpauth store rotate-key --new-key-file new.key", "seal every row again under the key in new.key"},
        {"mcpauth store rotate-key --status", "which keys the rows are sealed under"},
        {"mcpauth store rotate-key --retire", "forget the old keys once no row needs them"}}},
      {"completion",
       {{"mcpauth completion bash > ~/.local/share/bash-completion/completions/mcpauth", "bash, for this user"},
        {"mcpauth completion zsh > ~/.zfunc/_mcpauth", "zsh: a directory in $fpath (before compinit)"}}},
  };
  return examples;
}

}  // namespace

std::string main_help_footer() {
  std::string out = "Exit status:\n";
  for (const auto& [code, meaning] : kExitCodeMeanings) out += "  " + padded(std::to_string(code), 5) + meaning + "\n";
  out += "\nEnvironment:\n";
  for (const auto& variable : kEnvironmentVariables) {
    out += "  " + padded(variable.name, 22) + variable.meaning + "\n";
  }
  out += "\nRun `mcpauth COMMAND --help` for a command's options and examples.";
  return out;
}

std::string examples_footer(std::string_view command) {
  for (const auto& [name, examples] : all_examples()) {
    if (name != command) continue;
    std::string out = "Examples:\n";
    for (const auto& [line, what] : examples) out += std::string("  ") + line + "\n      " + what + "\n";
    out.pop_back();
    return out;
  }
  return "";
}

}  // namespace mcpauth::app
